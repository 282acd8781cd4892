"""A transcript helper: send messages as a contact through the real pipeline, handled inline as in `gateway
simulate` (webhooks queue a handling job instead: see tests/inbound_jobs.py), and read the replies it queued."""

from __future__ import annotations

import itertools

from sqlalchemy import select

from bots.base import InboundMessage, MediaRef
from gateway.messaging.inbox import receive
from gateway.models import Direction, Message

_ids = itertools.count(1)


class Chat:
    """Talk to the gateway as one address on one channel: stored as a webhook stores, then handled at once."""

    def __init__(self, runtime, address: str, channel: str = "console") -> None:
        self.runtime = runtime
        self.address = address
        self.channel = channel
        self._seen = self._last_outbound_id()

    def _last_outbound_id(self) -> int:
        with self.runtime.db.transaction() as session:
            return session.scalar(select(Message.id).order_by(Message.id.desc()).limit(1)) or 0

    def send(self, text: str, provider_id: str | None = None, media: tuple[MediaRef, ...] = ()) -> list[str]:
        """Send one message (with files, `media`); return the texts of the replies queued for this address since
        the last call."""
        provider_id = provider_id or f"test-{next(_ids)}"
        kind = "telegram" if self.channel == "telegram" else "phone"
        inbound = InboundMessage(self.channel, provider_id, self.address, text, media=media)
        receive(self.runtime, inbound, address_kind=kind)
        return self.replies()

    def replies(self) -> list[str]:
        """Replies queued to this address since the last look."""
        with self.runtime.db.transaction() as session:
            rows = session.scalars(
                select(Message)
                .where(Message.direction == Direction.OUT, Message.address == self.address, Message.id > self._seen)
                .order_by(Message.id)
            ).all()
        if rows:
            self._seen = rows[-1].id
        return [row.body for row in rows]
