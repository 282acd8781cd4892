"""The numbers `/metrics` and `gateway status` read at the moment they are asked: cheap queries on indexed columns
(the messages' status and direction/processed_at indexes, the alerts' status index) and Redis keys. Counts, ages
and codes only: never an address, a name or a text."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import redis
from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from gateway.messaging.deliveries import failure_group
from gateway.models import Alert, AlertStatus, Direction, District, Message, MessageStatus, utcnow
from gateway.models.pulse import PulseAnswer, PulseQuestion, PulseRound
from workers.intake import waiting
from workers.queues import LAST_SWEEP_KEY, QUEUES, queue, queue_for

INTAKE_QUEUE = "intake"

# Outbox rows a worker still has to deal with; the others are history.
PENDING = (MessageStatus.QUEUED, MessageStatus.SENDING)


def outbox_depth(session: Session) -> dict[tuple[str, str], int]:
    """Outbound rows waiting (`queued`) or in a provider call (`sending`), by (queue, status): one GROUP BY on the
    status index (pending rows are few, whatever the table's size)."""
    rows = session.execute(
        select(Message.priority, Message.status, func.count(Message.id))
        .where(Message.status.in_(PENDING))
        .group_by(Message.priority, Message.status)
    )
    depth = {(q, str(s)): 0 for q in QUEUES for s in PENDING}
    for priority, status, count in rows:
        key = (queue_for(priority), status)
        depth[key] = depth.get(key, 0) + count
    return depth


def queue_jobs(connection: redis.Redis) -> dict[tuple[str, str], int]:
    """RQ jobs by (queue, state): waiting in the queue, scheduled for later, failed (kept for a week); and the stored
    messages whose handling no worker has queued yet (`workers.intake`), as queue `intake`, state `waiting`."""
    out = {(INTAKE_QUEUE, "waiting"): waiting(connection)}
    for name in QUEUES:
        q = queue(connection, name)
        out[(name, "waiting")] = q.count
        out[(name, "scheduled")] = q.scheduled_job_registry.count
        out[(name, "failed")] = q.failed_job_registry.count
    return out


def last_sweep(connection: redis.Redis) -> float | None:
    """When a worker last finished a sweep (epoch seconds), or None if none has since Redis was emptied."""
    raw = connection.get(LAST_SWEEP_KEY)
    try:
        return float(raw) if raw else None
    except ValueError:
        return None


def record_sweep(connection: redis.Redis, now: float | None = None) -> None:
    """Note that a sweep just finished (the sweeper calls it last)."""
    connection.set(LAST_SWEEP_KEY, repr(time.time() if now is None else now))


@dataclass(frozen=True)
class Unacknowledged:
    """Open alerts nobody has taken yet in one district: how many, and the age of the oldest."""

    district: str
    count: int
    oldest_seconds: float


def unacknowledged_alerts(session: Session, now: datetime | None = None) -> list[Unacknowledged]:
    """Alerts still `new` (neither taken nor closed), per district code ("none" outside every district)."""
    now = now or utcnow()
    rows = session.execute(
        select(District.code, func.count(Alert.id), func.min(Alert.created_at))
        .select_from(Alert)
        .outerjoin(District, District.id == Alert.district_id)
        .where(Alert.status == AlertStatus.NEW)
        .group_by(District.code)
        .order_by(District.code)
    )
    return [Unacknowledged(code or "none", count, _age(now, oldest)) for code, count, oldest in rows]


def oldest_unhandled_inbound(session: Session, now: datetime | None = None) -> float | None:
    """Age in seconds of the oldest inbound message stored but not yet handled (None: all handled)."""
    oldest = session.scalar(
        select(func.min(Message.created_at)).where(Message.direction == Direction.IN, Message.processed_at.is_(None))
    )
    return _age(now or utcnow(), oldest) if oldest is not None else None


def oldest_due_outbound(session: Session, now: datetime | None = None) -> float | None:
    """How long the longest-waiting due outbox row has waited (since it became due), in seconds; rows held for
    later (quiet hours, a provider's Retry-After, the phone's pace) are not late until their time has come."""
    now = now or utcnow()
    due_since = func.coalesce(Message.next_attempt_at, Message.created_at)
    oldest = session.scalar(select(func.min(due_since)).where(Message.status == MessageStatus.QUEUED, due_since <= now))
    return _age(now, oldest) if oldest is not None else None


def failures_since(session: Session, hours: int = 24, now: datetime | None = None) -> dict[str, int]:
    """Outbound messages that failed in the last `hours`, by the delivery bars' error groups."""
    since = (now or utcnow()) - timedelta(hours=hours)
    rows = session.execute(
        select(Message.error_code, func.count(Message.id))
        .where(Message.status == MessageStatus.FAILED, Message.direction == Direction.OUT)
        .where(Message.updated_at >= since)
        .group_by(Message.error_code)
    )
    groups: dict[str, int] = {}
    for code, count in rows:
        group = failure_group(code)
        groups[group] = groups.get(group, 0) + count
    return groups


@dataclass(frozen=True)
class PulseResponse:
    """The latest pulse round of one district: leaders asked, leaders who answered at least one service."""

    district: str
    week: str
    asked: int
    answered: int

    @property
    def rate(self) -> float:
        """answered / asked (0 when nobody was asked)."""
        return self.answered / self.asked if self.asked else 0.0


def pulse_response(session: Session) -> list[PulseResponse]:
    """Per district, the response to its latest pulse run (the newest run that asked anyone there)."""
    latest = (
        select(PulseRound.district_id, func.max(PulseRound.run_id).label("run_id"))
        .group_by(PulseRound.district_id)
        .subquery()
    )
    in_latest = (PulseRound.district_id == latest.c.district_id) & (PulseRound.run_id == latest.c.run_id)
    asked = dict(
        session.execute(
            select(PulseRound.district_id, func.count(distinct(PulseQuestion.contact_id)))
            .join(latest, in_latest)
            .join(PulseQuestion, PulseQuestion.round_id == PulseRound.id)
            .group_by(PulseRound.district_id)
        ).all()
    )
    answered = dict(
        session.execute(
            select(PulseRound.district_id, func.count(distinct(PulseAnswer.contact_id)))
            .join(latest, in_latest)
            .join(PulseAnswer, PulseAnswer.round_id == PulseRound.id)
            .group_by(PulseRound.district_id)
        ).all()
    )
    weeks = session.execute(
        select(District.id, District.code, func.max(PulseRound.week))
        .join(latest, in_latest)
        .join(District, District.id == PulseRound.district_id)
        .group_by(District.id, District.code)
        .order_by(District.code)
    ).all()
    return [PulseResponse(code, week, asked.get(did, 0), answered.get(did, 0)) for did, code, week in weeks]


def _age(now: datetime, then: datetime | None) -> float:
    return max((now - then).total_seconds(), 0.0) if then is not None else 0.0
