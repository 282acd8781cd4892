"""Albums: photos and videos a person sends together (Telegram's `media_group_id`) make ONE report and ONE answer.

Telegram sends each item of an album as its own update, a few milliseconds apart, and only the first usually
carries the caption. Each is stored as its own message (one row per provider id, as always) with the album's id in
`messages.media_group`; the link between the items is that column and the report the first handled item made
(`messages.alert_id`), both in the database, so nothing depends on what Redis remembers.

Handling (`gateway.messaging.inbox`), under the sender's lock as every message:
- the album's captioned item is handled before its captionless siblings (`handling_order`), so that its words
  (`ALERTE 3 …`, an answer to the open conversation, a free text) decide what the album is;
- the first item handled is routed like any message (a report, an alert, a file joined to the alert being written)
  and answered once;
- every other item without text joins the record an earlier item of the album made (`join`), silently: its files
  are the record's files. An item arriving later (seconds, or after a sweep) joins the same record.
An item with text of its own (a caption that came late) is routed like any message, so its words are never
ignored. The album is found by sender (channel and address) and album id only: Telegram makes `media_group_id`
unique per chat, so the grouping never reaches another person's messages.

The sender's lock (Redis) serialises the items; the database serialises them too (`join` writes the album's first
row before deciding), so two workers that each hold an item never both make a report, even without that lock.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from gateway.alerts import records
from gateway.models import Alert, Direction, Message


def _siblings(message: Message):
    """The inbound messages of the same sender's album, this one included."""
    return select(Message).where(
        Message.direction == Direction.IN,
        Message.channel == message.channel,
        Message.address == message.address,
        Message.media_group == message.media_group,
    )


def handling_order(session: Session, address: str, rows: Sequence) -> list[int]:
    """The ids of a sender's unhandled messages (`rows` of id and media_group, oldest first) in the order to handle
    them: an album's captioned item before its other items, even when it was stored after them."""
    groups = {row.media_group for row in rows if row.media_group}
    if not groups:
        return [row.id for row in rows]
    captioned = session.execute(
        select(Message.id, Message.media_group)
        .where(Message.direction == Direction.IN, Message.address == address, Message.media_group.in_(groups))
        .where(Message.processed_at.is_(None), Message.body.is_not(None), Message.body != "")
        .order_by(Message.id)
    ).all()
    first_caption: dict[str, int] = {}
    for row in captioned:
        first_caption.setdefault(row.media_group, row.id)
    order: list[int] = []
    for row in rows:
        caption = first_caption.get(row.media_group) if row.media_group else None
        for message_id in (caption, row.id):
            if message_id is not None and message_id not in order:
                order.append(message_id)
    return order


def join(session: Session, message: Message) -> Alert | None:
    """Link an album item without text to the record an earlier item of its album made; that record (the caller
    answers nothing), or None when the item is to be routed like any message."""
    if not message.media_group or (message.body or "").strip():
        return None
    siblings = _siblings(message)
    # Whoever holds the album's first row decides. A no-op write takes it: PostgreSQL locks the row, SQLite takes
    # its one write lock (its reads take none); a second worker with another item waits here for the first one's
    # commit, then sees its record. Only album items pay for this, and only for their own short transaction.
    first_id = session.scalar(siblings.with_only_columns(func.min(Message.id)))
    session.execute(
        update(Message)
        .where(Message.id == first_id)
        .values(media_group=Message.media_group)
        .execution_options(synchronize_session=False)
    )
    record_id = session.scalar(
        siblings.with_only_columns(Message.alert_id)
        .where(Message.id != message.id, Message.alert_id.is_not(None))
        .order_by(Message.id)
        .limit(1)
    )
    alert = session.get(Alert, record_id) if record_id is not None else None
    if alert is not None:
        records.link(message, alert)
    return alert
