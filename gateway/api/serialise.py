"""Alerts as the API shows them: the alert object, and its timeline of events in time order.

What a role may read is decided here, once: the observer gets places, categories, statuses and times, never a
message text, a note or a name; the reporter's identity is added by the view only after an audited reveal."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.media.records import kinds_of
from gateway.models import (
    Alert,
    AlertUpdate,
    Contact,
    Direction,
    Escalation,
    Message,
    MessageStatus,
    Notification,
    StaffUser,
)
from gateway.staff.scope import Scope


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def escalations_of(session: Session, alert_ids: list[int]) -> dict[int, Escalation]:
    """The escalation of each alert that has one (one query for a page of alerts)."""
    if not alert_ids:
        return {}
    rows = session.scalars(select(Escalation).where(Escalation.alert_id.in_(alert_ids)))
    return {row.alert_id: row for row in rows}


def alert_object(alert: Alert, escalation: Escalation | None, scope: Scope) -> dict:
    """The alert object; `description` is null for a role that reads no bodies (and after retention)."""
    return {
        "ref": alert.id,
        "district": alert.district.code if alert.district else None,
        "commune": alert.commune,
        "village": alert.village,
        "category": alert.category,
        "severity": alert.severity,
        "status": alert.status,
        "channel": alert.channel,
        "created_at": _iso(alert.created_at),
        "acknowledged_at": _iso(escalation.acknowledged_at) if escalation else None,
        "resolved_at": _iso(escalation.resolved_at) if escalation else None,
        "description": alert.description if scope.reads_bodies else None,
        "media": kinds_of(alert),  # kinds only (photo, voice…), for every role: the files are the console's
    }


def _delivery(message: Message | None) -> dict:
    status = message.status if message else None
    return {"delivery": status, "delivered": status == MessageStatus.DELIVERED}


class _Events:
    """Collects timeline events, hiding texts and names from a role that may not read them."""

    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.items: list[tuple[datetime, int, dict]] = []

    def add(self, at: datetime | None, kind: str, *, text: str | None = None, by: str | None = None, **fields) -> None:
        if at is None:
            return
        event = {"at": at.isoformat(), "kind": kind, **fields}
        if self.scope.reads_bodies:
            if by is not None:
                event["by"] = by
            if text is not None or kind in ("message", "note", "reply"):
                event["text"] = text
        self.items.append((at, len(self.items), event))

    def sorted(self) -> list[dict]:
        return [event for _, _, event in sorted(self.items, key=lambda item: (item[0], item[1]))]


def _staff_name(session: Session, user_id: int | None) -> str | None:
    user = session.get(StaffUser, user_id) if user_id else None
    return user.name if user else None


def _contact_name(session: Session, contact_id: int | None) -> str | None:
    contact = session.get(Contact, contact_id) if contact_id else None
    return contact.name if contact else None


def _updates(session: Session, alert: Alert, events: _Events, shown: set[int]) -> None:
    for row in session.scalars(select(AlertUpdate).where(AlertUpdate.alert_id == alert.id).order_by(AlertUpdate.id)):
        if row.kind == "triaged":
            category, _, severity = (row.value or "").partition(" ")
            level = int(severity) if severity.isdigit() else None
            events.add(row.created_at, "triage", category=category or None, severity=level, by=row.actor)
        elif row.kind == "status":
            status, _, note = (row.value or "").partition(" ")
            events.add(row.created_at, "status", status=status, by=row.actor, **_note(events.scope, note))
        elif row.kind == "note":
            events.add(row.created_at, "note", text=row.value, by=row.actor)
        elif row.kind == "reply":
            message = session.get(Message, row.message_id) if row.message_id else None
            shown.add(row.message_id)
            events.add(row.created_at, "reply", text=row.value, by=row.actor, **_delivery(message))
        elif row.kind == "asked":
            events.add(row.created_at, "followup_asked")
        elif row.kind == "answered":  # calmer | tense | worse: a choice the reporter picked, not free text
            events.add(row.created_at, "followup_answered", assessment=row.value)
        elif row.kind in ("update", "merged") and row.message_id and row.message_id not in shown:
            message = session.get(Message, row.message_id)
            if message is not None and message.alert_id != alert.id:  # linked messages are listed on their own
                shown.add(message.id)
                events.add(message.created_at, "message", text=message.body, channel=message.channel)


def _note(scope: Scope, note: str) -> dict:
    return {"note": note or None} if scope.reads_bodies else {}


def timeline(session: Session, alert: Alert, escalation: Escalation | None, scope: Scope) -> list[dict]:
    """Everything that happened to the alert, oldest first: each event `{"at", "kind", ...}`."""
    events = _Events(scope)
    events.add(alert.created_at, "created", channel=alert.channel, source=alert.source)
    shown: set[int] = set()
    inbound = select(Message).where(Message.alert_id == alert.id, Message.direction == Direction.IN)
    for message in session.scalars(inbound.order_by(Message.id)):
        shown.add(message.id)
        events.add(message.created_at, "message", text=message.body, channel=message.channel)
    _updates(session, alert, events, shown)
    paged = select(Notification).where(Notification.alert_id == alert.id).order_by(Notification.id)
    for note in session.scalars(paged):
        fields = {"level": note.level, "purpose": note.purpose, "channel": note.message.channel}
        if scope.reads_bodies:
            fields["officer"] = note.officer.name
        events.add(note.created_at, "paged", **fields, **_delivery(note.message))
    if escalation is not None:
        taker = _staff_name(session, escalation.acknowledged_by_user_id) or _contact_name(
            session, escalation.acknowledged_by_id
        )
        events.add(escalation.acknowledged_at, "acknowledged", by=taker)
        if escalation.resolved_by_user_id is None and escalation.resolved_at is not None:
            # Closed by an officer's SMS (`FIN 142`): the console and the API leave a status event instead.
            events.add(
                escalation.resolved_at,
                "closed",
                status=alert.status,
                by=_contact_name(session, escalation.resolved_by_id),
                **_note(scope, escalation.resolution_note or ""),
            )
    return events.sorted()
