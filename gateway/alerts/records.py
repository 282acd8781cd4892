"""Alerts: created from the guided flow, a one-shot message or free text; listed and shown to staff."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.media.records import kinds_of
from gateway.models import Alert, AlertSource, AlertStatus, Contact, District, Message


def default_place(contact: Contact) -> str | None:
    """Where a leader usually is, from the directory: village, else commune."""
    return contact.village or contact.commune


def new_alert(session: Session, contact: Contact, channel: str, source: str, **fields) -> Alert:
    """A new alert located at the reporter's district, commune and village."""
    alert = Alert(
        reporter_id=contact.id,
        region=contact.region or (contact.district.region if contact.district else None),
        district_id=contact.district_id,
        commune=contact.commune,
        village=contact.village,
        place=default_place(contact),
        source=source,
        channel=channel,
        status=fields.pop("status", AlertStatus.NEW),
        **fields,
    )
    session.add(alert)
    session.flush()
    return alert


def apply_answers(alert: Alert, data: dict) -> None:
    """Copy what the guided flow has gathered so far onto the alert."""
    if "place" in data:
        alert.place = data["place"]
    if "category" in data:
        alert.category = data["category"]
    if "severity" in data:
        alert.severity = int(data["severity"])
    if "description" in data:
        alert.description = data["description"]


def link(message: Message, alert: Alert) -> None:
    """Record that an inbound message is part of an alert (its source messages)."""
    message.alert_id = alert.id


def parse_oneshot(rest: str) -> tuple[int | None, str]:
    """`3 les jeunes…` → (3, "les jeunes…"); text without a leading 1–3 → (None, text)."""
    first, _, remainder = rest.strip().partition(" ")
    if first in ("1", "2", "3"):
        return int(first), remainder.strip()
    return None, rest.strip()


def create_report(session: Session, contact: Contact | None, message: Message) -> Alert:
    """Free text that matched nothing: an untriaged report staff will classify. A number outside the directory
    can report too: its report has no reporter and no location."""
    if contact is None:
        alert = Alert(source=AlertSource.FREETEXT, channel=message.channel, status=AlertStatus.NEW)
        alert.description = message.body
        session.add(alert)
        session.flush()
    else:
        alert = new_alert(session, contact, message.channel, AlertSource.FREETEXT, description=message.body)
    link(message, alert)
    return alert


def list_alerts(session: Session, district: str | None = None, status: str | None = None) -> list[Alert]:
    """Alerts, newest first, optionally of one district (code) and status."""
    query = select(Alert).order_by(Alert.id.desc())
    if district:
        query = query.join(District, Alert.district_id == District.id).where(District.code == district.upper())
    if status:
        query = query.where(Alert.status == status)
    return list(session.scalars(query))


def alert_as_dict(alert: Alert, with_reporter: bool = False) -> dict:
    """The JSON shape of an alert (reporter identity only when asked for, for roles that need it)."""
    out = {
        "ref": alert.id,
        "region": alert.region,
        "district": alert.district.code if alert.district else None,
        "commune": alert.commune,
        "village": alert.village,
        "place": alert.place,
        "category": alert.category,
        "severity": alert.severity,
        "status": alert.status,
        "source": alert.source,
        "description": alert.description,
        "channel": alert.channel,
        "media": kinds_of(alert),
        "created_at": alert.created_at.isoformat(),
        # When retention redacted the texts: why description and place are empty.
        "purged_at": alert.purged_at.isoformat() if alert.purged_at else None,
    }
    if with_reporter:  # None for a number outside the directory: its report has no reporter to reveal
        reporter = alert.reporter
        out["reporter"] = {"name": reporter.name, "phone": reporter.phone} if reporter else None
    return out
