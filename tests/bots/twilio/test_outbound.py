"""Invariant 4 on Twilio, through the real path: an outbox row for a directory leader, its RQ job run by a real RQ
worker in this process, twilio's own `Client`, and a fake Twilio API on 127.0.0.1 scripted row by row.

Each row pins what becomes of the message row (status, error code, attempts, next attempt), of the contact, of
the queue (a retry is a scheduled job; a permanent error leaves nothing queued) and what went over the wire.
Every run also checks that the auth token appears in no captured log line and nowhere on stdout/stderr.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from rq.registry import FailedJobRegistry, ScheduledJobRegistry
from rq.serializers import JSONSerializer
from sqlalchemy import select, update

import bots.twilio_sms
from gateway.messaging.outbox import queue_message
from gateway.models import Contact, Message, MessageStatus, utcnow
from tests.fakes.twilio_api import (
    FROM_NUMBER,
    PUBLIC_BASE_URL,
    Canned,
    closed_port,
    new_sid,
    problem_details,
    server_error,
    slow,
    too_many_requests,
    twilio_error,
)
from workers.queues import QUEUE_URGENT, QUEUES, queue, send_job_id
from workers.worker import PromptStopWorker

CLOSED = "<a closed port>"  # placeholder in a row's env: replaced by a URL where nothing listens
MESSAGING_SERVICE_SID = new_sid("MG")


@dataclass(frozen=True)
class Row:
    """One scripted provider behaviour and what the gateway must make of it."""

    script: tuple[Canned, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    status: str = MessageStatus.SENT
    error_code: str | None = None  # exact, or a prefix when it ends with ":"
    retry_in: float | None = None  # seconds to the scheduled next attempt; None: no retry
    unreachable: bool = False  # the contact's SMS marked unreachable
    requests: int = 1  # requests the fake must have received
    send_timeout: float | None = None  # patched bots.twilio_sms.SEND_TIMEOUT_SECONDS


@pytest.fixture
def row() -> Row:
    """Overridden by each test's parametrization."""
    return Row()


@pytest.fixture
def env(base_env, fake_twilio, row):
    """The test gateway with its Twilio channel pointed at the fake, plus the row's own variables."""
    with closed_port() as dead_url:
        extra = {k: dead_url if v == CLOSED else v for k, v in row.env.items()}
        yield {**base_env, **fake_twilio.env(), **extra}


def queue_to_leader(runtime, body: str) -> tuple[int, int, str]:
    """Queue a message to the first SMS leader of the directory; (message id, contact id, phone)."""
    with runtime.db.transaction() as session:
        contact = session.scalars(
            select(Contact).where(Contact.role == "leader", Contact.channel == "sms").order_by(Contact.id)
        ).first()
        message = queue_message(session, runtime, contact=contact, body=body)
        assert message.channel == "twilio"
        return message.id, contact.id, contact.phone


def run_jobs(runtime) -> None:
    """Run every queued (and due scheduled) job with a real RQ worker in this process, then stop."""
    queues = [queue(runtime.redis, name) for name in QUEUES]
    worker = PromptStopWorker(queues, connection=runtime.redis, serializer=JSONSerializer)
    worker.work(burst=True, with_scheduler=True, logging_level="WARNING")
    for q in queues:
        assert FailedJobRegistry(queue=q).get_job_ids() == [], "a send job crashed"


def scheduled(redis_client) -> list[str]:
    """Ids of the jobs waiting in the urgent queue's scheduled registry."""
    return ScheduledJobRegistry(queue=queue(redis_client, QUEUE_URGENT)).get_job_ids()


def pending(redis_client) -> list[str]:
    """Ids of the jobs waiting on any of the gateway's queues."""
    return [job_id for name in QUEUES for job_id in queue(redis_client, name).job_ids]


def load(runtime, model, pk):
    """A fresh copy of one row."""
    with runtime.db.transaction() as session:
        return session.get(model, pk)


def assert_token_not_logged(caplog, capfd, *tokens: str) -> None:
    """No auth token is in a log record, nor anywhere on this process's (and its children's) stdout/stderr."""
    out, err = capfd.readouterr()
    assert caplog.records, "nothing was logged: the check would prove nothing"
    for token in tokens:
        assert token not in caplog.text
        assert token not in out and token not in err


