"""`POST /webhooks/callgate` through the Flask test client, as a table of the app's realistic events: only a body
signed with the phone's key and a fresh X-Timestamp gets in; each event is stored (once per envelope id) before the
answer, with the caller's number normalised (or none, when Android left it out); unusable events get a 400 and
store nothing. What a stored event leads to (a missed call) is tested in tests/gateway/calls."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from gateway.models import Direction, Message
from tests.fakes.callgate_phone import DEVICE_ID, WEBHOOK_PATH
from tests.inbound_jobs import handle_job_ids, handle_queued

LEADER = "+22376972134"  # Abdoulaye Togo, leader at Koro (KORO)


@pytest.fixture
def env(base_env, fake_callgate) -> dict[str, str]:
    """The test gateway with the fake phone's CallGate configured."""
    return {**base_env, **fake_callgate.env(), "PUBLIC_BASE_URL": "https://gw.example.org"}


def stored(runtime) -> list[Message]:
    """Every inbound record, oldest first."""
    with runtime.db.transaction() as session:
        return list(session.scalars(select(Message).where(Message.direction == Direction.IN).order_by(Message.id)))


def envelope(event: str = "call:ringing", payload: object = None, **changes) -> dict:
    """The app's envelope for one event (payload: the caller's number by default)."""
    body = {
        "id": "cKTqpr_Rrdgqzsv5ZyqWT",
        "webhookId": "gateway-" + event.replace(":", "-"),
        "event": event,
        "deviceId": DEVICE_ID,
        "payload": {"phoneNumber": "76972134"} if payload is None else payload,
    }
    return {**body, **changes}


@dataclass(frozen=True)
class Case:
    """One request and what it must lead to."""

    label: str
    body: dict | list | bytes
    status: int
    address: str | None = None  # the stored record's address ("" when the number was left out); None: nothing stored
    reason: str = ""  # part of the 400's description
    key: str | None = None  # the key the phone signs with (default: the right one)
    skew: float = 0  # the phone's clock, off by this many seconds


CASES = [
    Case("ringing-national-number", envelope(), 200, LEADER),
    Case("ringing-e164", envelope(payload={"phoneNumber": LEADER}), 200, LEADER),
    Case("ringing-00-prefix", envelope(payload={"phoneNumber": "0022376972134"}), 200, LEADER),
    Case("ringing-spaced", envelope(payload={"phoneNumber": "+223 76 97 21 34"}), 200, LEADER),
    Case("started", envelope("call:started"), 200, LEADER),
    Case("ended", envelope("call:ended"), 200, LEADER),
    Case("number-left-out-by-gson", envelope(payload={}), 200, ""),
    Case("number-null", envelope("call:ended", payload={"phoneNumber": None}), 200, ""),
    Case("number-withheld", envelope(payload={"phoneNumber": "-1"}), 200, ""),
    Case("ussd-code-not-a-caller", envelope(payload={"phoneNumber": "*123#"}), 200, ""),
    Case("unknown-event", envelope("call:missed"), 400, reason="unknown CallGate event"),
    Case("sms-app-event", envelope("sms:received"), 400, reason="unknown CallGate event"),
    Case("no-event", {k: v for k, v in envelope().items() if k != "event"}, 400, reason="'event' missing"),
    Case("no-payload", {k: v for k, v in envelope().items() if k != "payload"}, 400, reason="'payload' missing"),
    Case("payload-not-object", envelope(payload=["76972134"]), 400, reason="'payload' missing"),
    Case("number-not-text", envelope(payload={"phoneNumber": 76972134}), 400, reason="not text"),
    Case("no-id", {k: v for k, v in envelope().items() if k != "id"}, 400, reason="'id'"),
    Case("id-with-nul", envelope(id="abc\x00def"), 400, reason="'id'"),
    Case("id-too-long", envelope(id="x" * 65), 400, reason="'id'"),
    Case("no-device", envelope(deviceId=None), 400, reason="'deviceId'"),
    Case("json-list", [envelope()], 400, reason="'event' missing"),
    Case("not-json", b"event=call:ringing", 400, reason="malformed JSON"),
    Case("wrong-key", envelope(), 403, key="wrongkey"),
    Case("timestamp-6-min-old", envelope(), 403, skew=-360),
    Case("timestamp-6-min-ahead", envelope(), 403, skew=360),
]


@pytest.mark.parametrize("case", CASES, ids=[c.label for c in CASES])
def test_call_event(runtime, client, directory, fake_callgate, case):
    delivery = fake_callgate.deliver(client, case.body, at=time.time() + case.skew, key=case.key)
    assert delivery.status == case.status
    rows = stored(runtime)
    if case.address is None:
        assert rows == [] and handle_job_ids(runtime) == []
        return
    [row] = rows
    assert (row.channel, row.address, row.body, row.status) == ("callgate", case.address, "", "received")
    meta = json.loads(row.meta)
    assert meta == {"call": case.body["event"], "device": DEVICE_ID, "stamped": delivery.timestamp}
    assert row.provider_id == "call-cKTqpr_Rrdgqzsv5ZyqWT"
    assert len(handle_job_ids(runtime)) == 1, "the work happens in a job that takes the record's id"
    handle_queued(runtime)
    [row] = stored(runtime)
    assert (row.contact_id is not None) == (case.address == LEADER), "the job links the call to the directory"


def test_refusal_says_why(client, fake_callgate):
    response = client.post(WEBHOOK_PATH, data=json.dumps(envelope("call:missed")), content_type="application/json")
    assert response.status_code == 403  # unsigned: refused before the body is read
    delivery = fake_callgate.deliver(client, envelope("call:missed"))
    assert delivery.status == 400


@pytest.mark.parametrize(
    "headers",
    [{}, {"X-Timestamp": "1"}, {"X-Signature": "ab" * 32}, {"X-Signature": "é" * 64, "X-Timestamp": "1700000000"}],
    ids=["no-headers", "no-signature", "no-timestamp", "non-ascii-signature"],
)
def test_unsigned_event_is_refused(runtime, client, headers):
    response = client.post(WEBHOOK_PATH, data=json.dumps(envelope()), headers=headers, content_type="application/json")
    assert response.status_code == 403 and stored(runtime) == []


def test_replay_answers_the_same_and_stores_once(runtime, client, directory, fake_callgate):
    event = envelope()
    first, again = fake_callgate.deliver(client, event), fake_callgate.deliver(client, event)
    assert (first.status, again.status) == (200, 200)
    assert len(stored(runtime)) == 1 and len(handle_job_ids(runtime)) == 1


def test_answer_names_the_event(client, fake_callgate):
    response = client.post(
        WEBHOOK_PATH,
        data=(body := json.dumps(envelope("call:ended")).encode()),
        headers=_signed(fake_callgate, body),
        content_type="application/json",
    )
    assert response.status_code == 200 and response.get_json() == {"ok": True, "event": "call:ended"}


def _signed(fake, body: bytes) -> dict[str, str]:
    import hashlib
    import hmac

    timestamp = str(int(time.time()))
    signature = hmac.new(fake.signing_key.encode(), body + timestamp.encode(), hashlib.sha256).hexdigest()
    return {"X-Signature": signature, "X-Timestamp": timestamp}
