"""`POST /webhooks/android` through the Flask test client, with events signed by the fake phone: only a valid
X-Signature over the raw body and a fresh X-Timestamp get in; an SMS is stored once however often the app re-sends
it (new envelope ids); unusable events get a 400; status events move our message forward only."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from bots.android import our_id
from gateway.core.config import load_settings
from gateway.core.runtime import build_runtime, set_process_runtime
from gateway.messaging.outbox import queue_message
from gateway.models import Contact, Direction, Message, MessageStatus
from gateway.web.app import create_app
from tests.fakes.android_phone import DEVICE_ID, WEBHOOK_PATH
from tests.inbound_jobs import handle_job_ids, handle_queued

LEADER = "+22371139685"  # Mamadou Dembélé, leader at Kotaka (MOPTI)
ALERT = "ALERTE 3 des hommes armés au marché de Konna"
RECEIVED_AT = datetime(2026, 3, 14, 9, 30, 12, tzinfo=UTC)
SIX_MINUTES = 6 * 60
LONG_TEXT = "Reunion du cadre de concertation de Mopti demain a 10h a la mairie. " * 3  # 2 SMS parts


@pytest.fixture
def env(base_env, fake_phone) -> dict[str, str]:
    """The test gateway with the fake phone as its SMS channel."""
    return {**base_env, **fake_phone.env(), "PUBLIC_BASE_URL": "https://gw.example.org"}


def messages(runtime, direction: str = Direction.IN) -> list[Message]:
    """Every message in one direction, oldest first."""
    with runtime.db.transaction() as session:
        return list(session.scalars(select(Message).where(Message.direction == direction).order_by(Message.id)))


def replies(runtime, address: str = LEADER) -> list[Message]:
    """The messages queued to one address (an alert also pages the district's officer)."""
    return [m for m in messages(runtime, Direction.OUT) if m.address == address]


def signature(fake, body: bytes, timestamp: str) -> str:
    """What the phone puts in X-Signature for this body and timestamp."""
    return hmac.new(fake.signing_key.encode(), body + timestamp.encode(), hashlib.sha256).hexdigest()


@pytest.mark.parametrize("sender", [LEADER, "71 13 96 85", "0022371139685"], ids=["e164", "national", "00-prefix"])
def test_signed_sms_from_a_leader_is_stored_and_answered(runtime, client, directory, fake_phone, sender):
    delivery = fake_phone.inject_inbound(client, sender, ALERT, RECEIVED_AT)
    assert delivery.status == 200
    message_id = delivery.envelope["payload"]["messageId"]  # the app's 32-bit hash in hex, not padded
    assert len(delivery.envelope["id"]) == 21 and re.fullmatch(r"[0-9a-f]{1,8}", message_id)
    assert replies(runtime) == [], "answered before handling: the reply comes from the job"
    assert handle_queued(runtime) == 1
    [stored] = messages(runtime)
    assert (stored.channel, stored.address, stored.body, stored.status) == ("android", LEADER, ALERT, "received")
    assert stored.contact_id is not None and stored.processed_at is not None
    [reply] = replies(runtime)
    assert (reply.channel, reply.address, reply.status) == ("android", LEADER, MessageStatus.QUEUED)
    assert reply.body == "Alerte #1 enregistrée, gravité 3. Merci, elle est transmise."


def test_event_posted_to_a_real_url_is_stored(runtime, app, directory, fake_phone):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}{WEBHOOK_PATH}"
        assert fake_phone.inject_inbound(url, LEADER, ALERT, RECEIVED_AT).status == 200
    finally:
        server.shutdown()
    assert [m.body for m in messages(runtime)] == [ALERT]


@pytest.mark.parametrize(
    "how",
    [{"key": "wrongkey"}, {"skew": -SIX_MINUTES}, {"skew": SIX_MINUTES}],
    ids=["wrong-key", "timestamp-6-min-old", "timestamp-6-min-ahead"],
)
def test_badly_signed_event_is_refused_and_nothing_stored(runtime, client, directory, fake_phone, how):
    assert fake_phone.inject_inbound(client, LEADER, ALERT, RECEIVED_AT, **how).status == 403
    assert messages(runtime) == [] and messages(runtime, Direction.OUT) == []


UNSIGNED = [
    pytest.param(lambda sig, ts: {}, id="no-headers"),
    pytest.param(lambda sig, ts: {"X-Timestamp": ts}, id="no-signature"),
    pytest.param(lambda sig, ts: {"X-Signature": sig}, id="no-timestamp"),
    pytest.param(lambda sig, ts: {"X-Signature": sig, "X-Timestamp": f"{ts}.0"}, id="timestamp-not-digits"),
    pytest.param(lambda sig, ts: {"X-Signature": sig[:-1], "X-Timestamp": ts}, id="signature-cut-short"),
    pytest.param(lambda sig, ts: {"X-Signature": "é" * 64, "X-Timestamp": ts}, id="non-ascii-signature"),
    pytest.param(lambda sig, ts: {"X-Signature": sig, "X-Timestamp": "²"}, id="timestamp-superscript-digit"),
]