@pytest.fixture(autouse=True)
def capture_everything(caplog):
    """Capture every log record, DEBUG included (twilio's and urllib3's own request logs)."""
    caplog.set_level(logging.DEBUG)


def send_one(runtime, redis_client, body: str) -> tuple[int, int, str]:
    """Queue one message, check its job is on the urgent queue, and run it."""
    message_id, contact_id, phone = queue_to_leader(runtime, body)
    assert pending(redis_client) == [send_job_id(message_id, 0)]
    run_jobs(runtime)
    return message_id, contact_id, phone


ACCEPTED = [
    pytest.param(Row(), "From", FROM_NUMBER, id="201-from-number"),
    pytest.param(
        Row(env={"TWILIO_FROM_NUMBER": "", "TWILIO_MESSAGING_SERVICE_SID": MESSAGING_SERVICE_SID}),
        "MessagingServiceSid",
        MESSAGING_SERVICE_SID,
        id="201-messaging-service",
    ),
]


@pytest.mark.parametrize(("row", "sender_field", "sender"), ACCEPTED)
def test_accepted_message_is_sent_with_exact_fields(
    runtime, directory, redis_client, fake_twilio, row, sender_field, sender, caplog, capfd
):
    message_id, _, phone = send_one(runtime, redis_client, "Réunion demain à Konna")
    [request] = fake_twilio.requests
    assert request.path == f"/2010-04-01/Accounts/{fake_twilio.account_sid}/Messages.json"
    assert request.auth_ok
    assert request.form == {
        "To": phone,
        sender_field: sender,
        "Body": "Réunion demain à Konna",
        "StatusCallback": f"{PUBLIC_BASE_URL}/webhooks/twilio/status?mid={message_id}",
    }
    message = load(runtime, Message, message_id)
    assert (message.status, message.provider_id, message.error_code) == (MessageStatus.SENT, request.sid, None)
    assert message.attempts == 1 and message.next_attempt_at is None and message.sent_at is not None
    assert pending(redis_client) == [] and scheduled(redis_client) == []
    assert_token_not_logged(caplog, capfd, fake_twilio.auth_token)


OUTCOMES = [
    pytest.param(
        Row((twilio_error(21610),), status=MessageStatus.FAILED, error_code="21610", unreachable=True),
        id="400-21610-unsubscribed",
    ),
    pytest.param(Row((twilio_error(21211),), status=MessageStatus.FAILED, error_code="21211"), id="400-21211-bad-to"),
    pytest.param(
        Row((problem_details(21610),), status=MessageStatus.FAILED, error_code="21610", unreachable=True),
        id="rfc9457-21610-unsubscribed",
    ),
    pytest.param(
        # Retried: messages wait while an operator fixes the credentials, instead of failing for good.
        Row(
            env={"TWILIO_AUTH_TOKEN": "not-the-token-0123"}, status=MessageStatus.QUEUED, error_code="20003", retry_in=5
        ),
        id="401-wrong-credentials",
    ),
    pytest.param(
        Row((too_many_requests(7),), status=MessageStatus.QUEUED, error_code="20429", retry_in=7),
        id="429-retry-after-7",
    ),
    pytest.param(Row((server_error(),), status=MessageStatus.QUEUED, error_code="20500", retry_in=5), id="500"),
    pytest.param(
        Row((slow(2),), status=MessageStatus.QUEUED, error_code="network:", retry_in=5, send_timeout=1),
        id="timeout",
    ),
    pytest.param(
        Row(
            env={"TWILIO_API_BASE_URL": CLOSED},
            status=MessageStatus.QUEUED,
            error_code="network:",
            retry_in=5,
            requests=0,
        ),
        id="connection-refused",
    ),
]


