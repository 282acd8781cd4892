"""A document on Telegram through the real path: an outbox row carrying a file (`gateway.messaging.documents`), the
send job run in this process, python-telegram-bot's `Bot`, and the fake Bot API receiving the multipart upload. The
SMS channels send the caption alone."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bots.base import Button
from bots.console import CONSOLE_OUTBOX_KEY
from gateway.messaging.documents import attach
from gateway.messaging.outbox import queue_message
from gateway.models import Contact, Message, MessageKind, MessageStatus
from tests.fakes.telegram_api import blocked
from workers.outbound import send_message
from workers.queues import QUEUE_BULK, QUEUE_URGENT, queue

SEYDOU = "+22379943869"  # Seydou Togo, leader at Socoura, prefers Telegram
SEYDOU_TG = 1445857208
CAPTION = "Bulletin 2026-W49 Mopti: 2 fermetures, 1 retour, 3 engagements en retard, 12 alertes."
PDF = b"%PDF-1.4\n% bulletin\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"  # binary, as a real PDF is


@pytest.fixture
def env(base_env, fake_telegram) -> dict[str, str]:
    """The test gateway with Telegram pointed at the fake (SMS goes to the console channel)."""
    return {**base_env, **fake_telegram.env()}


def send_file(runtime, redis_client, path, *, channel="telegram", caption=CAPTION, buttons=()) -> int:
    """Queue the caption with the file to Seydou on `channel`, take the job off the queues, and run it here."""
    with runtime.db.transaction() as session:
        contact = session.scalars(select(Contact).where(Contact.phone == SEYDOU)).one()
        address = str(SEYDOU_TG) if channel == "telegram" else SEYDOU
        message = queue_message(session, runtime, body=caption, contact=contact, channel=channel, address=address,
                                kind=MessageKind.BULLETIN, buttons=buttons)  # fmt: skip
        attach(message, str(path), "bulletin-2026-W49-mopti.pdf")
        message_id = message.id
    for name in (QUEUE_URGENT, QUEUE_BULK):
        queue(redis_client, name).empty()
    send_message(message_id)
    return message_id


def status_of(runtime, message_id) -> tuple[str, str | None]:
    """The row's status and error code."""
    with runtime.db.transaction() as session:
        message = session.get(Message, message_id)
        return message.status, message.error_code


def test_the_file_arrives_with_its_caption(runtime, directory, redis_client, fake_telegram, tmp_path):
    path = tmp_path / "b.pdf"
    path.write_bytes(PDF)
    message_id = send_file(runtime, redis_client, path, buttons=(Button("Merci", "merci"),))
    assert fake_telegram.calls_to("sendMessage") == []
    [call] = fake_telegram.calls_to("sendDocument")
    assert call.token_ok and call.chat_id == SEYDOU_TG
    assert call.document == ("bulletin-2026-W49-mopti.pdf", PDF), "the file arrives whole, under its name"
    assert call.caption == CAPTION
    assert call.reply_markup == {"inline_keyboard": [[{"text": "Merci", "callback_data": "merci"}]]}
    assert status_of(runtime, message_id) == (MessageStatus.SENT, None)


def test_a_text_too_long_for_a_caption_goes_first(runtime, directory, redis_client, fake_telegram, tmp_path):
    path = tmp_path / "b.pdf"
    path.write_bytes(PDF)
    long_text = " ".join(["mot"] * 400)
    send_file(runtime, redis_client, path, caption=long_text)
    [text_call] = fake_telegram.calls_to("sendMessage")
    [document_call] = fake_telegram.calls_to("sendDocument")
    assert text_call.text == long_text and document_call.caption is None
    assert [c.method for c in fake_telegram.calls] == ["sendMessage", "sendDocument"]


def test_a_missing_file_fails_without_calling_telegram(runtime, directory, redis_client, fake_telegram, tmp_path):
    message_id = send_file(runtime, redis_client, tmp_path / "gone.pdf")
    assert fake_telegram.calls == []
    assert status_of(runtime, message_id) == (MessageStatus.FAILED, "document:missing")


def test_a_blocked_bot_marks_the_contact_unreachable(runtime, directory, redis_client, fake_telegram, tmp_path):
    path = tmp_path / "b.pdf"
    path.write_bytes(PDF)
    fake_telegram.script("sendDocument", blocked())
    message_id = send_file(runtime, redis_client, path)
    assert status_of(runtime, message_id) == (MessageStatus.FAILED, "telegram:forbidden")
    with runtime.db.transaction() as session:
        assert session.scalars(select(Contact).where(Contact.phone == SEYDOU)).one().telegram_unreachable


def test_an_sms_channel_sends_the_caption_alone(runtime, directory, redis_client, fake_telegram, tmp_path):
    path = tmp_path / "b.pdf"
    path.write_bytes(PDF)
    message_id = send_file(runtime, redis_client, path, channel="console")
    assert fake_telegram.calls == []
    assert status_of(runtime, message_id) == (MessageStatus.SENT, None)
    outbox = runtime.redis.lrange(CONSOLE_OUTBOX_KEY, 0, -1)
    assert outbox, "the console channel delivered nothing"
    assert CAPTION.encode() in outbox[-1] and b"PDF" not in outbox[-1]