@pytest.mark.parametrize("headers", UNSIGNED)
def test_event_without_a_usable_signature_is_refused(runtime, client, directory, fake_phone, headers):
    envelope = fake_phone.envelope("sms:received", {"messageId": "0badc0de", "sender": LEADER, "message": ALERT})
    body, timestamp = json.dumps(envelope).encode(), str(int(time.time()))
    sent = headers(signature(fake_phone, body, timestamp), timestamp)
    response = client.post(WEBHOOK_PATH, data=body, headers=sent, content_type="application/json")
    assert response.status_code == 403 and messages(runtime) == []


def test_retry_after_a_refusal_is_re_signed_and_stored_once(runtime, client, directory, fake_phone):
    fake_phone.inject_inbound(client, LEADER, ALERT, RECEIVED_AT, skew=-SIX_MINUTES, retries=3)
    first, second = fake_phone.deliveries
    assert (first.status, second.status) == (403, 200)
    assert first.body == second.body and first.envelope["id"] == second.envelope["id"]
    assert first.timestamp != second.timestamp and first.signature != second.signature
    assert [m.body for m in messages(runtime)] == [ALERT]


def test_the_same_sms_in_a_new_envelope_is_stored_once(runtime, client, directory, fake_phone):
    first = fake_phone.inject_inbound(client, LEADER, ALERT, RECEIVED_AT)
    again = fake_phone.redeliver(client, first)
    assert (first.status, again.status) == (200, 200)
    assert again.envelope["id"] != first.envelope["id"] and again.envelope["payload"] == first.envelope["payload"]
    assert again.timestamp >= first.timestamp and again.signature != first.signature
    assert handle_job_ids(runtime) == [f"handle-{messages(runtime)[0].id}"], "the redelivery queues nothing"
    handle_queued(runtime)
    assert len(messages(runtime)) == 1 and len(replies(runtime)) == 1


@pytest.mark.parametrize(
    "text,received_at",
    [("ALERTE 2 tension au puits de Kotaka", RECEIVED_AT), (ALERT, RECEIVED_AT + timedelta(seconds=1))],
    ids=["other-text-same-time", "same-text-a-second-later"],
)
def test_another_sms_from_the_same_sender_is_a_second_message(
    runtime, client, directory, fake_phone, text, received_at
):
    fake_phone.inject_inbound(client, LEADER, ALERT, RECEIVED_AT)
    assert fake_phone.inject_inbound(client, LEADER, text, received_at).status == 200
    assert [m.body for m in messages(runtime)] == [ALERT, text]


def envelope_bytes(fake, event: str | None, payload) -> bytes:
    """An envelope with this event and payload (keys left out when None), as bytes."""
    envelope = fake.envelope(event or "sms:received", payload)
    return json.dumps({k: v for k, v in envelope.items() if v is not None and (event or k != "event")}).encode()


UNUSABLE = [
    pytest.param(lambda fake: b'{"event": "sms:received", "payload": {', id="malformed-json"),
    pytest.param(lambda fake: b"\xff\xfe not even text", id="not-utf8"),
    pytest.param(lambda fake: b"[1, 2, 3]", id="json-array"),
    pytest.param(
        lambda fake: b'{"event": "sms:received", "payload": ' + b"[" * 30_000 + b"]" * 30_000 + b"}",
        id="deeply-nested-json",
    ),
    pytest.param(lambda fake: envelope_bytes(fake, "sms:received", None), id="no-payload"),
    pytest.param(lambda fake: envelope_bytes(fake, None, {"messageId": "1a2b3c4d"}), id="no-event"),
    pytest.param(
        lambda fake: envelope_bytes(fake, "sms:received", {"sender": LEADER, "message": "x"}), id="no-messageId"
    ),
    pytest.param(
        lambda fake: envelope_bytes(
            fake, "sms:received", {"messageId": "1a2b3c4d", "sender": "Orange", "message": "Bonus!", "receivedAt": "x"}
        ),
        id="sender-not-a-phone",
    ),
    pytest.param(lambda fake: envelope_bytes(fake, "sms:delivered", {"deliveredAt": "x"}), id="status-no-messageId"),
    # PostgreSQL refuses a NUL in a query: the lookup of such an id answered 503 (found by the fuzzer, fault case 6).
    pytest.param(lambda fake: envelope_bytes(fake, "sms:failed", {"messageId": "a\u0000b"}), id="status-id-with-nul"),
    pytest.param(lambda fake: envelope_bytes(fake, "sms:sent", {"messageId": "gw1\u0000"}), id="status-ours-nul"),
    pytest.param(lambda fake: envelope_bytes(fake, "sms:delivered", {"messageId": "x" * 500}), id="status-id-too-long"),
]


