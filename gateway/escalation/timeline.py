"""An alert's escalation timeline for staff: who was notified when, on which channel, what became of it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.escalation.ladder import timeline
from gateway.models import Alert, Contact, Escalation


def escalation_record(session: Session, alert: Alert) -> dict | None:
    """The escalation of an alert as a JSON-ready dict (None when it paged nobody)."""
    escalation = session.scalar(select(Escalation).where(Escalation.alert_id == alert.id))
    if escalation is None:
        return None
    resolver = session.get(Contact, escalation.resolved_by_id) if escalation.resolved_by_id else None
    return {
        "status": escalation.status,
        "ladder": escalation.ladder,
        "level": escalation.level,
        "repeats": escalation.repeats,
        "started_at": escalation.started_at.isoformat(),
        "next_step_at": escalation.next_step_at.isoformat() if escalation.next_step_at else None,
        "acknowledged_by": escalation.acknowledged_by.name if escalation.acknowledged_by else None,
        "acknowledged_at": escalation.acknowledged_at.isoformat() if escalation.acknowledged_at else None,
        "seconds_to_acknowledge": escalation.seconds_to_acknowledge,
        "resolved_by": resolver.name if resolver else None,
        "resolved_at": escalation.resolved_at.isoformat() if escalation.resolved_at else None,
        "resolution_note": escalation.resolution_note,
        "notifications": [
            {
                "at": n.created_at.isoformat(),
                "level": n.level,
                "purpose": n.purpose,
                "officer": n.officer.name,
                "channel": n.message.channel,
                "status": n.message.status,
            }
            for n in timeline(session, alert.id)
        ],
    }


def timeline_lines(record: dict) -> list[str]:
    """The timeline as lines for the terminal."""
    lines = [
        f"escalation: {record['status']} (level {record['level']}, repeats {record['repeats']})",
    ]
    for n in record["notifications"]:
        lines.append(
            f"  {n['at'][:19].replace('T', ' ')}  L{n['level']}  {n['purpose']:<16} {n['officer']:<28} "
            f"{n['channel']:<9} {n['status']}"
        )
    if record["acknowledged_by"]:
        lines.append(
            f"acknowledged by {record['acknowledged_by']} at {record['acknowledged_at'][:19].replace('T', ' ')} "
            f"({record['seconds_to_acknowledge']:.0f} s after the first notification)"
        )
    if record["resolved_by"]:
        lines.append(f"closed by {record['resolved_by']}: {record['resolution_note'] or '-'}")
    return lines