@pytest.mark.parametrize("row", OUTCOMES)
def test_provider_error_outcome(runtime, directory, redis_client, fake_twilio, row, monkeypatch, caplog, capfd):
    if row.send_timeout:
        monkeypatch.setattr(bots.twilio_sms, "SEND_TIMEOUT_SECONDS", row.send_timeout)
    fake_twilio.script(*row.script)
    before = utcnow()
    message_id, contact_id, _ = send_one(runtime, redis_client, "Alerte #12 enregistrée")
    after = utcnow()

    assert len(fake_twilio.requests) == row.requests
    assert [r.auth_ok for r in fake_twilio.requests] == [("TWILIO_AUTH_TOKEN" not in row.env)] * row.requests
    message = load(runtime, Message, message_id)
    assert message.status == row.status
    if row.error_code.endswith(":"):
        assert message.error_code.startswith(row.error_code), message.error_code
    else:
        assert message.error_code == row.error_code
    assert message.attempts == 1 and message.provider_id is None
    assert load(runtime, Contact, contact_id).sms_unreachable is row.unreachable
    assert pending(redis_client) == []
    if row.retry_in is None:
        assert message.next_attempt_at is None
        assert scheduled(redis_client) == []
    else:
        wait = timedelta(seconds=row.retry_in)
        assert before + wait <= message.next_attempt_at <= after + wait
        assert scheduled(redis_client) == [send_job_id(message_id, 1)]
    assert_token_not_logged(caplog, capfd, fake_twilio.auth_token, runtime.settings.twilio_auth_token)


def test_retry_after_given_as_an_http_date_is_honoured(runtime, directory, redis_client, fake_twilio):
    wake = (datetime.now(UTC) + timedelta(minutes=10)).replace(microsecond=0)
    fake_twilio.script(too_many_requests(format_datetime(wake, usegmt=True)))
    message_id, _, _ = send_one(runtime, redis_client, "Alerte #12 enregistrée")
    message = load(runtime, Message, message_id)
    assert message.status == MessageStatus.QUEUED and message.error_code == "20429"
    assert wake - timedelta(seconds=2) <= message.next_attempt_at <= wake + timedelta(seconds=2)


def make_due(runtime, redis_client, message_id: int) -> None:
    """Skip the backoff: the row's next attempt and its scheduled job are both moved to now."""
    with runtime.db.transaction() as session:
        session.execute(update(Message).where(Message.id == message_id).values(next_attempt_at=None))
    q = queue(redis_client, QUEUE_URGENT)
    registry = ScheduledJobRegistry(queue=q)
    for job_id in registry.get_job_ids():
        registry.schedule(q.fetch_job(job_id), utcnow() - timedelta(seconds=1))


@pytest.mark.parametrize("row", [Row(env={"SEND_MAX_ATTEMPTS": "2"})], ids=["max-2"])
def test_gives_up_after_max_attempts(runtime, directory, redis_client, fake_twilio, row, caplog, capfd):
    fake_twilio.script(server_error(), server_error())
    message_id, contact_id, _ = send_one(runtime, redis_client, "Rappel")
    assert load(runtime, Message, message_id).status == MessageStatus.QUEUED
    assert scheduled(redis_client) == [send_job_id(message_id, 1)]

    make_due(runtime, redis_client, message_id)
    run_jobs(runtime)

    message = load(runtime, Message, message_id)
    assert (message.status, message.error_code, message.attempts) == (MessageStatus.FAILED, "20500", 2)
    assert len(fake_twilio.requests) == 2
    assert pending(redis_client) == [] and scheduled(redis_client) == []
    assert load(runtime, Contact, contact_id).sms_unreachable is False  # a provider outage says nothing of the number
    assert_token_not_logged(caplog, capfd, fake_twilio.auth_token)


GSM7 = [
    pytest.param(
        "Rendez-vous à la fête, côté marché : ça s’organise",
        "Rendez-vous à la fete, coté marché : ca s'organise",
        id="french-transliterated",
    ),
    pytest.param(
        "Rendez-vous à la fête, côté marché : ça s’organise 🙏",
        "Rendez-vous à la fête, côté marché : ça s’organise 🙏",
        id="emoji-kept-as-is",
    ),
]


@pytest.mark.parametrize(("body", "on_the_wire"), GSM7)
def test_body_goes_out_in_gsm7_when_it_can(
    runtime, directory, redis_client, fake_twilio, body, on_the_wire, caplog, capfd
):
    message_id, _, _ = send_one(runtime, redis_client, body)
    [request] = fake_twilio.requests
    assert request.form["Body"] == on_the_wire
    message = load(runtime, Message, message_id)
    assert message.body == on_the_wire and message.status == MessageStatus.SENT
    assert_token_not_logged(caplog, capfd, fake_twilio.auth_token)
