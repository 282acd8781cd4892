"""Repeated alerts are one alert: a leader who sends `ALERTE 3 …` ten times about one place in a few minutes
(more news, or no trust that the first went through) adds to the open alert instead of paging the officers ten
times. Same leader, same district, commune and place (normalised), within ALERT_MERGE_SECONDS (0: off) of the
open alert's creation. A higher severity raises the alert, and starts its ladder if it now needs one."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from flows.keywords import normalise
from gateway.alerts import records
from gateway.core.runtime import Runtime
from gateway.escalation import ladder
from gateway.escalation.policy import DEFAULT_POLICY, Plan
from gateway.models import (
    Alert,
    AlertSource,
    AlertStatus,
    AlertUpdate,
    Contact,
    Escalation,
    Message,
    utcnow,
)

OPEN_STATUSES = (AlertStatus.NEW, AlertStatus.ACKNOWLEDGED, AlertStatus.VERIFIED)
MERGED = "merged"  # AlertUpdate.kind of a repeated alert's text


def _place(district_id: int | None, commune: str | None, place: str | None) -> tuple:
    return district_id, normalise(commune or ""), normalise(place or "")


def open_match(
    session: Session, runtime: Runtime, contact: Contact, place: str | None, exclude: int | None = None
) -> Alert | None:
    """The leader's open alert about the same place, recorded within the merge window; None if there is none."""
    window = runtime.settings.alert_merge_seconds
    if window <= 0:
        return None
    since = utcnow() - timedelta(seconds=window)
    candidates = session.scalars(
        select(Alert)
        .where(Alert.reporter_id == contact.id, Alert.status.in_(OPEN_STATUSES), Alert.created_at >= since)
        .where(Alert.source.in_([AlertSource.ONESHOT, AlertSource.GUIDED]), Alert.id != (exclude or 0))
        .order_by(Alert.id)
    )
    wanted = _place(contact.district_id, contact.commune, place)
    return next((a for a in candidates if _place(a.district_id, a.commune, a.place or a.village) == wanted), None)


def merge(
    session: Session,
    runtime: Runtime,
    alert: Alert,
    message: Message,
    text: str | None,
    severity: int | None,
    category: str | None = None,
) -> None:
    """Join a repeated alert to the open one: the message linked, its text kept, a higher severity applied."""
    records.link(message, alert)
    session.add(AlertUpdate(alert_id=alert.id, kind=MERGED, value=text, message_id=message.id))
    if category and not alert.category:
        alert.category = category
    if severity is not None and (alert.severity is None or severity > alert.severity):
        alert.severity = severity
    session.flush()
    _escalate_if_needed(session, runtime, alert)


def absorb(session: Session, runtime: Runtime, draft: Alert, alert: Alert, message: Message) -> None:
    """A guided alert just completed about the place of an open one: its messages and answers join that alert,
    and the draft (never recorded, never paged) is removed."""
    session.execute(
        update(Message).where(Message.alert_id == draft.id).values(alert_id=alert.id),
        execution_options={"synchronize_session": False},
    )
    if alert.latitude is None and draft.latitude is not None:
        alert.latitude, alert.longitude = draft.latitude, draft.longitude
    text, severity, category = draft.description, draft.severity, draft.category
    session.delete(draft)
    session.flush()
    merge(session, runtime, alert, message, text, severity, category)


def _escalate_if_needed(session: Session, runtime: Runtime, alert: Alert) -> None:
    """Start the ladder (or the notice) the alert now calls for, once: not when one already ran at that plan."""
    plan = DEFAULT_POLICY.plan(alert)
    if plan is Plan.NONE:
        return
    escalation = session.scalar(select(Escalation).where(Escalation.alert_id == alert.id))
    if escalation is None or (plan is Plan.LADDER and not escalation.ladder):
        ladder.start(session, runtime, alert)
