"""`POST /webhooks/android` through the Flask test client, with events signed by the fake phone: only a valid
X-Signature over the raw body and a fresh X-Timestamp get in; an SMS is stored once however often the app re-sends
it (new envelope ids); bad events get a 400; status events move our message forward only."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update
from werkzeug.serving import make_server

from gateway.app import create_app
from gateway.config import load_settings
from gateway.models import Contact, Direction, Message, MessageStatus
from gateway.outbox import queue_message
from gateway.runtime import build_runtime, set_process_runtime
from tests.fakes import android_phone
from tests.fakes.android_phone import WEBHOOK_PATH

fake_phone = android_phone.fake_phone  # the fixture, for this module's tests
LEADER = "+22371139685"  # Mamadou Dembélé, leader at Kotaka (MOPTI)
ALERT = "ALERTE 3 des hommes armés au marché de Konna"
RECEIVED_AT = datetime(2026, 3, 14, 9, 30, 12, tzinfo=UTC)
SIX_MINUTES = 6 * 60


@pytest.fixture
def env(base_env, fake_phone) -> dict[str, str]:
    """The test gateway with the fake phone as its SMS channel."""
    return {**base_env, **fake_phone.env(), "PUBLIC_BASE_URL": "https://gw.example.org"}


def messages(runtime, direction: str = Direction.IN) -> list[Message]:
    """Every message in one direction, oldest first."""
    with runtime.db.transaction() as session:
        return list(session.scalars(select(Message).where(Message.direction == direction).order_by(Message.id)))


@pytest.mark.parametrize("sender", [LEADER, "71 13 96 85", "0022371139685"], ids=["e164", "national", "00-prefix"])
def test_signed_sms_from_a_leader_is_stored_and_answered(runtime, client, directory, fake_phone, sender):
    delivery = fake_phone.inject_inbound(client, sender, ALERT, RECEIVED_AT)
    assert delivery.status == 200
    assert len(delivery.envelope["id"]) == 21 and len(delivery.envelope["payload"]["messageId"]) == 8
    [stored] = messages(runtime)
    assert (stored.channel, stored.address, stored.body, stored.status) == ("android", LEADER, ALERT, "received")
    assert stored.contact_id is not None and stored.processed_at is not None
    [reply] = messages(runtime, Direction.OUT)
    assert (reply.channel, reply.address, reply.status) == ("android", LEADER, MessageStatus.QUEUED)
    assert reply.body.startswith("Alerte #1 enregistree"), "French reply, transliterated to GSM-7"


REJECTED = [
    pytest.param({"key": "wrongkey"}, id="wrong-key"),
    pytest.param({"skew": -SIX_MINUTES}, id="timestamp-6-min-old"),
    pytest.param({"skew": SIX_MINUTES}, id="timestamp-6-min-ahead"),
]


@pytest.mark.parametrize("how", REJECTED)
def test_badly_signed_event_is_refused_and_nothing_stored(runtime, client, directory, fake_phone, how):
    assert fake_phone.inject_inbound(client, LEADER, ALERT, RECEIVED_AT, **how).status == 403
    assert messages(runtime) == [] and messages(runtime, Direction.OUT) == []


@pytest.mark.parametrize(
    "headers",
    [{}, {"X-Timestamp": "now"}, {"X-Signature": "0" * 64}, {"X-Signature": "", "X-Timestamp": ""}],
    ids=["no-headers", "no-signature", "no-timestamp", "empty"],
)
def test_event_without_signature_is_refused(runtime, client, fake_phone, headers):
    body = json.dumps(fake_phone.envelope("sms:received", {"messageId": "0badc0de", "sender": LEADER})).encode()
    response = client.post(WEBHOOK_PATH, data=body, headers=headers, content_type="application/json")
    assert response.status_code == 403 and messages(runtime) == []


def test_retry_after_a_refusal_is_re_signed_and_stored_once(runtime, client, directory, fake_phone):
    first, second = fake_phone.deliver(
        client, fake_phone.envelope("sms:received", {"messageId": "1a2b3c4d", "sender": LEADER, "message": ALERT})
        | {}, retries=3, skew=-SIX_MINUTES
    ) if False else _stale_then_fresh(client, fake_phone)
    assert (first.status, second.status) == (403, 200)
    assert first.body == second.body and first.envelope["id"] == second.envelope["id"]
    assert first.timestamp != second.timestamp and first.signature != second.signature
    assert len(messages(runtime)) == 1
