"""Rows of every kind retention touches, aged by a given number of days, from directory contacts or strangers."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import func, select

from gateway.models import (
    Alert,
    AlertUpdate,
    Contact,
    Direction,
    Escalation,
    EscalationStatus,
    Message,
    MessageStatus,
    utcnow,
)

LEADER = "+22371139685"  # Mamadou Dembélé, MOPTI, in the sample directory
STRANGER = "+22370000042"


def seed(session, name: str, kind: str, days: float, known: bool, **extra) -> int:
    """One row (and what hangs on it) created `days` ago; returns its id."""
    at = utcnow() - timedelta(days=days)
    contact = session.scalar(select(Contact).where(Contact.phone == LEADER)) if known else None
    if kind in ("in", "out"):
        message = Message(
            direction=Direction.IN if kind == "in" else Direction.OUT,
            channel="sms",
            contact_id=contact.id if contact else None,
            address=LEADER if known else STRANGER,
            body=f"body of {name}",
            meta=json.dumps({"location": [14.5, -4.2]}),
            buttons=json.dumps([["Oui", "yes", "reply"]]) if kind == "out" else None,
            status=extra.get("status", MessageStatus.RECEIVED if kind == "in" else MessageStatus.DELIVERED),
            kind="reply",
            created_at=at,
            processed_at=None if extra.get("unhandled") else at,
        )
        session.add(message)
        session.flush()
        return message.id
    alert = Alert(
        reporter_id=contact.id if contact else None,
        region="Mopti",
        district_id=contact.district_id if contact else None,
        commune="Konna",
        place=f"place of {name}",
        category="land",
        severity=3,
        description=f"description of {name}",
        latitude=14.5,
        longitude=-4.2,
        status="resolved",
        source="oneshot",
        channel="sms",
        created_at=at,
    )
    session.add(alert)
    session.flush()
    session.add(AlertUpdate(alert_id=alert.id, kind="answered", value=f"update of {name}", created_at=at))
    session.add(
        Escalation(alert_id=alert.id, status=EscalationStatus.STOPPED, started_at=at, resolution_note=f"note of {name}")
    )
    session.flush()
    return alert.id


def statistics(session) -> list[tuple]:
    """Alert counts per district, category, severity and status, and message counts per direction and channel."""
    alerts = session.execute(
        select(Alert.district_id, Alert.category, Alert.severity, Alert.status, func.count())
        .group_by(Alert.district_id, Alert.category, Alert.severity, Alert.status)
        .order_by(Alert.district_id, Alert.category, Alert.severity, Alert.status)
    ).all()
    messages = session.execute(
        select(Message.direction, Message.channel, func.count())
        .group_by(Message.direction, Message.channel)
        .order_by(Message.direction, Message.channel)
    ).all()
    return [tuple(r) for r in alerts] + [tuple(r) for r in messages]
