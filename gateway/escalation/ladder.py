"""The escalation ladder: start it, climb it one step at a time, stop it on acknowledgement or closure,
and remind the acknowledging officer of an alert left open. Every step is claimed with a conditional update,
so a step fires once even when the scheduler and the sweeper both enqueue it."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from gateway.core.db import on_commit
from gateway.core.runtime import Runtime
from gateway.escalation.notify import alert_text, notified_officers, notify_officer
from gateway.escalation.officers import first_staffed_level, officers_for_alert
from gateway.escalation.policy import DEFAULT_POLICY, Plan
from gateway.models import Alert, Escalation, EscalationStatus, Notification, utcnow
from gateway.observability.metrics import count_escalation_step
from workers.schedule import schedule_resolve_reminder, schedule_step

log = logging.getLogger(__name__)


def start(session: Session, runtime: Runtime, alert: Alert) -> Escalation | None:
    """Set the policy's plan for a newly recorded alert in motion (or in motion again, after a relapse)."""
    plan = DEFAULT_POLICY.plan(alert)
    if plan is Plan.NONE:
        return None
    level = first_staffed_level(session, alert)
    if level is None:
        log.warning("alert %s: no officer to page in its district, region or head office", alert.id)
        return None
    now = utcnow()
    escalation = session.scalar(select(Escalation).where(Escalation.alert_id == alert.id))
    if escalation is None:
        escalation = Escalation(alert_id=alert.id, step_seq=0)
        session.add(escalation)
    ladder = plan is Plan.LADDER
    escalation.ladder, escalation.level, escalation.repeats = ladder, level, 0
    escalation.status = EscalationStatus.ACTIVE
    escalation.started_at = now
    escalation.acknowledged_by_id = escalation.acknowledged_at = escalation.acknowledged_by_user_id = None
    escalation.resolved_by_id = escalation.resolved_at = escalation.resolution_note = None
    escalation.resolved_by_user_id = None
    escalation.remind_at = escalation.reminded_at = None
    escalation.step_seq = (escalation.step_seq or 0) + 1
    escalation.next_step_at = now + timedelta(seconds=runtime.settings.escalation_step_seconds) if ladder else None
    session.flush()
    _notify_level(session, runtime, alert, level, "alert", every_channel=ladder)
    on_commit(session, lambda: count_escalation_step(level, "start"))
    if ladder:
        schedule_after_commit(session, runtime, escalation)
    log.info("alert %s: %s started at level %s", alert.id, plan.value, level)
    return escalation


def schedule_after_commit(session: Session, runtime: Runtime, escalation: Escalation) -> None:
    """Ask RQ's scheduler to fire the escalation's next step when it is due."""
    esc_id, seq, when, connection = escalation.id, escalation.step_seq, escalation.next_step_at, runtime.redis
    on_commit(session, lambda: schedule_step(connection, esc_id, seq, when))


def _notify_level(session: Session, runtime: Runtime, alert: Alert, level: int, purpose: str, every_channel: bool):
    # Urgent alerts say so and go on every channel; a tension (severity 2) is a plain notice.
    key = "escalation.alert" if every_channel else "escalation.notice"
    for officer in officers_for_alert(session, alert, level):
        text = alert_text(alert, officer.language, key)
        notify_officer(
            session, runtime, alert, officer, level=level, purpose=purpose, text=text, every_channel=every_channel
        )


def _remind_lower_levels(session: Session, runtime: Runtime, alert: Alert, new_level: int) -> None:
    """Officers already paged hear that the alert went up a level and is still waiting for them."""
    from flows import catalogue

    for officer in notified_officers(session, alert.id):
        text = catalogue.text(officer.language, "escalation.reminder", ref=alert.id, level=new_level)
        notify_officer(
            session, runtime, alert, officer, level=new_level, purpose="reminder", text=text, every_channel=True
        )


