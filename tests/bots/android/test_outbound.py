"""Invariants 3 and 4 on the Android channel: an outbox row sent by `workers.outbound.send_message` to the fake
phone over HTTP. What becomes of the row (status, error code, attempts, next attempt, a scheduled retry) and what
went over the wire, for each way the phone answers: 202, 409 (ours already, or someone else's id), 400, 500, a
refused connection, a hang. Our id makes a second send harmless; the phone being off never fails a message; the
password is never logged."""

from __future__ import annotations

import base64
import dataclasses
import logging
import time
from datetime import timedelta

import pytest
from rq.registry import ScheduledJobRegistry
from sqlalchemy import select, update

import bots.android
from bots.android import our_id
from gateway.messaging.channels import build_channel
from gateway.messaging.outbox import queue_message
from gateway.messaging.sms_text import count_segments
from gateway.models import Contact, Message, MessageStatus, utcnow
from tests.fakes.android_phone import CAP_PER_MINUTE, PASSWORD, USER, Canned, FakePhone
from workers.outbound import send_message
from workers.queues import QUEUE_URGENT, queue, send_job_id

LEADER = "+22371139685"  # Mamadou Dembélé, leader at Kotaka (MOPTI)
TEXT = "Alerte #7 enregistrée, gravité 3. Merci, elle est transmise."
SECRETS = (PASSWORD, base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode())


@pytest.fixture
def env(base_env, fake_phone) -> dict[str, str]:
    """The test gateway with the fake phone as its SMS channel; a message fails after 2 attempts."""
    return {**base_env, **fake_phone.env(), "SEND_MAX_ATTEMPTS": "2"}


@pytest.fixture(autouse=True)
def capture_everything(caplog):
    """Capture every log record, DEBUG included (httpx's and httpcore's own)."""
    caplog.set_level(logging.DEBUG)


def queue_one(runtime, body: str = TEXT, address: str | None = None) -> int:
    """Queue a message to the leader (or to a bare `address` on the Android channel); its id."""
    with runtime.db.transaction() as session:
        if address is None:
            contact = session.scalars(select(Contact).where(Contact.phone == LEADER)).one()
            message = queue_message(session, runtime, body=body, contact=contact)
        else:
            message = queue_message(session, runtime, body=body, channel="android", address=address)
        assert message.channel == "android"
        return message.id


def row(runtime, message_id: int) -> Message:
    """A fresh copy of one message row."""
    with runtime.db.transaction() as session:
        return session.get(Message, message_id)


def make_due(runtime, message_id: int, **values) -> None:
    """Bring the row's next attempt forward to now (and set other `values`)."""
    with runtime.db.transaction() as session:
        session.execute(
            update(Message).where(Message.id == message_id).values(next_attempt_at=utcnow() - timedelta(seconds=1))
        )
        if values:
            session.execute(update(Message).where(Message.id == message_id).values(**values))


def scheduled(runtime) -> list[str]:
    """Jobs waiting in the urgent queue's scheduled registry."""
    return ScheduledJobRegistry(queue=queue(runtime.redis, QUEUE_URGENT)).get_job_ids()


def assert_retry_planned(runtime, message_id: int, error_code: str, attempts: int) -> None:
    """The row waits as `queued` for a later attempt, and that attempt is a scheduled job."""
    msg = row(runtime, message_id)
    assert (msg.status, msg.error_code, msg.attempts) == (MessageStatus.QUEUED, error_code, attempts)
    assert msg.next_attempt_at > utcnow()
    assert send_job_id(message_id, attempts) in scheduled(runtime)


def assert_no_secret_logged(caplog, capfd) -> None:
    """Neither the password nor the Basic credentials are in a log record or on stdout/stderr."""
    out, err = capfd.readouterr()
    assert caplog.records, "nothing was logged: the check would prove nothing"
    for secret in SECRETS:
        assert secret not in caplog.text and secret not in out and secret not in err


def test_accepted_message_is_sent_with_the_exact_body(runtime, directory, fake_phone, caplog, capfd):
    message_id = queue_one(runtime)
    assert send_message(message_id) == "sent"
    [post] = fake_phone.requests
    assert (post.method, post.path, post.auth_ok, post.answered) == ("POST", "/messages", True, 202)
    assert post.body == {
        "id": f"gw{message_id}",
        "textMessage": {"text": TEXT},
        "phoneNumbers": [LEADER],
        "withDeliveryReport": True,
    }
    msg = row(runtime, message_id)
    assert (msg.status, msg.provider_id, msg.attempts, msg.error_code) == ("sent", f"gw{message_id}", 1, None)
    assert msg.sent_at is not None and msg.next_attempt_at is None
    assert fake_phone.messages[our_id(message_id)]["recipients"] == [
        {"phoneNumber": LEADER, "state": "Pending", "error": None}
    ]
    assert_no_secret_logged(caplog, capfd)