@pytest.mark.parametrize("make_body", UNUSABLE)
def test_signed_but_unusable_event_gets_400_and_nothing_stored(runtime, client, directory, fake_phone, make_body):
    [delivery] = fake_phone.deliver(client, make_body(fake_phone))
    assert delivery.status == 400
    assert messages(runtime) == [] and messages(runtime, Direction.OUT) == []


def test_system_ping_is_acknowledged_and_ignored(runtime, client, directory, fake_phone):
    ping = fake_phone.envelope("system:ping", {"health": {"status": "pass"}, "deviceId": DEVICE_ID})
    [delivery] = fake_phone.deliver(client, ping)
    assert delivery.status == 200 and messages(runtime) == [] and messages(runtime, Direction.OUT) == []


# --- status events for our own messages --------------------------------------------------------------------


@pytest.fixture
def ours(runtime, directory, fake_phone) -> str:
    """A 2-part message to the leader, queued and then sent (the phone has it); its id on the phone."""
    with runtime.db.transaction() as session:
        contact = session.scalars(select(Contact).where(Contact.phone == LEADER)).one()
        message = queue_message(session, runtime, body=LONG_TEXT, contact=contact)
        message.status, message.provider_id = MessageStatus.SENT, our_id(message.id)
        phone_id = message.provider_id
    request = {"id": phone_id, "textMessage": {"text": LONG_TEXT}, "phoneNumbers": [LEADER]}
    assert fake_phone.post_message(request, "")[0] == 202 and fake_phone.parts[phone_id] == 2
    return phone_id


STATUS_SEQUENCES = [
    pytest.param(["sms:delivered", "sms:sent"], "delivered", None, id="delivered-then-a-late-sent"),
    pytest.param(["sms:delivered"], "delivered", None, id="delivered-once-per-part"),
    pytest.param(["sms:delivered", "sms:failed"], "delivered", None, id="failed-after-delivered"),
    # "not now" from the phone (its OS limit, no signal): the message goes back to the queue for a resend
    pytest.param(["sms:failed"], "queued", "android:RESULT_ERROR_LIMIT_EXCEEDED", id="transient-failure-is-retried"),
    pytest.param(["sms:sent", "sms:sent"], "sent", None, id="sent-twice"),
]


@pytest.mark.parametrize("events,status,error_code", STATUS_SEQUENCES)
def test_status_events_move_our_message_forward_only(
    runtime, client, fake_phone, ours, events, status, error_code, caplog
):
    caplog.set_level(logging.INFO, logger="gateway.messaging.delivery")
    for event in events:
        for delivery in fake_phone.emit(client, event, ours, reason="RESULT_ERROR_LIMIT_EXCEEDED"):
            assert delivery.status == 200
    [row] = messages(runtime, Direction.OUT)
    assert (row.status, row.error_code, row.provider_id) == (status, error_code, ours)
    assert (row.delivered_at is not None) == (status == "delivered")
    changes = [r.getMessage() for r in caplog.records if r.getMessage().startswith(f"message {row.id} is now")]
    assert changes == ([f"message {row.id} is now {status}"] if status not in ("sent", "queued") else []), "moved twice"


def test_a_permanent_failure_on_the_phone_fails_the_message(runtime, client, fake_phone, ours):
    [delivery] = fake_phone.emit(client, "sms:failed", ours, reason="RESULT_ERROR_NULL_PDU")
    assert delivery.status == 200
    [row] = messages(runtime, Direction.OUT)
    assert (row.status, row.error_code, row.resends) == ("failed", "android:RESULT_ERROR_NULL_PDU", 0)


@pytest.mark.parametrize("phone_id", ["Xk2mP9qLz7wB4nR1tY6vE", "gw999999", "gw"], ids=["phone-ui", "no-row", "bare"])
def test_status_for_a_message_that_is_not_ours_changes_nothing(runtime, client, fake_phone, ours, phone_id):
    for event in ("sms:sent", "sms:delivered", "sms:failed"):
        assert [d.status for d in fake_phone.emit(client, event, phone_id)] == [200]
    [row] = messages(runtime, Direction.OUT)
    assert (row.status, row.error_code, row.delivered_at) == (MessageStatus.SENT, None, None)


def test_android_channel_off_answers_404(base_env, fake_phone):
    runtime = build_runtime(load_settings(env={**base_env, "PUBLIC_BASE_URL": "https://gw.example.org"}))
    try:
        client = create_app(runtime=runtime).test_client()
        assert fake_phone.inject_inbound(client, LEADER, ALERT, RECEIVED_AT).status == 404
        assert messages(runtime) == []
    finally:
        set_process_runtime(None)
        runtime.close()
