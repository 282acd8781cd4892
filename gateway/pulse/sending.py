"""Sending the pulse: one run, one round per tracked commune that has leaders, one question (and outbox row) per
active, not-opted-out leader of that commune; a dry run counts recipients, SMS segments and cost and writes nothing.

By the clock, the sweeper calls `send_due`: once the local time has passed this week's PULSE_AT, the first worker to
insert the week's `PulseRun(schedule_key=week)` sends it. A gateway that was down at the due time still sends within
LATE_LIMIT of it; later than that, the week is skipped (the next one comes as usual)."""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gateway.core import audit
from gateway.core.runtime import Runtime
from gateway.messaging.estimate import estimate
from gateway.messaging.outbox import queue_message
from gateway.models import Contact, MessageKind, Priority, PulseQuestion, PulseRound, PulseRun, Role, utcnow
from gateway.pulse.question import buttons, question_text, week_of
from gateway.pulse.services import TrackedCommune, asked_this_round, commune_key, round_history, tracked_communes

log = logging.getLogger(__name__)

# A question that arrives a day late still gets the week's answers; a Thursday question about "this week" would mix
# two weeks in one round, and the leaders would get two pulses within days.
LATE_LIMIT = timedelta(hours=24)
SCHEDULE_ACTOR = "schedule"


class PulseError(ValueError):
    """The pulse cannot be sent; the message says why, for the person who asked."""


@dataclass(frozen=True)
class PlannedRound:
    """A commune's round before it is written: the services to ask and the leaders to ask."""

    commune: TrackedCommune
    services: list[str]
    leaders: list[Contact]


@dataclass(frozen=True)
class PulseSummary:
    """What a sending reached (or, for a dry run, would reach)."""

    run_id: int | None
    week: str
    communes: int
    recipients: int
    segments: int
    cost: str | None
    channels: tuple[tuple[str, int], ...]
    not_sent: int
    without_leaders: tuple[str, ...]  # tracked communes where no leader can be asked
    leaves_at: datetime | None  # quiet hours: when the questions leave (UTC); None: at once

    def as_dict(self) -> dict:
        """JSON-ready form for the CLI."""
        return {
            "run": self.run_id,
            "week": self.week,
            "communes": self.communes,
            "recipients": self.recipients,
            "segments": self.segments,
            "cost": self.cost,
            "channels": dict(self.channels),
            "not_sent": self.not_sent,
            "without_leaders": list(self.without_leaders),
            "leaves_at": self.leaves_at.isoformat() if self.leaves_at else None,
        }


def send_pulse(
    runtime: Runtime,
    *,
    district_id: int | None = None,
    actor: str,
    now: datetime | None = None,
    dry_run: bool = False,
    scheduled: bool = False,
) -> PulseSummary:
    """Send this week's pulse (of one district, or all); PulseError when no service is tracked. A scheduled
    sending claims the week first (IntegrityError: already claimed) and skips communes asked this week already."""
    now = now or utcnow()
    week = week_of(now.astimezone(ZoneInfo(runtime.settings.timezone)))
    with runtime.db.transaction() as session:
        communes = tracked_communes(session, district_id)
        if not communes:
            where = " in this district" if district_id is not None else ""
            raise PulseError(f"no tracked service{where}: import a roadmap first (gateway roadmaps import FILE.csv)")
        run = None
        if scheduled and not dry_run:
            run = PulseRun(week=week, schedule_key=week, district_id=district_id, actor=actor, created_at=now)
            session.add(run)
            session.flush()  # the unique schedule_key is the claim of the week's scheduled sending
        planned, without = _plan(session, communes, district_id, week if scheduled else None)
        recipients = [(leader, _text(leader, week, p)) for p in planned for leader in p.leaders]
        cost = estimate(runtime, recipients, MessageKind.PULSE)
        if not dry_run and planned:
            run = run or PulseRun(week=week, district_id=district_id, actor=actor, created_at=now)
            session.add(run)
            session.flush()
            _write(session, runtime, run, planned, now)
            if actor != "schedule":
                detail = f"week {week}: {len(planned)} communes, {len(recipients)} leaders, {cost.segments_total} SMS"
                audit.record(session, actor, "pulse.send", f"pulse run {run.id}", detail)
    summary = PulseSummary(
        run_id=run.id if run is not None else None,
        week=week,
        communes=len(planned),
        recipients=len(recipients),
        segments=cost.segments_total,
        cost=cost.cost,
        channels=cost.channels,
        not_sent=cost.not_sent,
        without_leaders=tuple(without),
        leaves_at=cost.leaves_at,
    )
    if not dry_run:
        log.info("pulse %s sent: %s communes, %s leaders", week, summary.communes, summary.recipients)
    return summary


