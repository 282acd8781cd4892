"""Case 5: the database unreachable for 10 s while SMS and Telegram webhooks keep arriving. SQLite: another
connection holds an exclusive lock, so writes fail after the busy timeout; PostgreSQL: the gateway's processes
reach the database through a TCP proxy that is cut. Every webhook must end up answered 200 (a 5xx or a timeout is
retried a second later, as a provider would), and every message stored exactly once and handled, whether it went
straight in, waited in the disk spool, or was retried (invariant 1).

SQLite writers wait up to their busy timeout for a lock before failing (workers 10 s; the web process 5 s, but its
store gives up after 1 s and it spools), so the lock is held for the longer one plus the 10 s outage: writes then
really fail for 10 s everywhere (a 10 s lock alone only delays the workers)."""

from __future__ import annotations

import sqlite3
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
import requests
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from gateway.core.db import Database
from gateway.messaging import spool
from gateway.messaging.receiving import replay_spool
from gateway.models import Direction, Message
from tests.faults import logscan
from tests.faults.population import add_leaders, inbound_rows
from tests.faults.procs import wait_until
from tests.faults.providers import (
    SMS_PATH,
    http_session,
    inbound_form,
    post_sms,
    post_update,
    telegram_text_update,
    twilio_signature,
)
from tests.faults.proxy import TcpProxy
from tests.faults.scale import count

pytestmark = [pytest.mark.faults]

CASE = 5
MESSAGES = count(300, 150)
SENDERS, TELEGRAM_SENDERS = 30, 10
SPREAD_SECONDS, CUT_AT, OUTAGE_SECONDS = 24.0, 5.0, 10.0
BUSY_TIMEOUT_SECONDS = 10.0  # gateway.core.db.BUSY_TIMEOUT_SECONDS (workers; the web's is shorter)


@dataclass
class Outage:
    """How to take the database away from the gateway's processes and give it back."""

    extra_env: dict[str, str]
    cut: object
    restore: object
    kind: str
    seconds: float = OUTAGE_SECONDS


@pytest.fixture
def outage(database_url):
    """A lock held on the SQLite file, or a cuttable proxy in front of PostgreSQL."""
    url = make_url(database_url)
    if url.get_backend_name() == "postgresql":
        proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
        through = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        yield Outage(
            {"DATABASE_URL": through}, proxy.cut, proxy.restore, f"proxy to PostgreSQL cut {OUTAGE_SECONDS:.0f} s"
        )
        proxy.close()
        return
    holder: list[sqlite3.Connection] = []

    def cut() -> None:
        """Take an exclusive lock on the SQLite file."""
        connection = sqlite3.connect(url.database, timeout=30, isolation_level=None)
        connection.execute("BEGIN EXCLUSIVE")
        holder.append(connection)

    def restore() -> None:
        """Release the lock."""
        connection = holder.pop()
        connection.execute("ROLLBACK")
        connection.close()

    held = BUSY_TIMEOUT_SECONDS + OUTAGE_SECONDS
    yield Outage({}, cut, restore, f"SQLite locked {held:.0f} s (busy timeout 10 s + 10 s)", held)
    while holder:
        restore()


def report_text(index: int) -> str:
    """A leader's free-text report, unique, matching no keyword."""
    return f"Des coups de feu entendus cette nuit vers le hameau de Dialloube, signalement {index}"


def delivery(index: int, sender, account_sid: str) -> tuple[str, str, dict]:
    """(provider, provider id, payload) of one leader's report: a Telegram update or a Twilio SMS form."""
    if sender.telegram_id:
        update_id = 700_000_000 + index
        return "telegram", str(update_id), telegram_text_update(update_id, sender.telegram_id, report_text(index))
    form = inbound_form(account_sid, sender.phone, report_text(index))
    return "twilio", form["MessageSid"], form