def step(runtime: Runtime, escalation_id: int, seq: int) -> str:
    """Fire one step of the ladder if it is still due and nobody fired it yet. Returns what happened."""
    now = utcnow()
    with runtime.db.transaction() as session:
        claimed = session.execute(
            update(Escalation)
            .where(Escalation.id == escalation_id, Escalation.step_seq == seq)
            .where(Escalation.status == EscalationStatus.ACTIVE, Escalation.ladder.is_(True))
            .where(Escalation.next_step_at <= now + timedelta(seconds=1))
            .values(step_seq=seq + 1)
        ).rowcount
        if claimed != 1:
            return "skipped"
        escalation = session.get(Escalation, escalation_id)
        alert = escalation.alert
        next_level = first_staffed_level(session, alert, above=escalation.level)
        if next_level is not None:
            _remind_lower_levels(session, runtime, alert, next_level)
            _notify_level(session, runtime, alert, next_level, "alert", every_channel=True)
            escalation.level = next_level
            outcome, kind = f"level {next_level}", "up"
        elif escalation.repeats < runtime.settings.escalation_max_repeats:
            escalation.repeats += 1
            _notify_level(session, runtime, alert, escalation.level, "repeat", every_channel=True)
            outcome, kind = f"repeat {escalation.repeats} of level {escalation.level}", "repeat"
        else:
            escalation.status = EscalationStatus.EXHAUSTED
            escalation.next_step_at = None
            log.warning("alert %s: ladder exhausted without acknowledgement", alert.id)
            level = escalation.level
            on_commit(session, lambda: count_escalation_step(level, "exhausted"))
            return "exhausted"
        escalation.next_step_at = now + timedelta(seconds=runtime.settings.escalation_step_seconds)
        schedule_after_commit(session, runtime, escalation)
        level = escalation.level
        on_commit(session, lambda: count_escalation_step(level, kind))
    log.info("alert %s escalated: %s", escalation.alert_id, outcome)
    return outcome


def remind_to_resolve(runtime: Runtime, escalation_id: int) -> str:
    """One reminder to the acknowledging officer of an alert still open after the reminder delay."""
    from flows import catalogue

    now = utcnow()
    with runtime.db.transaction() as session:
        claimed = session.execute(
            update(Escalation)
            .where(Escalation.id == escalation_id, Escalation.reminded_at.is_(None))
            .where(Escalation.resolved_at.is_(None), Escalation.acknowledged_by_id.is_not(None))
            .where(Escalation.remind_at <= now + timedelta(seconds=1))
            .values(reminded_at=now)
        ).rowcount
        if claimed != 1:
            return "skipped"
        escalation = session.get(Escalation, escalation_id)
        officer, alert = escalation.acknowledged_by, escalation.alert
        text = catalogue.text(officer.language, "escalation.resolve_reminder", ref=alert.id)
        notify_officer(
            session, runtime, alert, officer, level=escalation.level, purpose="resolve_reminder", text=text,
            every_channel=False,
        )  # fmt: skip
    return "reminded"


def acknowledge(
    session: Session, runtime: Runtime, escalation: Escalation, officer_id: int | None, user_id: int | None = None
) -> bool:
    """Record who took the alert (an officer by SMS, or a staff account from the console or the API, linked to
    its directory contact when it has one); False when someone else was faster (the first one wins)."""
    now = utcnow()
    remind_at = now + timedelta(seconds=runtime.settings.escalation_resolve_remind_seconds)
    won = session.execute(
        update(Escalation)
        .where(Escalation.id == escalation.id, Escalation.acknowledged_at.is_(None))
        .values(
            acknowledged_by_id=officer_id,
            acknowledged_by_user_id=user_id,
            acknowledged_at=now,
            status=EscalationStatus.STOPPED,
            next_step_at=None,
            remind_at=remind_at if officer_id is not None else None,  # the reminder is an SMS to that officer
        )
        # The database decides who won: never copy these values onto the loaded object by evaluation.
        .execution_options(synchronize_session=False)
    ).rowcount
    session.refresh(escalation)
    if won != 1:
        return False
    if officer_id is not None:
        esc_id, connection = escalation.id, runtime.redis
        on_commit(session, lambda: schedule_resolve_reminder(connection, esc_id, remind_at))
    return True


def taken_by(escalation: Escalation) -> str:
    """The name of whoever took the alert (officer or staff account), for the loser of a race."""
    if escalation.acknowledged_by is not None:
        return escalation.acknowledged_by.name
    if escalation.acknowledged_by_user is not None:
        return escalation.acknowledged_by_user.name
    return "?"


def timeline(session: Session, alert_id: int) -> list[Notification]:
    """Every notification about an alert, in order."""
    return list(
        session.scalars(select(Notification).where(Notification.alert_id == alert_id).order_by(Notification.id))
    )
