"""The whole SMS path with real processes: a signed Twilio webhook from a leader, the alert it records, a real
worker subprocess sending the reply to a fake Twilio API on 127.0.0.1, and signed status callbacks that move the
message forward only (a late "sent" never undoes "delivered"). A 500 on the first send is retried by the
worker on its own after its backoff.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from gateway.models import Alert, AlertSource, Contact, Direction, Message, MessageStatus
from tests.fakes.twilio_api import FROM_NUMBER, PUBLIC_BASE_URL, new_sid, server_error
from tests.processes import wait_for

pytestmark = pytest.mark.e2e

REPORT = "ALERTE 3 les jeunes et les gendarmes s'affrontent au marché"
DESCRIPTION = "les jeunes et les gendarmes s'affrontent au marché"


@pytest.fixture
def env(base_env, fake_twilio):
    """The test gateway (and its worker subprocesses) with Twilio pointed at the fake."""
    return {**base_env, **fake_twilio.env()}


def sms_leader(runtime) -> Contact:
    """The first leader of the directory who prefers SMS."""
    with runtime.db.transaction() as session:
        return session.scalars(
            select(Contact).where(Contact.role == "leader", Contact.channel == "sms").order_by(Contact.id)
        ).first()


def signed_post(client, token: str, path: str, params: dict[str, str]):
    """POST a form the way Twilio does: signed with the auth token over the public URL (query included)."""
    signature = RequestValidator(token).compute_signature(PUBLIC_BASE_URL + path, params)
    return client.post(path, data=params, headers={"X-Twilio-Signature": signature})


def inbound_sms(fake, phone: str, body: str) -> dict[str, str]:
    """The form of Twilio's inbound-SMS webhook."""
    sid = new_sid()
    return {
        "ToCountry": "US",
        "SmsMessageSid": sid,
        "NumMedia": "0",
        "SmsSid": sid,
        "SmsStatus": "received",
        "Body": body,
        "FromCountry": "ML",
        "To": FROM_NUMBER,
        "NumSegments": "1",
        "MessageSid": sid,
        "AccountSid": fake.account_sid,
        "From": phone,
        "ApiVersion": "2010-04-01",
    }


def status_callback(fake, sid: str, status: str, phone: str) -> dict[str, str]:
    """The form of Twilio's delivery status callback."""
    return {
        "SmsSid": sid,
        "SmsStatus": status,
        "MessageStatus": status,
        "To": phone,
        "MessageSid": sid,
        "AccountSid": fake.account_sid,
        "From": FROM_NUMBER,
        "ApiVersion": "2010-04-01",
    }


def report_alert(runtime, client, fake, leader: Contact) -> tuple[Alert, Message]:
    """The leader reports a one-shot alert by SMS and the running worker handles it; returns the alert and the
    answer queued for them."""
    response = signed_post(client, fake.auth_token, "/webhooks/twilio/sms", inbound_sms(fake, leader.phone, REPORT))
    assert response.status_code == 200
    assert response.mimetype == "application/xml" and b"<Message" not in response.data  # replies go via the outbox

    def handled():
        with runtime.db.transaction() as session:
            alerts = session.scalars(select(Alert)).all()
            replies = session.scalars(
                select(Message).where(Message.direction == Direction.OUT, Message.address == leader.phone)
            ).all()
        return (alerts, replies) if alerts and replies else None

    [alert], [reply] = wait_for(handled, message="the worker's handling of the SMS")
    assert (alert.severity, alert.description, alert.source) == (3, DESCRIPTION, AlertSource.ONESHOT)
    assert alert.reporter_id == leader.id
    assert reply.channel == "twilio"
    return alert, reply


def sent_to(fake, phone: str) -> list:
    """The requests the fake received for one recipient (officers may be paged through it too)."""
    return [r for r in fake.requests if r.form.get("To") == phone]


def message_row(runtime, message_id: int) -> Message:
    """A fresh copy of one message row."""
    with runtime.db.transaction() as session:
        return session.get(Message, message_id)


def confirm_delivery(runtime, client, fake, message: Message, sid: str) -> None:
    """Twilio reports delivered, then (late, out of order) sent: the row ends and stays delivered."""
    path = f"/webhooks/twilio/status?mid={message.id}"
    delivered = signed_post(client, fake.auth_token, path, status_callback(fake, sid, "delivered", message.address))
    assert delivered.status_code == 204
    row = message_row(runtime, message.id)
    assert row.status == MessageStatus.DELIVERED and row.delivered_at is not None and row.provider_id == sid
    late = signed_post(client, fake.auth_token, path, status_callback(fake, sid, "sent", message.address))
    assert late.status_code == 204
    assert message_row(runtime, message.id).status == MessageStatus.DELIVERED


def assert_worker_log_is_clean(worker, fake, phone: str) -> None:
    """The worker's own output holds neither the auth token nor the leader's full number."""
    output = worker.output()
    assert "sent on twilio" in output, output[-2000:]
    assert fake.auth_token not in output
    assert phone not in output


def test_alert_by_sms_is_answered_by_the_worker_and_delivered(runtime, client, directory, fake_twilio, start_process):
    leader = sms_leader(runtime)
    worker = start_process("worker")
    alert, reply = report_alert(runtime, client, fake_twilio, leader)

    wait_for(lambda: sent_to(fake_twilio, leader.phone), timeout=30, message="the worker's send to the fake Twilio")
    [request] = sent_to(fake_twilio, leader.phone)
    assert request.auth_ok and request.answered == 201
    assert request.form["To"] == leader.phone and request.form["From"] == FROM_NUMBER
    assert f"#{alert.id}" in request.form["Body"]
    assert request.form["StatusCallback"] == f"{PUBLIC_BASE_URL}/webhooks/twilio/status?mid={reply.id}"

    wait_for(lambda: message_row(runtime, reply.id).status == MessageStatus.SENT, message="the reply recorded as sent")
    row = message_row(runtime, reply.id)
    assert (row.provider_id, row.attempts, row.error_code) == (request.sid, 1, None)

    confirm_delivery(runtime, client, fake_twilio, reply, request.sid)
    assert len(sent_to(fake_twilio, leader.phone)) == 1  # sent once
    assert_worker_log_is_clean(worker, fake_twilio, leader.phone)


def test_send_failing_with_500_is_retried_by_the_worker_until_delivered(
    runtime, client, directory, fake_twilio, start_process
):
    leader = sms_leader(runtime)
    fake_twilio.script(server_error(), to=leader.phone)
    worker = start_process("worker")
    alert, reply = report_alert(runtime, client, fake_twilio, leader)

    wait_for(lambda: len(sent_to(fake_twilio, leader.phone)) >= 2, timeout=30, message="the retry after a 500")
    first, second = sent_to(fake_twilio, leader.phone)
    assert (first.answered, second.answered) == (500, 201)
    assert first.form == second.form and f"#{alert.id}" in second.form["Body"]

    wait_for(lambda: message_row(runtime, reply.id).status == MessageStatus.SENT, message="the retried reply as sent")
    row = message_row(runtime, reply.id)
    assert (row.provider_id, row.attempts, row.error_code) == (second.sid, 2, None)

    confirm_delivery(runtime, client, fake_twilio, reply, second.sid)
    assert len(sent_to(fake_twilio, leader.phone)) == 2
    assert_worker_log_is_clean(worker, fake_twilio, leader.phone)