def test_sending_the_same_row_again_gets_409_and_stays_sent(runtime, directory, fake_phone):
    message_id = queue_one(runtime)
    send_message(message_id)
    make_due(runtime, message_id, status=MessageStatus.QUEUED)  # e.g. the sweeper freed it after a crash
    assert send_message(message_id) == "sent"
    answers = [(r.method, r.path, r.answered) for r in fake_phone.requests]
    assert answers == [
        ("POST", "/messages", 202),
        ("POST", "/messages", 409),
        ("GET", f"/messages/gw{message_id}", 200),
    ]
    assert list(fake_phone.messages) == [our_id(message_id)], "one message on the phone"
    msg = row(runtime, message_id)
    assert (msg.status, msg.error_code, msg.attempts) == ("sent", None, 2)


def test_409_for_an_id_the_phone_holds_for_another_recipient_fails(runtime, directory, fake_phone):
    message_id = queue_one(runtime)
    other = {"id": our_id(message_id), "textMessage": {"text": "?"}, "phoneNumbers": ["+22365598143"]}
    assert fake_phone.post_message(other, "")[0] == 202  # e.g. a database restored from an old backup
    assert send_message(message_id) == "failed"
    msg = row(runtime, message_id)
    assert (msg.status, msg.error_code) == ("failed", "android:id_conflict")
    assert scheduled(runtime) == []


@pytest.mark.parametrize(
    "address,script",
    [("71139685", ()), (LEADER, (Canned(400, {"message": "textMessage.text is too long"}),))],
    ids=["not-e164", "scripted-400"],
)
def test_400_fails_and_is_not_retried(runtime, directory, fake_phone, address, script):
    fake_phone.script(*script)
    message_id = queue_one(runtime, address=address)
    assert send_message(message_id) == "failed"
    [post] = fake_phone.posts()
    assert post.answered == 400 and fake_phone.messages == {}
    msg = row(runtime, message_id)
    assert (msg.status, msg.error_code, msg.attempts) == ("failed", "android:400", 1)
    assert scheduled(runtime) == []


def test_server_error_is_retried_then_sent(runtime, directory, fake_phone):
    fake_phone.script(Canned(500, {"message": "Internal Server Error"}))
    message_id = queue_one(runtime)
    assert send_message(message_id) == "retry"
    assert_retry_planned(runtime, message_id, "android:500", 1)
    assert row(runtime, message_id).next_attempt_at < utcnow() + timedelta(seconds=6)  # 5 s backoff
    make_due(runtime, message_id)
    assert send_message(message_id) == "sent"
    assert [r.answered for r in fake_phone.posts()] == [500, 202]
    msg = row(runtime, message_id)
    assert (msg.status, msg.error_code, msg.attempts) == ("sent", None, 2)


def test_server_errors_give_up_after_the_last_attempt(runtime, directory, fake_phone):
    fake_phone.script(*[Canned(503, {"message": "busy"})] * 2)
    message_id = queue_one(runtime)
    send_message(message_id)
    make_due(runtime, message_id)
    send_message(message_id)
    msg = row(runtime, message_id)
    assert (msg.status, msg.error_code, msg.attempts) == ("failed", "android:503", 2)
    assert [r.answered for r in fake_phone.posts()] == [503, 503]


def test_phone_off_is_retried_forever_and_sent_when_it_is_back(runtime, directory, fake_phone, caplog, capfd):
    port = int(fake_phone.url.rsplit(":", 1)[1])
    fake_phone.stop()
    message_id = queue_one(runtime)
    assert send_message(message_id) == "retry"
    assert_retry_planned(runtime, message_id, "network:ConnectError", 1)
    for attempts in (2, 3, 4):  # past SEND_MAX_ATTEMPTS=2: waiting for the phone is not giving up
        make_due(runtime, message_id)
        assert send_message(message_id) == "retry"
        assert_retry_planned(runtime, message_id, "network:ConnectError", attempts)
    back = FakePhone().start(port)
    try:
        make_due(runtime, message_id)
        assert send_message(message_id) == "sent"
        assert [p.body["id"] for p in back.posts()] == [our_id(message_id)]
    finally:
        back.stop()
    msg = row(runtime, message_id)
    assert (msg.status, msg.error_code, msg.attempts) == ("sent", None, 5)
    assert_no_secret_logged(caplog, capfd)


