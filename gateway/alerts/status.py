"""Alert statuses, the moves between them, and which staff roles may make each move: one table shared by the
officers' SMS commands, the console and the API (DESIGN, "What each role may do to an alert")."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from gateway.core.db import on_commit
from gateway.models import Alert, AlertStatus, Escalation, utcnow
from gateway.observability.metrics import observe_alert
from gateway.staff.roles import StaffRole

OPEN = frozenset({AlertStatus.NEW, AlertStatus.INCOMPLETE, AlertStatus.ACKNOWLEDGED, AlertStatus.VERIFIED})
FINAL = frozenset({AlertStatus.RESOLVED, AlertStatus.FALSE_ALARM})

# Where each status may go. `incomplete` (a guided conversation cut short) is open like `new`.
TRANSITIONS: dict[str, frozenset[str]] = {
    AlertStatus.NEW: frozenset({AlertStatus.ACKNOWLEDGED, AlertStatus.VERIFIED, *FINAL}),
    AlertStatus.INCOMPLETE: frozenset({AlertStatus.ACKNOWLEDGED, AlertStatus.VERIFIED, *FINAL}),
    AlertStatus.ACKNOWLEDGED: frozenset({AlertStatus.VERIFIED, *FINAL}),
    AlertStatus.VERIFIED: frozenset(FINAL),
    AlertStatus.RESOLVED: frozenset(),
    AlertStatus.FALSE_ALARM: frozenset(),
}


class Action(StrEnum):
    """What staff do to an alert."""

    TRIAGE = "triage"
    TAKE = "take"  # → acknowledged
    VERIFY = "verify"  # → verified
    RESOLVE = "resolve"  # → resolved
    FALSE_ALARM = "false_alarm"  # → false_alarm
    NOTE = "note"
    REPLY = "reply"


_EVERY_DESK_ROLE = frozenset({StaffRole.ADMIN, StaffRole.COORDINATOR, StaffRole.FACILITATOR, StaffRole.OFFICER})
_RESPONDERS = frozenset({StaffRole.ADMIN, StaffRole.COORDINATOR, StaffRole.OFFICER})

ROLES_FOR: dict[Action, frozenset[StaffRole]] = {
    Action.TRIAGE: _EVERY_DESK_ROLE,
    Action.VERIFY: _EVERY_DESK_ROLE,
    Action.NOTE: _EVERY_DESK_ROLE,
    Action.REPLY: _EVERY_DESK_ROLE,
    Action.TAKE: _RESPONDERS,
    Action.RESOLVE: _RESPONDERS,
    Action.FALSE_ALARM: _RESPONDERS,
}

ACTION_FOR_STATUS: dict[str, Action] = {
    AlertStatus.ACKNOWLEDGED: Action.TAKE,
    AlertStatus.VERIFIED: Action.VERIFY,
    AlertStatus.RESOLVED: Action.RESOLVE,
    AlertStatus.FALSE_ALARM: Action.FALSE_ALARM,
}
# Statuses staff may ask for (the API's `status` values); anything else is an unknown status (422).
REQUESTABLE = frozenset(ACTION_FOR_STATUS)


def may(role: str, action: Action) -> bool:
    """Whether a staff role may take this action on an alert of its scope."""
    return role in ROLES_FOR[action]


def can_move(current: str, target: str) -> bool:
    """Whether an alert in `current` may move to `target` (never to itself, never out of a final status)."""
    return target in TRANSITIONS.get(current, frozenset())


def is_open(status: str) -> bool:
    """Not resolved, not a false alarm."""
    return status in OPEN


def move(session: Session, alert: Alert, target: str) -> bool:
    """Move the alert to `target` if the table allows it from the status it has *in the database* now: two
    staff (an SMS and a click) racing on one alert move it once; the loser gets False and is told."""
    allowed_from = [status for status, targets in TRANSITIONS.items() if target in targets]
    # Lock order: the alert's escalation row, then the alert, as taking it does (`ladder.acknowledge`, then this).
    # Closing the other way round deadlocked on PostgreSQL against a take at the same moment.
    session.execute(select(Escalation.id).where(Escalation.alert_id == alert.id).with_for_update())
    moved = session.execute(
        update(Alert)
        .where(Alert.id == alert.id, Alert.status.in_(allowed_from))
        .values(status=target, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    session.refresh(alert)
    if moved == 1 and target in (AlertStatus.ACKNOWLEDGED, AlertStatus.RESOLVED):
        _time_after_commit(session, alert, target)
    return moved == 1


def _time_after_commit(session: Session, alert: Alert, target: str) -> None:
    """Observe how long the alert waited to be taken or resolved, once the move is committed (never on rollback)."""
    district = alert.district.code if alert.district is not None else None
    waited, severity = (utcnow() - alert.created_at).total_seconds(), alert.severity
    on_commit(session, lambda: observe_alert(target, district, severity, waited))
