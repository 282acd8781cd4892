"""Case 1: 1,000 inbound SMS, each delivered three times by "Twilio" to the real web app under gunicorn (one third
of them with their three copies in flight at once), must leave exactly 1,000 stored messages and, once the real
workers handled them, one reply each, sent once (invariants 1 and 2)."""

from __future__ import annotations

import random
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from gateway.models import Direction, Message
from tests.faults import logscan
from tests.faults.population import add_leaders, inbound_rows
from tests.faults.procs import wait_until
from tests.faults.providers import http_session, inbound_form, post_sms, twilio_deliveries
from tests.faults.scale import count

pytestmark = [pytest.mark.faults, pytest.mark.e2e]

CASE = 1
MESSAGES = count(1000, 1000)
PER_SENDER = 4
COPIES = 3


def report_text(index: int) -> str:
    """A leader's free-text report, unique, matching no keyword."""
    return f"Tension entre eleveurs et cultivateurs pres du puits numero {index}, les jeunes se rassemblent"


def delivery_order(forms: list[dict], seed: int = 1) -> list[dict]:
    """Three copies of every form: a third of them back to back (in flight together), the rest scattered."""
    rng = random.Random(seed)
    together = [[form] * COPIES for form in forms[::3]]
    scattered = [[form] for form in forms if form not in forms[::3] for _ in range(COPIES)]
    groups = together + scattered
    rng.shuffle(groups)
    return [form for group in groups for form in group]


@pytest.mark.timeout(360)
def test_each_inbound_sms_delivered_three_times_is_stored_and_answered_once(runtime, gateway, fake_twilio, row):
    """1. 1,000 inbound SMS, each delivered 3 times (some concurrently)."""
    leaders = add_leaders(runtime, CASE, MESSAGES // PER_SENDER)
    forms = [
        inbound_form(fake_twilio.account_sid, leaders[i % len(leaders)].phone, report_text(i)) for i in range(MESSAGES)
    ]
    logscan.remember(phones=[c.phone for c in leaders], bodies=[f["Body"] for f in forms])
    base = gateway.web()
    gateway.worker()
    gateway.worker()

    session = http_session()
    deliveries = delivery_order(forms)
    with ThreadPoolExecutor(max_workers=12) as pool:
        statuses = list(pool.map(lambda f: post_sms(session, base, fake_twilio.auth_token, f).status_code, deliveries))
    answers = Counter(statuses)
    row.set(
        sent=f"{MESSAGES:,} SMS × {COPIES} = {len(deliveries):,} webhooks",
        five_xx=sum(n for s, n in answers.items() if s >= 500),
    )

    # The webhooks only store and queue; the workers handle each message (its reply) shortly after.
    wait_until(lambda: all(m.processed_at is not None for m in inbound_rows(runtime)), timeout=180, interval=1)
    stored = inbound_rows(runtime)
    by_sid = Counter(m.provider_id for m in stored)
    sent_sids = {f["MessageSid"] for f in forms}
    lost = len(sent_sids - set(by_sid))
    with runtime.db.transaction() as db:
        replies = db.execute(
            select(Message.id, Message.address, Message.body).where(Message.direction == Direction.OUT)
        )
        replies = replies.all()
    reply_ids = {r.id for r in replies}
    wait_until(lambda: len(twilio_deliveries(fake_twilio, reply_ids)) >= len(reply_ids), timeout=240, interval=1)
    sent = twilio_deliveries(fake_twilio, reply_ids)
    doubled = sum(n - 1 for n in sent.values()) + sum(n - 1 for n in by_sid.values())
    row.set(
        stored=f"{len(stored):,} stored, {len(replies):,} replies queued, {len(sent):,} sent",
        duplicates=doubled,
        lost=lost,
    )

    assert answers == {200: len(deliveries)}, f"every delivery, first or replayed, is answered 200: {answers}"
    assert lost == 0 and len(stored) == MESSAGES, f"{len(stored)} stored for {MESSAGES} messages ({lost} lost)"
    assert max(by_sid.values()) == 1, "a MessageSid was stored twice"
    assert all(m.processed_at is not None for m in stored), "stored but never handled"
    per_sender = Counter(r.address for r in replies)
    assert len(replies) == MESSAGES and set(per_sender.values()) == {PER_SENDER}, f"replies per sender: {per_sender}"
    refs = Counter(r.body.split("#")[1].split(".")[0] for r in replies)
    assert len(refs) == MESSAGES, "two replies quote the same report"
    assert len(sent) == len(reply_ids), f"{len(reply_ids) - len(sent)} replies never reached the provider"
    assert doubled == 0, f"{doubled} duplicates (stored or sent twice)"
