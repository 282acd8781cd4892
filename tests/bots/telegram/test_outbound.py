"""Invariant 4 on Telegram, through the real path: an outbox row for a linked leader
(`gateway.messaging.outbox.queue_message`), the send job (`workers.outbound.send_message`) run in this process,
python-telegram-bot's own `Bot`, and a fake Bot API on 127.0.0.1 scripted row by row.

Each row pins what becomes of the message row (status, error code, next attempt), of the contact (unreachable on
Telegram), of the queue (a retry is a scheduled job, a blocked bot leaves an SMS copy for alerts and escalations)
and what went over the wire. Every run also checks that the bot token is in no captured log line and nowhere on
stdout/stderr, with logging configured the way `gateway worker` configures it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from rq.registry import ScheduledJobRegistry
from sqlalchemy import select

import bots.telegram
from bots.base import Button
from gateway.core.logs import configure_logging
from gateway.messaging.outbox import queue_message
from gateway.models import Contact, Direction, Message, MessageKind, MessageStatus, utcnow
from tests.fakes import telegram_api
from tests.fakes.telegram_api import TOKEN, Canned, blocked, chat_not_found, slow, telegram_update, too_many_requests
from tests.inbound_jobs import handle_queued
from workers.outbound import send_message
from workers.queues import QUEUE_URGENT, QUEUES, queue, send_job_id

SEYDOU = "+22379943869"  # Seydou Togo, leader at Socoura, prefers Telegram
SEYDOU_TG = 1445857208
WRONG_TOKEN = "654321:XYZ-not_the_token"
BODY = "Alerte #12 enregistrée. Merci, elle est transmise."


@dataclass(frozen=True)
class Row:
    """One scripted Bot API behaviour and what the gateway must make of it."""

    script: tuple[Canned, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    kind: str = MessageKind.REPLY
    status: str = MessageStatus.SENT
    error_code: str | None = None
    retry_in: float | None = None  # seconds to the scheduled next attempt (at least); None: no retry
    unreachable: bool = False  # the contact's Telegram marked unreachable
    fallback: bool = False  # an SMS copy is queued to the contact's phone
    call_timeout: float | None = None  # patched bots.telegram.CALL_TIMEOUT_SECONDS


@pytest.fixture
def row() -> Row:
    """Overridden by each test's parametrization."""
    return Row()


@pytest.fixture
def env(base_env, fake_telegram, row) -> dict[str, str]:
    """The test gateway with Telegram pointed at the fake (Twilio off: SMS goes to the console channel)."""
    return {**base_env, **fake_telegram.env(), **row.env}


@pytest.fixture(autouse=True)
def worker_logging(settings, caplog, restore_logging):
    """Logging as `gateway worker` sets it up (DEBUG), every record captured; the root logger restored after."""
    caplog.set_level(logging.DEBUG)
    configure_logging("DEBUG", settings.secrets)


def load(runtime, model, pk):
    """A fresh copy of one row."""
    with runtime.db.transaction() as session:
        return session.get(model, pk)


def seydou(runtime) -> Contact:
    """The linked leader every message goes to."""
    with runtime.db.transaction() as session:
        return session.scalars(select(Contact).where(Contact.phone == SEYDOU)).one()


def pending(redis_client) -> list[str]:
    """Ids of the jobs waiting on any of the gateway's queues."""
    return [job_id for name in QUEUES for job_id in queue(redis_client, name).job_ids]


def scheduled(redis_client) -> list[str]:
    """Ids of the jobs waiting in the urgent queue's scheduled registry."""
    return ScheduledJobRegistry(queue=queue(redis_client, QUEUE_URGENT)).get_job_ids()


def send(runtime, redis_client, body: str = BODY, kind: str = MessageKind.REPLY, buttons=()) -> int:
    """Queue a message to Seydou on Telegram, take its job off the queue, and run the send job here."""
    with runtime.db.transaction() as session:
        contact = session.scalars(select(Contact).where(Contact.phone == SEYDOU)).one()
        message = queue_message(session, runtime, contact=contact, body=body, kind=kind, buttons=buttons)
        assert (message.channel, message.address) == ("telegram", str(SEYDOU_TG))
        message_id = message.id
    assert pending(redis_client) == [send_job_id(message_id, 0)]
    queue(redis_client, QUEUE_URGENT).empty()
    send_message(message_id)
    return message_id


def assert_token_not_logged(caplog, capfd) -> None:
    """No bot token is in a log record, nor on this process's stdout/stderr."""
    out, err = capfd.readouterr()
    assert caplog.records, "nothing was logged: the check would prove nothing"
    for token in (TOKEN, WRONG_TOKEN):
        assert token not in caplog.text and token not in out and token not in err


def test_accepted_message_is_sent_as_plain_text(runtime, directory, redis_client, fake_telegram, caplog, capfd):
    message_id = send(runtime, redis_client)
    [call] = fake_telegram.calls
    assert (call.method, call.token_ok) == ("sendMessage", True)
    assert call.params == {"chat_id": str(SEYDOU_TG), "text": BODY}, "no parse_mode, no keyboard"
    message = load(runtime, Message, message_id)
    assert (message.status, message.error_code, message.attempts) == (MessageStatus.SENT, None, 1)
    assert message.provider_id == f"{SEYDOU_TG}:1" and message.sent_at is not None
    assert pending(redis_client) == [] and scheduled(redis_client) == []
    assert_token_not_logged(caplog, capfd)