@pytest.mark.e2e
@pytest.mark.timeout(240)
def test_no_inbound_message_is_lost_while_the_database_is_unreachable(runtime, gateway, fake_twilio, outage, row):
    """5. Database unreachable for 10 s while webhooks arrive."""
    leaders = add_leaders(runtime, CASE, SENDERS, telegram=TELEGRAM_SENDERS)
    deliveries = [delivery(i, leaders[i % SENDERS], fake_twilio.account_sid) for i in range(MESSAGES)]
    logscan.remember(
        phones=[c.phone for c in leaders],
        bodies=[report_text(i) for i in range(MESSAGES)],
        telegram_ids=[c.telegram_id for c in leaders if c.telegram_id],
    )
    base = gateway.web(extra_env=outage.extra_env)
    gateway.worker(extra_env=outage.extra_env)
    session = http_session()
    start = time.monotonic() + 1

    def deliver(index: int) -> list:
        """Deliver one message like its provider: again a second after any 5xx or timeout, until a 2xx."""
        kind, _, payload = deliveries[index]
        time.sleep(max(start + index * SPREAD_SECONDS / MESSAGES - time.monotonic(), 0))
        answers = []
        while len(answers) < 40:
            try:
                if kind == "twilio":
                    answers.append(post_sms(session, base, fake_twilio.auth_token, payload).status_code)
                else:
                    answers.append(post_update(session, base, payload).status_code)
            except requests.RequestException:
                answers.append("timeout")
            if answers[-1] == 200:
                break
            time.sleep(1)
        return answers

    with ThreadPoolExecutor(max_workers=MESSAGES) as pool:
        pending = [pool.submit(deliver, i) for i in range(MESSAGES)]
        time.sleep(max(start + CUT_AT - time.monotonic(), 0))
        outage.cut()
        time.sleep(outage.seconds)
        outage.restore()
        answers = [p.result() for p in pending]

    sent_ids = {provider_id for _, provider_id, _ in deliveries}

    def all_stored_and_handled() -> bool:
        """Every message sent is stored and handled."""
        rows = inbound_rows(runtime)
        return {m.provider_id for m in rows} >= sent_ids and all(m.processed_at for m in rows)

    wait_until(all_stored_and_handled, timeout=60, interval=1)
    stored = inbound_rows(runtime)
    by_body = Counter(m.body for m in stored)
    lost = len(sent_ids - {m.provider_id for m in stored})
    tries = Counter(a for attempt in answers for a in attempt)
    spooled = sum(p.output().count("spooled") for p in gateway.started if p.name.endswith("web"))
    with runtime.db.transaction() as db:
        replies = db.scalar(select(func.count()).select_from(Message).where(Message.direction == Direction.OUT))
    row.set(
        sent=f"{MESSAGES} ({MESSAGES - MESSAGES // 3} SMS, {MESSAGES // 3} Telegram); {outage.kind}",
        stored=f"{len(stored)} stored ({spooled} via the spool), {replies} replies",
        duplicates=sum(n - 1 for n in by_body.values()),
        lost=lost,
        five_xx=f"{sum(n for a, n in tries.items() if a != 200 and a != 'timeout')} (+{tries['timeout']} timeouts), "
        "retried",
    )
    assert all(a[-1] == 200 for a in answers), f"webhooks never answered 200: {tries}"
    assert not [a for a in tries if a not in (200, 500, 502, 503, 504, "timeout")], f"unexpected answers: {tries}"
    assert lost == 0, f"{lost} messages lost"
    assert max(by_body.values()) == 1, "a message was stored twice"
    assert all(m.processed_at for m in stored), "stored but never handled"
    assert all(m.direction == Direction.IN for m in stored)
    assert replies == MESSAGES, f"{replies} replies for {MESSAGES} messages"
    assert not spool.pending(runtime.settings.instance_path), "messages still wait in the spool"


def spool_files(runtime) -> list:
    """The spool files waiting to be replayed."""
    return sorted(spool.spool_dir(runtime.settings.instance_path).glob("*.jsonl"))


@pytest.mark.timeout(60)
def test_a_torn_spool_line_does_not_hold_up_the_messages_spooled_after_it(runtime, client, fake_twilio, row):
    """5b. Disk full while spooling (a torn line), more spooled after it: all must reach the database."""
    leaders = add_leaders(runtime, CASE, 3)
    texts = [report_text(1000 + i) for i in range(3)]
    logscan.remember(phones=[c.phone for c in leaders], bodies=texts)

    def deliver(index: int) -> int:
        """Post the leader's report, signed, through the test client."""
        form = inbound_form(fake_twilio.account_sid, leaders[index].phone, texts[index])
        headers = {"X-Twilio-Signature": twilio_signature(fake_twilio.auth_token, SMS_PATH, form)}
        return client.post(SMS_PATH, data=form, headers=headers).status_code

    real = runtime.db  # the outage: this process's database handle points nowhere
    runtime.db = Database("postgresql+psycopg://gateway@127.0.0.1:1/none?connect_timeout=1")
    try:
        answers = [deliver(0)]
        [path] = spool_files(runtime)
        with open(path, "ab") as spooled:  # the disk filled up half-way through the next record (ENOSPC)
            spooled.write(b'{"address_kind": "phone", "channel": "twilio", "provider_id": "SM')
        answers += [deliver(1), deliver(2)]
    finally:
        runtime.db.dispose()
        runtime.db = real
    replayed = replay_spool(runtime) + replay_spool(runtime)  # the sweeper's next two passes

    stored = {m.body for m in inbound_rows(runtime)}
    lost = [i for i, text in enumerate(texts) if text not in stored]
    row.set(
        sent="3 spooled during an outage, a torn line after the 1st",
        stored=f"{3 - len(lost)} of 3 replayed",
        duplicates="n/a",
        lost=len(lost),
        five_xx=sum(a >= 500 for a in answers),
    )
    assert answers == [200] * 3, f"answers: {answers}"
    assert not lost, (
        f"messages {lost} (0-based) were answered 200 and spooled but never reached the database once it was back "
        f"(replay stored {replayed}; {len(spool_files(runtime))} spool file(s) still waiting): the replay stops at "
        "the first line it cannot read and puts it back first, so every message after it waits for ever"
    )
