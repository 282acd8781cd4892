"""Channel health at a glance, gathered from what the gateway already knows, without calling any provider: the
sender's last answer or failure per channel (gateway.messaging.channel_signals), the last message in and out per
channel, the outbox backlog per queue (rows `queued` in the database, jobs in the RQ queues) and the Android
phone's pace budget for the current minute (workers.pacing's counters in Redis)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gateway.core.runtime import Runtime
from gateway.messaging.channel_signals import SendSignal, read_signal
from gateway.models import Direction, Message, MessageStatus, Priority
from workers import pacing
from workers.queues import QUEUE_BULK, QUEUE_URGENT, queue

# Channels in the order the panel lists them (only the configured ones are shown).
ORDER = ("twilio", "telegram", "android", "console")
# "Last message in/out" looks at the newest messages only (a range of the primary key, never the whole table):
# a channel silent for this many messages is shown as silent, not looked for further back.
RECENT_MESSAGES = 50_000
PACED_CHANNEL = "android"


@dataclass(frozen=True)
class ChannelHealth:
    """One configured channel: `state` is reachable, unreachable or unknown (nothing sent since the signal's TTL)."""

    code: str
    state: str
    answered_at: datetime | None
    failed_at: datetime | None
    failure_code: str | None
    failures_in_a_row: int
    last_in_at: datetime | None
    last_out_at: datetime | None
    queued: int  # outbox rows waiting for this channel


@dataclass(frozen=True)
class QueueBacklog:
    """One queue: outbox rows `queued` with its priority, and the jobs RQ holds for it (waiting, scheduled)."""

    name: str
    queued_rows: int
    jobs_waiting: int
    jobs_scheduled: int


@dataclass(frozen=True)
class PaceBudget:
    """The paced phone's SMS parts in the sliding minute: the bulk rate, the urgent headroom above it, used."""

    limit: int
    headroom: int
    used: int

    @property
    def remaining(self) -> int:
        """Parts a bulk message may still use this minute."""
        return max(self.limit - self.used, 0)

    @property
    def remaining_urgent(self) -> int:
        """Parts an urgent message may still use this minute (the headroom included)."""
        return max(self.limit + self.headroom - self.used, 0)


@dataclass(frozen=True)
class Health:
    """Everything the home page's panel shows; no address, no body."""

    channels: tuple[ChannelHealth, ...]
    queues: tuple[QueueBacklog, ...]
    pace: PaceBudget | None
    checked_at: datetime


def state_of(signal: SendSignal) -> str:
    """reachable when the provider answered the last attempt; unreachable when it failed; unknown before any."""
    if signal.answered_at is None and signal.failed_at is None:
        return "unknown"
    if signal.failed_at is not None and signal.failed_at > (signal.answered_at or 0.0):
        return "unreachable"
    return "reachable"


def _moment(epoch: float | None) -> datetime | None:
    return datetime.fromtimestamp(epoch, UTC) if epoch is not None else None


def _last(session: Session, floor: int, channel: str, direction: str) -> datetime | None:
    """The time of the newest message in (received) or out (sent) on the channel among the recent ones."""
    query = select(Message.created_at if direction == Direction.IN else Message.sent_at).where(
        Message.id > floor, Message.channel == channel, Message.direction == direction
    )
    if direction == Direction.OUT:
        query = query.where(Message.sent_at.is_not(None))
    return session.scalar(query.order_by(Message.id.desc()).limit(1))


def _queued(session: Session) -> dict[tuple[str, str], int]:
    """Queued outbox rows by (channel, priority) (the status index: queued rows are few)."""
    query = (
        select(Message.channel, Message.priority, func.count(Message.id))
        .where(Message.status == MessageStatus.QUEUED)
        .group_by(Message.channel, Message.priority)
    )
    return {(channel, priority): count for channel, priority, count in session.execute(query)}


def _channel(runtime: Runtime, session: Session, floor: int, code: str, queued: dict) -> ChannelHealth:
    signal = read_signal(runtime.redis, code)
    return ChannelHealth(
        code=code,
        state=state_of(signal),
        answered_at=_moment(signal.answered_at),
        failed_at=_moment(signal.failed_at),
        failure_code=signal.failure_code,
        failures_in_a_row=signal.failures_in_a_row,
        last_in_at=_last(session, floor, code, Direction.IN),
        last_out_at=_last(session, floor, code, Direction.OUT),
        queued=sum(n for (channel, _), n in queued.items() if channel == code),
    )


def _queues(runtime: Runtime, queued: dict) -> tuple[QueueBacklog, ...]:
    out = []
    for name, priority in ((QUEUE_URGENT, Priority.URGENT), (QUEUE_BULK, Priority.BULK)):
        q = queue(runtime.redis, name)
        rows = sum(n for (_, p), n in queued.items() if p == priority)
        out.append(QueueBacklog(str(priority), rows, q.count, q.scheduled_job_registry.count))
    return tuple(out)


def _pace(runtime: Runtime) -> PaceBudget | None:
    channel = runtime.channels.get(PACED_CHANNEL)
    rate = getattr(channel, "segments_per_minute", None)
    if not rate:
        return None
    used = pacing.used(runtime.redis, PACED_CHANNEL)
    return PaceBudget(limit=rate, headroom=getattr(channel, "urgent_headroom", 0), used=used)


def gather(runtime: Runtime) -> Health:
    """The health of every configured channel, the backlog per queue and the phone's pace, as of now."""
    codes = [code for code in ORDER if code in runtime.channels]
    codes += sorted(code for code in runtime.channels if code not in ORDER)
    with runtime.db.sessions() as session:
        newest = session.scalar(select(func.max(Message.id))) or 0
        floor = max(newest - RECENT_MESSAGES, 0)
        queued = _queued(session)
        channels = tuple(_channel(runtime, session, floor, code, queued) for code in codes)
    return Health(channels, _queues(runtime, queued), _pace(runtime), datetime.now(UTC))