def _plan(
    session: Session, communes: list[TrackedCommune], district_id: int | None, skip_week: str | None
) -> tuple[list[PlannedRound], list[str]]:
    """Each tracked commune's services to ask and leaders to ask; the names of communes without leaders."""
    leaders = _leaders_by_commune(session, {c.district_id for c in communes})
    history = round_history(session, district_id)
    asked_already = set()
    if skip_week is not None:
        asked_already = {
            (district, commune_key(name))
            for district, name in session.execute(
                select(PulseRound.district_id, PulseRound.commune).where(PulseRound.week == skip_week)
            )
        }
    planned, without = [], []
    for commune in communes:
        place = (commune.district_id, commune.key)
        if place in asked_already:
            continue  # a pulse sent by hand this week already asked this commune: the schedule does not ask again
        if not leaders.get(place):
            without.append(commune.name)
            continue
        planned.append(PlannedRound(commune, asked_this_round(commune, history.get(place, [])), leaders[place]))
    return planned, without


def _leaders_by_commune(session: Session, district_ids: set[int]) -> dict[tuple[int, str], list[Contact]]:
    """The active, not-opted-out leaders of these districts, by (district, commune key)."""
    rows = session.scalars(
        select(Contact)
        .where(Contact.district_id.in_(district_ids), Contact.role == Role.LEADER)
        .where(Contact.active.is_(True), Contact.opted_out.is_(False), Contact.commune.is_not(None))
        .order_by(Contact.id)
    )
    out: dict[tuple[int, str], list[Contact]] = defaultdict(list)
    for contact in rows:
        out[(contact.district_id, commune_key(contact.commune))].append(contact)
    return out


def _text(leader: Contact, week: str, planned: PlannedRound) -> str:
    return question_text(leader.language, week, planned.commune.name, planned.services)


def _write(session: Session, runtime: Runtime, run: PulseRun, planned: list[PlannedRound], now: datetime) -> None:
    """The rounds, the questions and their outbox rows, in the caller's transaction."""
    for plan in planned:
        pulse_round = PulseRound(
            run_id=run.id,
            district_id=plan.commune.district_id,
            commune=plan.commune.name,
            week=run.week,
            services=",".join(plan.services),
            asked=len(plan.leaders),
            created_at=now,
        )
        session.add(pulse_round)
        session.flush()
        for leader in plan.leaders:
            message = queue_message(
                session,
                runtime,
                body=_text(leader, run.week, plan),
                contact=leader,
                priority=Priority.BULK,
                kind=MessageKind.PULSE,
                buttons=buttons(leader.language, run.week, plan.services),
            )
            session.add(
                PulseQuestion(round_id=pulse_round.id, contact_id=leader.id, message_id=message.id, created_at=now)
            )


def send_due(runtime: Runtime, now: datetime | None = None) -> PulseSummary | None:
    """Send the week's scheduled pulse if it is due, not too late, and not sent yet; the summary, or None."""
    schedule = runtime.settings.pulse_schedule
    if schedule is None:  # PULSE_EVERY=off
        return None
    now = now or utcnow()
    local = now.astimezone(ZoneInfo(runtime.settings.timezone))
    due = schedule.last_due(local)
    if local - due > LATE_LIMIT:
        return None  # too late for this week: skipped
    try:
        # `now=due`: the run belongs to the week it was due, even when a Sunday pulse goes out on Monday.
        return send_pulse(runtime, actor=SCHEDULE_ACTOR, now=due.astimezone(now.tzinfo), scheduled=True)
    except IntegrityError:
        return None  # another worker (or an earlier sweep) claimed this week
    except PulseError:
        log.debug("scheduled pulse: nothing to send (no tracked service)")
        return None
