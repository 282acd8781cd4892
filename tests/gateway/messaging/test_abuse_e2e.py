"""Held replies stay held: a real worker process (with its sweeper) sends the replies within a sender's limit to a
fake Twilio API and never the ones held beyond it, however many sweeps pass."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from gateway.models import Direction, Message, MessageStatus
from tests.processes import wait_for
from tests.test_e2e_sms import inbound_sms, sent_to, signed_post

pytestmark = pytest.mark.e2e

LEADER = "+22371139685"  # Mamadou Dembélé, MOPTI


@pytest.fixture
def env(base_env, fake_twilio):
    """Twilio pointed at the fake; a burst of two replies, refilled only after an hour."""
    return {**base_env, **fake_twilio.env(), "SENDER_REPLY_BURST": "2", "SENDER_REPLY_REFILL_SECONDS": "3600"}


def replies(runtime) -> list[Message]:
    """The rows answering the leader, oldest first."""
    with runtime.db.transaction() as session:
        query = select(Message).where(Message.direction == Direction.OUT, Message.address == LEADER)
        return list(session.scalars(query.order_by(Message.id)))


def test_held_replies_are_never_sent_by_the_worker_or_its_sweeper(runtime, client, directory, fake_twilio,
                                                                  start_process):  # fmt: skip
    worker = start_process("worker")
    for n in range(5):
        form = inbound_sms(fake_twilio, LEADER, f"Bonjour, message {n} sur la situation au marché")
        assert signed_post(client, fake_twilio.auth_token, "/webhooks/twilio/sms", form).status_code == 200
    wait_for(lambda: len(replies(runtime)) == 5, timeout=30, message="the five messages handled by the worker")
    wait_for(lambda: len(sent_to(fake_twilio, LEADER)) >= 2, timeout=30, message="the two replies within the burst")
    # The worker sweeps every second and re-enqueues `queued` rows older than two: give it several sweeps.
    time.sleep(6)
    assert len(sent_to(fake_twilio, LEADER)) == 2
    rows = replies(runtime)
    assert [r.status for r in rows[:2]] == [MessageStatus.SENT] * 2
    assert [(r.status, r.error_code, r.attempts, r.sent_at) for r in rows[2:]] == [
        (MessageStatus.HELD, "rate_limited", 0, None)
    ] * 3
    output = worker.output()
    assert "reply held (rate_limited)" in output, "the handling worker counts held replies in its log"
    assert LEADER not in output
