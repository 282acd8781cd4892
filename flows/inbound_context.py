"""One inbound message being handled, with everything a handler needs to answer it."""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy.orm import Session

from bots.base import Button
from flows import catalogue
from gateway.core.runtime import Runtime
from gateway.messaging.outbox import queue_message
from gateway.messaging.sender_limits import reply_hold
from gateway.models import Contact, Message, Priority

LOOP_GUARD = "loop_guard"  # error_code of replies held while their sender loops


@dataclass
class Inbound:
    """One inbound message being handled, with what handlers need to answer it."""

    session: Session
    runtime: Runtime
    message: Message
    contact: Contact
    muted: bool = False  # the sender is caught in a machine loop (gateway.messaging.loop_guard): every reply is held

    def _hold(self) -> str | None:
        """Why a reply to this message must be held (a loop, or the sender's reply limit), or None."""
        if self.muted:
            return LOOP_GUARD
        return reply_hold(self.runtime, self.contact.id, self.message.channel, self.message.address)

    @property
    def text(self) -> str:
        """The message's text."""
        return (self.message.body or "").strip()

    @property
    def meta(self) -> dict:
        """The message's extras (a shared location or contact, a button's callback)."""
        return json.loads(self.message.meta) if self.message.meta else {}

    def reply(self, key: str, *, choices=(), kind: str = "reply", **params) -> Message:
        """Answer on the channel the message came from, in the contact's language (discreet when they asked for it);
        `choices` become buttons."""
        language = self.contact.language
        buttons = tuple(Button(f"{data} {catalogue.text(language, label)}", data) for label, data in choices)
        return queue_message(
            self.session,
            self.runtime,
            body=catalogue.for_contact(self.contact, key, **params),
            contact=self.contact,
            channel=self.message.channel,
            address=self.message.address,
            priority=Priority.URGENT,
            kind=kind,
            buttons=buttons,
            hold=self._hold(),
        )

    def reply_text(self, body: str) -> Message:
        """Answer with a text already written in the contact's language."""
        return queue_message(
            self.session,
            self.runtime,
            body=body,
            contact=self.contact,
            channel=self.message.channel,
            address=self.message.address,
            priority=Priority.URGENT,
            hold=self._hold(),
        )

    def send_replies(self, replies) -> None:
        """Send the engine's replies."""
        for reply in replies:
            self.reply(reply.key, choices=reply.choices, **reply.params)
