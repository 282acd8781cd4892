"""Who is writing on Telegram: a directory contact whose `telegram_id` is known, or someone who proves it by
sharing their own phone number, or who brings a one-time code printed by `gateway contacts telegram-link`."""

from __future__ import annotations

import json
import logging
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from bots.base import Button, ButtonKind
from flows import catalogue
from flows.conversations import address_key
from flows.unknown_sender import answer_unknown_sender
from gateway.core.runtime import Runtime
from gateway.directory.phones import InvalidPhone, to_e164
from gateway.messaging import loop_guard
from gateway.messaging.loop_guard import LoopCheck
from gateway.messaging.outbox import queue_message
from gateway.models import Contact, Message, MessageKind, Priority
from workers.queues import KEY_PREFIX

log = logging.getLogger(__name__)

LINK_CODE_KEY = KEY_PREFIX + "tglink:"
LINK_CODE_TTL_SECONDS = 7 * 24 * 3600
IDENTIFY_ASKED_KEY = KEY_PREFIX + "identify:"
IDENTIFY_QUIET_SECONDS = 24 * 3600


def create_link_code(runtime: Runtime, contact_id: int) -> str:
    """A one-time code (valid 7 days) that links the Telegram account which sends `/start <code>`."""
    code = secrets.token_hex(5)
    runtime.redis.set(LINK_CODE_KEY + code, str(contact_id), ex=LINK_CODE_TTL_SECONDS)
    return code


def _link(session: Session, message: Message, contact: Contact, user_id: int) -> bool:
    owner = session.scalar(select(Contact).where(Contact.telegram_id == user_id))
    if owner is not None and owner.id != contact.id:
        return False  # this Telegram account already belongs to someone else in the directory
    contact.telegram_id = user_id
    contact.telegram_unreachable = False
    message.contact_id = contact.id
    log.info("telegram account linked to contact %s", contact.id)
    return True


def identify_telegram_user(session: Session, runtime: Runtime, message: Message, check: LoopCheck) -> None:
    """Handle a message from a Telegram account not in the directory yet."""
    user_id = int(message.address)
    meta = json.loads(message.meta) if message.meta else {}
    contact = None
    if "contact_phone" in meta:
        # Only the sender's own card proves anything: a forwarded card of someone else links nothing.
        if meta.get("contact_user_id") != user_id:
            answer_unknown_sender(session, runtime, message, check)
            return
        try:
            phone = to_e164(str(meta["contact_phone"]))
        except InvalidPhone:
            phone = None
        contact = session.scalar(select(Contact).where(Contact.phone == phone, Contact.active.is_(True)))
    elif (message.body or "").startswith("/start "):
        code = message.body.split(" ", 1)[1].strip()
        contact_id = runtime.redis.getdel(LINK_CODE_KEY + code) if code.isalnum() else None
        contact = session.get(Contact, int(contact_id)) if contact_id else None
    else:
        if (message.body or "").strip() and not message.body.startswith("/"):
            loop_guard.report(session, None, message, check)  # a stranger can report, as by SMS
        if not check.muted:
            ask_for_phone(session, runtime, message)
        return
    if contact is None or not _link(session, message, contact, user_id):
        answer_unknown_sender(session, runtime, message, check)
        return
    queue_message(
        session,
        runtime,
        body=catalogue.text(contact.language, "telegram.linked"),
        contact=contact,
        channel=message.channel,
        address=message.address,
    )


def ask_for_phone(session: Session, runtime: Runtime, message: Message) -> None:
    """Ask an unknown Telegram user to share their own number, with the app's contact button: once a day per
    account, on the bulk queue (50 messages from a stranger are 50 stored messages, not 50 urgent answers)."""
    key = IDENTIFY_ASKED_KEY + address_key(f"{message.channel}:{message.address}")
    if not runtime.redis.set(key, "1", nx=True, ex=IDENTIFY_QUIET_SECONDS):
        return
    language = catalogue.DEFAULT_LANGUAGE
    button = Button(catalogue.text(language, "telegram.share_button"), "share", ButtonKind.SHARE_PHONE)
    queue_message(
        session,
        runtime,
        body=catalogue.text(language, "telegram.share_phone"),
        channel=message.channel,
        address=message.address,
        priority=Priority.BULK,
        kind=MessageKind.IDENTIFY,
        buttons=(button,),
    )