def test_buttons_become_an_inline_keyboard(runtime, directory, redis_client, fake_telegram, caplog, capfd):
    buttons = (Button("1 information", "1"), Button("2 tension", "2"), Button("3 urgent: vies en danger", "3"))
    send(runtime, redis_client, "Gravité? 1 information 2 tension 3 urgent: vies en danger", buttons=buttons)
    [call] = fake_telegram.calls_to("sendMessage")
    assert call.reply_markup == {"inline_keyboard": [[{"text": b.label, "callback_data": b.data}] for b in buttons]}
    assert_token_not_logged(caplog, capfd)


def test_long_text_is_split_into_pieces_telegram_accepts(runtime, directory, redis_client, fake_telegram):
    words = [f"mot{i % 10}" for i in range(1900)]
    text = " ".join(words)[:9000]
    assert len(text) == 9000
    message_id = send(runtime, redis_client, text, buttons=(Button("1 OUI", "1"),))
    calls = fake_telegram.calls_to("sendMessage")
    assert len(calls) == 3 and all(len(c.text) <= 4096 for c in calls)
    assert " ".join(c.text for c in calls).split() == text.split(), "words lost or cut at a piece boundary"
    assert [c.reply_markup is not None for c in calls] == [False, False, True], "the keyboard goes with the last"
    message = load(runtime, Message, message_id)
    assert message.status == MessageStatus.SENT and message.provider_id == f"{SEYDOU_TG}:3"


FORBIDDEN = {"script": (blocked(),), "status": MessageStatus.FAILED, "error_code": "telegram:forbidden"}
OUTCOMES = [
    pytest.param(Row(**FORBIDDEN, unreachable=True), id="403-blocked-reply-no-fallback"),
    pytest.param(Row(**FORBIDDEN, kind=MessageKind.ALERT_CONFIRMATION, unreachable=True, fallback=True),
                 id="403-blocked-alert-confirmation-falls-back-to-sms"),
    pytest.param(Row(**FORBIDDEN, kind=MessageKind.ESCALATION, unreachable=True, fallback=True),
                 id="403-blocked-escalation-falls-back-to-sms"),
    pytest.param(Row((too_many_requests(5),), status=MessageStatus.QUEUED, error_code="telegram:429", retry_in=5),
                 id="429-retry-after-5"),
    pytest.param(Row((chat_not_found(),), status=MessageStatus.FAILED, error_code="telegram:BadRequest"),
                 id="400-chat-not-found"),
    pytest.param(Row((slow(2.5),), status=MessageStatus.QUEUED, error_code="telegram:TimedOut", retry_in=5,
                     call_timeout=1), id="timeout"),
    pytest.param(Row(env={"TELEGRAM_BOT_TOKEN": WRONG_TOKEN}, status=MessageStatus.FAILED,
                     error_code="telegram:InvalidToken"), id="401-wrong-token"),
]  # fmt: skip


@pytest.mark.parametrize("row", OUTCOMES)
def test_provider_error_outcome(runtime, directory, redis_client, fake_telegram, row, monkeypatch, caplog, capfd):
    if row.call_timeout:
        monkeypatch.setattr(bots.telegram, "CALL_TIMEOUT_SECONDS", row.call_timeout)
    fake_telegram.script("sendMessage", *row.script)
    before = utcnow()
    message_id = send(runtime, redis_client, kind=row.kind)

    [call] = fake_telegram.calls
    assert call.method == "sendMessage" and call.token_ok is ("TELEGRAM_BOT_TOKEN" not in row.env)
    message = load(runtime, Message, message_id)
    assert (message.status, message.error_code, message.attempts) == (row.status, row.error_code, 1)
    assert message.provider_id is None
    assert seydou(runtime).telegram_unreachable is row.unreachable
    if row.retry_in is None:
        assert message.next_attempt_at is None and scheduled(redis_client) == []
    else:
        assert message.next_attempt_at >= before + timedelta(seconds=row.retry_in - 0.5)
        assert scheduled(redis_client) == [send_job_id(message_id, 1)]
    with runtime.db.transaction() as session:
        copies = session.scalars(select(Message).where(Message.direction == Direction.OUT, Message.id != message_id))
        copies = [(m.channel, m.address, m.body, m.kind, m.status, m.id) for m in copies]
    if row.fallback:
        [(channel, address, body, kind, status, copy_id)] = copies
        assert (channel, address, body, kind, status) == ("console", SEYDOU, BODY, row.kind, MessageStatus.QUEUED)
        assert pending(redis_client) == [send_job_id(copy_id, 0)], "the SMS copy is not queued"
    else:
        assert copies == [] and pending(redis_client) == []
    assert_token_not_logged(caplog, capfd)


def route_now(runtime) -> str:
    """The channel a new message to Seydou takes now."""
    with runtime.db.transaction() as session:
        contact = session.scalars(select(Contact).where(Contact.phone == SEYDOU)).one()
        return queue_message(session, runtime, contact=contact, body="Rappel").channel


def test_blocked_user_who_writes_again_is_reachable_again(runtime, directory, redis_client, fake_telegram, client):
    fake_telegram.script("sendMessage", blocked())
    send(runtime, redis_client)
    assert seydou(runtime).telegram_unreachable is True
    assert route_now(runtime) == "console", "while the bot is blocked, messages go by SMS"

    update = telegram_update("text", text="Je suis de retour")
    headers = {telegram_api.SECRET_HEADER: telegram_api.SECRET}
    assert client.post("/webhooks/telegram", json=update, headers=headers).status_code == 200
    handle_queued(runtime)
    assert seydou(runtime).telegram_unreachable is False
    assert route_now(runtime) == "telegram"
