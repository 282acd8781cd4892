"""Twilio delivery status callbacks, as a table of captured-style requests (invariants 4, 5 and 7).

Each row starts from one reply to a directory leader that a worker has handed to Twilio (status `sent`, with
Twilio's MessageSid), posts the callbacks Twilio would send to `/webhooks/twilio/status?mid=<our id>`, and checks
what an operator would see on the message row and on the leader's directory entry.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from gateway.messaging.outbox import queue_message
from gateway.models import Contact, Message, MessageStatus, utcnow
from tests.bots.twilio.test_webhooks import (
    ACCOUNT_SID,
    LEADER_PHONE,
    PUBLIC_BASE_URL,
    TOKEN,
    load_form,
    post_form,
    sign,
)

STATUS_PATH = "/webhooks/twilio/status"
PROVIDER_ID = load_form("status_sent")["MessageSid"]  # the SID Twilio gave our message when it accepted it


@pytest.fixture
def env(base_env) -> dict[str, str]:
    """The test gateway with the Twilio channel."""
    return {
        **base_env,
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": TOKEN,
        "TWILIO_FROM_NUMBER": "+15005550006",
        "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
    }


@pytest.fixture
def sent_reply(runtime, directory) -> int:
    """The id of a reply to the leader, already accepted by Twilio (set directly: no worker runs here)."""
    with runtime.db.transaction() as session:
        leader = session.scalars(select(Contact).where(Contact.phone == LEADER_PHONE)).one()
        message = queue_message(session, runtime, contact=leader, body="Alerte #12 enregistrée, gravité 3.")
        assert message.channel == "twilio"
        message_id = message.id
    with runtime.db.transaction() as session:
        session.execute(
            update(Message)
            .where(Message.id == message_id)
            .values(status=MessageStatus.SENT, provider_id=PROVIDER_ID, sent_at=utcnow(), attempts=1)
        )
    return message_id


@dataclass(frozen=True)
class Case:
    """One status callback (after some earlier ones) and what it should leave on the message and the contact."""

    label: str
    fixture: str
    fields: dict[str, str | None] = field(default_factory=dict)  # overrides of the captured body; None drops
    prep: str = "sign"  # sign | unsigned | bad-sign
    mid: str = "ours"  # ours | unknown | none (no ?mid=: found by MessageSid)
    before: tuple[str, ...] = ()  # callbacks Twilio sent first (signed, to our mid)
    expected_status: int = 204
    expected_in_response: str = ""  # in the JSON reason of a refusal
    expected_row: dict | None = None  # status and error_code of our message afterwards; None: unchanged
    expected_unreachable: bool = False  # the leader's sms_unreachable afterwards


CASES = [
    Case("delivered", "status_delivered", expected_row={"status": "delivered", "error_code": None}),
    Case("late 'sent' after 'delivered' does not move it back", "status_sent", before=("status_delivered",),
         expected_row={"status": "delivered", "error_code": None}),
    Case("undelivered, handset unreachable (30003)", "status_undelivered_30003",
         expected_row={"status": "failed", "error_code": "30003"}),
    Case("failed, recipient unsubscribed (21610) marks the number unreachable", "status_failed_21610",
         expected_row={"status": "failed", "error_code": "21610"}, expected_unreachable=True),
    Case("late 'sent' after 'failed' keeps the failure", "status_sent", before=("status_undelivered_30003",),
         expected_row={"status": "failed", "error_code": "30003"}),
    Case("found by MessageSid when the URL has no mid", "status_delivered", mid="none",
         expected_row={"status": "delivered", "error_code": None}),
    Case("unsigned", "status_delivered", prep="unsigned", expected_status=403, expected_in_response="Signature"),
    Case("bad signature", "status_failed_21610", prep="bad-sign", expected_status=403,
         expected_in_response="Signature"),
    Case("unknown MessageStatus", "status_delivered", fields={"MessageStatus": "exploded", "SmsStatus": "exploded"},
         expected_status=400, expected_in_response="unknown MessageStatus"),
    Case("unknown mid", "status_failed_21610", mid="unknown"),
    Case("missing MessageSid", "status_delivered", fields={"MessageSid": None, "SmsSid": None},
         expected_status=400, expected_in_response="MessageSid"),
    Case("another Twilio account", "status_failed_21610", fields={"AccountSid": "AC" + "b" * 32},
         expected_status=400, expected_in_response="AccountSid"),
]  # fmt: skip


def status_path(case: Case, message_id: int) -> str:
    """Our status callback URL for the case's mid, as given to Twilio when the message was sent."""
    return {"ours": f"{STATUS_PATH}?mid={message_id}", "unknown": f"{STATUS_PATH}?mid={message_id + 1000}"}.get(
        case.mid, STATUS_PATH
    )


