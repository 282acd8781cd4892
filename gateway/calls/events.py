"""Which stored call events make a missed call: a number that rang and hung up with no call started in between.

CallGate posts each phone state as its own webhook (`call:ringing`, `call:started`, `call:ended`), each from its own
background job, so they may arrive out of order; Android also sends every state twice, once without the number. The
events are therefore ordered by the phone's own signing time (then by the order of a call's states), the numbered
ones pair up, and any call started on the phone in between means someone answered. Whichever of the ringing and
the end is handled last finds the pair; the ringing record remembers the report it led to, so a pair is acted on once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bots.callgate import CALL_EVENTS, CODE
from gateway.models import Direction, Message

# A phone rings for about a minute at most; events of one number further apart than this are separate calls.
CALL_WINDOW_SECONDS = 300
RINGING, STARTED, ENDED = CALL_EVENTS


@dataclass(frozen=True)
class StoredEvent:
    """A stored call event, read back from its record."""

    message_id: int
    event: str
    device: str
    stamped: int
    caller: str | None
    alert_id: int | None

    @property
    def order(self) -> tuple[int, int, int]:
        """When the phone signed it, then the call's own order of states, then arrival."""
        return (self.stamped, CALL_EVENTS[self.event], self.message_id)


def read(message: Message) -> StoredEvent | None:
    """The call event a CallGate record holds, or None for a record that is not one (or was purged)."""
    try:
        meta = json.loads(message.meta or "")
        event, device, stamped = meta["call"], meta["device"], int(meta["stamped"])
    except (ValueError, TypeError, KeyError):
        return None
    if event not in CALL_EVENTS:
        return None
    return StoredEvent(message.id, event, device, stamped, message.address or None, message.alert_id)


def _neighbours(session: Session, message: Message, device: str) -> list[StoredEvent]:
    """The phone's call events stored around this one, in the phone's order."""
    window = timedelta(seconds=CALL_WINDOW_SECONDS)
    rows = session.scalars(
        select(Message)
        .where(Message.channel == CODE, Message.direction == Direction.IN)
        .where(Message.created_at >= message.created_at - window, Message.created_at <= message.created_at + window)
    ).all()
    events = [e for e in map(read, rows) if e is not None and e.device == device]
    return sorted(events, key=lambda e: e.order)


def missed_call(session: Session, message: Message) -> int | None:
    """The id of the ringing record of the missed call this event completes, or None (not a missed call, not yet
    complete, answered, or already acted on)."""
    this = read(message)
    if this is None or this.caller is None or this.event == STARTED:
        return None
    events = _neighbours(session, message, this.device)
    if this.event == ENDED:
        before = [e for e in events if e.order < this.order and this.stamped - e.stamped <= CALL_WINDOW_SECONDS]
        rings = [e for e in before if e.event == RINGING and e.caller == this.caller]
        if not rings:
            return None
        ring, end = rings[-1], this
    else:
        after = [e for e in events if e.order > this.order and e.stamped - this.stamped <= CALL_WINDOW_SECONDS]
        ends = [e for e in after if e.event == ENDED and e.caller == this.caller]
        if not ends:
            return None
        ring, end = this, ends[0]
    between = [e for e in events if ring.order < e.order < end.order]
    if any(e.event == STARTED for e in between):
        return None  # answered (any call started on the phone meanwhile: better a missed page than a false one)
    if any(e.event == ENDED and e.caller == ring.caller for e in between):
        return None  # an earlier end closed that ringing; this end belongs to another call
    if ring.alert_id is not None:
        return None  # already acted on
    return ring.message_id