def test_timeout_is_retried_and_the_retry_does_not_send_twice(runtime, directory, fake_phone, monkeypatch):
    monkeypatch.setattr(bots.android, "SEND_TIMEOUT_SECONDS", 0.3)
    fake_phone.script(Canned(delay=2.0))  # the phone takes the message but answers too late
    message_id = queue_one(runtime)
    assert send_message(message_id) == "retry"
    assert_retry_planned(runtime, message_id, "network:ReadTimeout", 1)
    make_due(runtime, message_id)
    assert send_message(message_id) == "sent"
    assert [r.answered for r in fake_phone.posts()] == [202, 409]
    assert list(fake_phone.messages) == [our_id(message_id)]
    assert row(runtime, message_id).status == "sent"


def test_wrong_password_waits_for_the_phone_and_says_why(runtime, directory, fake_phone, caplog, capfd):
    settings = dataclasses.replace(runtime.settings, android_gateway_password="not-the-password")
    runtime.channels["android"] = build_channel("android", settings)
    message_id = queue_one(runtime)
    assert send_message(message_id) == "retry"
    assert_retry_planned(runtime, message_id, "android:401", 1)
    [post] = fake_phone.posts()
    assert (post.auth_ok, post.answered) == (False, 401)
    assert "ANDROID_GATEWAY_USER" in caplog.text and "not-the-password" not in caplog.text
    assert_no_secret_logged(caplog, capfd)


def test_french_text_goes_out_in_gsm7(runtime, directory, fake_phone):
    body = "Réunion à Koro: êtes-vous prêts? «Oui» – c’est noté. Ça commence à 10h…"
    message_id = queue_one(runtime, body=body)
    send_message(message_id)
    [post] = fake_phone.posts()
    text = post.body["textMessage"]["text"]
    assert text == 'Réunion à Koro: etes-vous prets? "Oui" - c\'est noté. Ça commence à 10h...'
    assert count_segments(text).encoding == "GSM-7" and fake_phone.parts[our_id(message_id)] == 1


def test_paced_sending_never_trips_androids_cap(runtime, directory, fake_phone):
    fake_phone.cap = CAP_PER_MINUTE
    with runtime.db.transaction() as session:
        leaders = session.scalars(select(Contact).where(Contact.role == "leader").order_by(Contact.id)).all()[:35]
        ids = [
            queue_message(session, runtime, body=TEXT, contact=c, channel="android", address=c.phone) for c in leaders
        ]
        session.flush()
        ids = [m.id for m in ids]
    outcomes = [send_message(i) for i in ids]
    assert outcomes == ["sent"] * 25 + ["paced"] * 10, "20 a minute, +5 for urgent messages"
    assert fake_phone.busiest_minute() == 25 and {m["state"] for m in fake_phone.messages.values()} == {"Pending"}


def test_past_the_cap_the_phone_takes_the_message_then_reports_it_failed(runtime, client, directory, fake_phone):
    fake_phone.cap = CAP_PER_MINUTE
    fake_phone.accepted.append((time.time(), CAP_PER_MINUTE, "typed-in-the-app"))  # the minute is used up
    message_id = queue_one(runtime)
    assert send_message(message_id) == "sent"
    assert fake_phone.messages[our_id(message_id)]["recipients"][0]["error"] == "RESULT_ERROR_LIMIT_EXCEEDED"
    [delivery] = fake_phone.emit(client, "sms:failed", our_id(message_id), reason="RESULT_ERROR_LIMIT_EXCEEDED")
    assert delivery.status == 200
    msg = row(runtime, message_id)
    assert (msg.status, msg.error_code, msg.resends) == ("queued", "android:RESULT_ERROR_LIMIT_EXCEEDED", 1)
    fake_phone.cap = None  # the next minute: the phone can send again
    with runtime.db.transaction() as session:
        session.execute(update(Message).where(Message.id == message_id).values(next_attempt_at=None))
    assert send_message(message_id) == "sent"
    assert our_id(message_id, 1) in fake_phone.messages, "the resend has a new id, or the phone would answer 409"