def snapshot(runtime, message_id: int) -> dict:
    """What an operator sees of our message and of the leader's reachability."""
    with runtime.db.transaction() as session:
        row = session.get(Message, message_id)
        contact = session.get(Contact, row.contact_id)
        return {
            "status": row.status,
            "error_code": row.error_code,
            "provider_id": row.provider_id,
            "delivered_at": row.delivered_at,
            "sms_unreachable": contact.sms_unreachable,
        }


@pytest.mark.parametrize("case", CASES, ids=[c.label for c in CASES])
def test_status_callback(case: Case, client, runtime, sent_reply):
    for name in case.before:
        earlier, path = load_form(name), f"{STATUS_PATH}?mid={sent_reply}"
        assert post_form(client, path, earlier, sign(PUBLIC_BASE_URL + path, earlier)).status_code == 204
    before = snapshot(runtime, sent_reply)
    path, form = status_path(case, sent_reply), load_form(case.fixture, **case.fields)
    headers = {
        "sign": sign(PUBLIC_BASE_URL + path, form),
        "bad-sign": {"X-Twilio-Signature": "bm90IGEgcmVhbCBzaWduYXR1cmU="},
        "unsigned": {},
    }[case.prep]

    response = post_form(client, path, form, headers)

    assert response.status_code == case.expected_status, response.get_data(as_text=True)[:300]
    if case.expected_status == 204:
        assert response.get_data() == b""
    else:
        assert response.is_json and case.expected_in_response in response.get_json()["reason"]
    after = snapshot(runtime, sent_reply)
    if case.expected_row is None:
        assert after == before, "a refused or unmatched callback changed the message"
        return
    assert {k: after[k] for k in case.expected_row} == case.expected_row
    assert after["provider_id"] == PROVIDER_ID
    assert after["sms_unreachable"] is case.expected_unreachable
    if after["status"] == "delivered":
        assert utcnow() - timedelta(minutes=1) < after["delivered_at"] <= utcnow()
        if case.before:
            assert after["delivered_at"] == before["delivered_at"], "a late callback rewrote the delivery time"
    else:
        assert after["delivered_at"] is None


def test_status_callback_does_not_touch_inbound_messages(client, runtime, sent_reply):
    """A mid that names an inbound message (a leader's SMS) is ignored, not turned into a delivery report."""
    inbound = load_form("receive_freetext")
    sms_path = "/webhooks/twilio/sms"
    assert post_form(client, sms_path, inbound, sign(PUBLIC_BASE_URL + sms_path, inbound)).status_code == 200
    with runtime.db.transaction() as session:
        kept = session.scalars(select(Message).where(Message.provider_id == inbound["MessageSid"])).one()
        kept_id, kept_status = kept.id, kept.status
    path, form = f"{STATUS_PATH}?mid={kept_id}", load_form("status_failed_21610")
    assert post_form(client, path, form, sign(PUBLIC_BASE_URL + path, form)).status_code == 204
    with runtime.db.transaction() as session:
        assert session.get(Message, kept_id).status == kept_status == "received"
    ours = snapshot(runtime, sent_reply)
    assert (ours["status"], ours["sms_unreachable"]) == ("sent", False)
