"""The loop guard: a sender whose identical messages come at machine speed (an auto-responder answering our
replies, a phone stuck resending) is a loop, not a person. While it lasts nothing is answered, the copies join
the first one's report instead of making one each, and the desk is told once per episode.

A copy is a message whose normalised text (flows.keywords.normalise) equals one already received from the same
sender within LOOP_GUARD_SECONDS; LOOP_GUARD_COUNT copies start an episode. The episode lasts until the sender
has been quiet (sent nothing at all) for LOOP_GUARD_SECONDS.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass

import redis
from sqlalchemy import select
from sqlalchemy.orm import Session

from flows import catalogue
from flows.conversations import address_key
from flows.keywords import normalise
from gateway.alerts import records
from gateway.core.runtime import Runtime
from gateway.directory.roles import facilitators_of
from gateway.escalation.officers import officers_for
from gateway.messaging.outbox import queue_message
from gateway.models import Alert, Contact, Message, MessageKind, Priority, Role
from workers.queues import KEY_PREFIX

log = logging.getLogger(__name__)

COPIES_KEY = KEY_PREFIX + "loop:"  # per sender and text: the ids of the copies received within the window
EPISODE_KEY = KEY_PREFIX + "loop:on:"  # per sender: present while it loops, renewed by each of its messages

# Atomic: forget copies older than the window, list the earlier ones, add this one; renew a running episode, or
# start one when this copy reaches the threshold. Returns {was looping, episode started now, earlier copy ids}.
_OBSERVE = """
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local earlier = redis.call('ZRANGE', KEYS[1], 0, -1)
redis.call('ZADD', KEYS[1], now, ARGV[4])
redis.call('EXPIRE', KEYS[1], window + 1)
local looping = redis.call('EXISTS', KEYS[2])
local started = 0
if looping == 1 then
  redis.call('EXPIRE', KEYS[2], window)
elseif #earlier + 1 >= tonumber(ARGV[3]) then
  redis.call('SET', KEYS[2], '1', 'EX', window)
  started = 1
end
return {looping, started, earlier}
"""
# A message without text (a photo, a location) is no copy of anything, but it does keep a running episode going.
_RENEW = "if redis.call('EXPIRE', KEYS[1], ARGV[1]) == 1 then return 1 end return 0"


@dataclass(frozen=True)
class LoopCheck:
    """What the guard found for one inbound message."""

    muted: bool = False  # the sender loops: hold every reply to this message
    new_episode: bool = False  # this message started the episode: tell the desk
    copies: tuple[int, ...] = ()  # earlier messages with the same text within the window


class _Warned:
    redis_down = False  # Redis down is logged once, not once per message


def observe(runtime: Runtime, message: Message) -> LoopCheck:
    """Count this message among its sender's copies; whether the sender loops. Fails open when Redis is down."""
    settings = runtime.settings
    sender = address_key(f"{message.channel}:{message.address}")
    episode = EPISODE_KEY + sender
    text = normalise(message.body or "")
    try:
        if not text:
            return LoopCheck(muted=bool(runtime.redis.eval(_RENEW, 1, episode, settings.loop_guard_seconds)))
        digest = hashlib.sha256(text.encode()).hexdigest()[:16]
        keys = [f"{COPIES_KEY}{sender}:{digest}", episode]
        # Copies are timed by their arrival, not their handling: messages stored during an outage and handled
        # together later are not a loop for that.
        received = message.created_at.timestamp() if message.created_at else time.time()
        args = [received, settings.loop_guard_seconds, settings.loop_guard_count, message.id]
        looping, started, earlier = runtime.redis.eval(_OBSERVE, 2, *keys, *args)
    except redis.RedisError as exc:
        if not _Warned.redis_down:
            _Warned.redis_down = True
            log.warning("loop guard off: Redis unavailable (%s)", type(exc).__name__)
        return LoopCheck()
    _Warned.redis_down = False
    copies = tuple(int(i) for i in earlier if int(i) != message.id)
    if started:
        log.warning("message %s: sender loops (%s identical messages); replies held", message.id, len(copies) + 1)
    return LoopCheck(muted=bool(looping or started), new_episode=bool(started), copies=copies)


def report(session: Session, contact: Contact | None, message: Message, check: LoopCheck) -> Alert:
    """The untriaged report for a free text: the one an earlier copy made, else a new one."""
    if check.copies:
        first = session.scalar(
            select(Message.alert_id)
            .where(Message.id.in_(check.copies), Message.alert_id.is_not(None))
            .order_by(Message.id)
            .limit(1)
        )
        alert = session.get(Alert, first) if first is not None else None
        if alert is not None:
            records.link(message, alert)
            return alert
    return records.create_report(session, contact, message)


def desk_for(session: Session, contact: Contact | None) -> list[Contact]:
    """Who hears of a loop: the sender's district facilitators; else their region's coordinators (level 2);
    else, for unknown senders and contacts without a region, every coordinator; else head office (level 3)."""
    people: list[Contact] = []
    if contact is not None and contact.district_id is not None:
        people = facilitators_of(session, contact.district_id)
    region = contact.region or (contact.district.region if contact.district else None) if contact else None
    if not people and region:
        people = officers_for(session, 2, None, region)
    if not people:
        people = list(
            session.scalars(
                select(Contact)
                .where(Contact.role == Role.OFFICER, Contact.escalation_level == 2, Contact.active.is_(True))
                .where(Contact.opted_out.is_(False))
                .order_by(Contact.id)
            )
        )
    if not people:
        people = officers_for(session, 3, None, None)
    return [person for person in people if contact is None or person.id != contact.id]


def tell_desk(session: Session, runtime: Runtime, message: Message, contact: Contact | None) -> None:
    """Tell the desk, once per episode, that a sender loops: never a phone number nor a name (the desk may not
    see who reported what), only whether the sender is in the directory and the report's reference; an
    administrator who must call them reveals the reporter of that reference, audited."""
    ref = f" #{message.alert_id}" if message.alert_id else ""
    for person in desk_for(session, contact):
        who = catalogue.text(person.language, "loop.known" if contact is not None else "loop.unknown") + ref
        body = catalogue.text(person.language, "loop.desk", who=who, count=runtime.settings.loop_guard_count)
        queue_message(session, runtime, body=body, contact=person, priority=Priority.BULK, kind=MessageKind.DESK_NOTICE)
