"""The alert desk's actions for staff (console and API alike): triage, take, verify, close, note, reply, reveal.

Each one checks the role (`status.ROLES_FOR`) and the move (`status.TRANSITIONS`), changes the alert in the
caller's transaction together with its audit row, and queues the messages the SMS commands would send; nothing
is sent before the commit. Refusals are `DeskRefusal`s, which carry their HTTP status."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from flows import catalogue
from flows.definitions import CATEGORIES
from gateway.alerts import status as statuses
from gateway.alerts.lifecycle import alert_recorded
from gateway.alerts.status import ACTION_FOR_STATUS, Action
from gateway.core import audit
from gateway.core.runtime import Runtime
from gateway.escalation.ladder import acknowledge, taken_by
from gateway.escalation.notify import notified_officers
from gateway.messaging.outbox import queue_message
from gateway.models import (
    TRIAGE_SOURCES,
    Alert,
    AlertStatus,
    AlertUpdate,
    Contact,
    Escalation,
    EscalationStatus,
    MessageKind,
    utcnow,
)
from gateway.staff.roles import a_role
from gateway.staff.scope import Scope, may_reveal

MAX_NOTE = 2000
MAX_REPLY = 459  # three GSM-7 segments: a reply is a few words, not a letter
MAX_REASON = 500
SEVERITY_REFUSAL = "severity is 1 (information), 2 (tension) or 3 (urgent)"
# The HTTP answer to each kind of refusal, the same for the console's pages and the API.
HTTP_STATUS = {"forbidden": 403, "conflict": 409, "invalid": 422}


class DeskRefusal(Exception):
    """An action refused: `code` is forbidden (role), conflict (move not allowed, lost race) or invalid (field);
    `http_status` is its HTTP answer (403, 409, 422)."""

    # A plain exception, not a frozen dataclass: raising through a `with` block sets `__traceback__` on it.
    def __init__(self, code: str, message: str, key: str | None = None, **params) -> None:
        super().__init__(message)
        self.code, self.message = code, message
        # `message` is English (the API's); the console says it in the user's language: text `key`, with `params`.
        self.key, self.params = key, params
        self.http_status = HTTP_STATUS[code]  # an unknown code is a bug where it is raised, not a 500 later

    def __str__(self) -> str:
        return self.message


def _one_line(text: str | None, limit: int) -> str:
    """Printable text, spaces collapsed (staff read it in terminals and pages); refused beyond `limit`."""
    cleaned = " ".join("".join(ch if ch.isprintable() else " " for ch in (text or "")).split())
    if len(cleaned) > limit:
        message = f"too long: {len(cleaned)} characters, at most {limit}"
        raise DeskRefusal("invalid", message, "refusal.too_long", length=len(cleaned), limit=limit)
    return cleaned


def _require(scope: Scope, action: Action) -> None:
    if not statuses.may(scope.role, action):
        message = f"{a_role(scope.role)} may not {action.value.replace('_', ' ')} an alert"
        raise DeskRefusal("forbidden", message, "refusal.forbidden", role=str(scope.role), action=action.value)


def _target(alert: Alert) -> str:
    return f"alert #{alert.id}"


def triage(session: Session, runtime: Runtime, scope: Scope, alert: Alert, category: str, severity: int | None):
    """Classify an untriaged report; a serious one then pages the officers like any alert."""
    _require(scope, Action.TRIAGE)
    if category not in {c.value for c in CATEGORIES}:
        known = ", ".join(c.value for c in CATEGORIES)
        raise DeskRefusal("invalid", f"unknown category {category!r} (one of: {known})", "refusal.unknown_category")
    if severity is not None and severity not in (1, 2, 3):
        raise DeskRefusal("invalid", SEVERITY_REFUSAL, "refusal.bad_severity")
    if alert.triaged_at is not None or alert.source not in TRIAGE_SOURCES or not statuses.is_open(alert.status):
        raise DeskRefusal("conflict", f"alert #{alert.id} is already classified", "refusal.classified", ref=alert.id)
    alert.category, alert.triaged_at = category, utcnow()
    if severity is not None:
        alert.severity = severity
    value = f"{category} {severity or '?'}"
    session.add(AlertUpdate(alert_id=alert.id, kind="triaged", value=value, actor=scope.email))
    audit.record(session, scope.email, "alert_triage", _target(alert), value)
    alert_recorded(session, runtime, alert)


def _escalation(session: Session, alert: Alert) -> Escalation:
    escalation = session.scalar(select(Escalation).where(Escalation.alert_id == alert.id))
    if escalation is None:  # an alert that paged nobody can still be taken and closed
        escalation = Escalation(alert_id=alert.id, ladder=False, level=1, repeats=0, step_seq=0,
                                status=EscalationStatus.STOPPED, started_at=utcnow())  # fmt: skip
        session.add(escalation)
        session.flush()
    return escalation


def _officer_contact(session: Session, scope: Scope) -> int | None:
    from gateway.models import StaffUser

    return session.get(StaffUser, scope.user_id).contact_id


def _tell(session: Session, runtime: Runtime, contact: Contact, key: str, kind: str = MessageKind.REPLY, **params):
    body = catalogue.for_contact(contact, key, **params)  # a discreet reporter gets the neutral variant
    queue_message(session, runtime, body=body, contact=contact, kind=kind)


def _tell_paged(session: Session, runtime: Runtime, alert: Alert, key: str, actor: str, skip: int | None) -> None:
    for officer in notified_officers(session, alert.id):
        if officer.id != skip:
            _tell(session, runtime, officer, key, ref=alert.id, officer=actor)


def set_status(session: Session, runtime: Runtime, scope: Scope, alert: Alert, target: str, note: str | None) -> None:
    """Take (acknowledged), verify, resolve or dismiss (false_alarm), as the SMS commands do, audited."""
    if target not in statuses.REQUESTABLE:
        message = f"unknown status {target!r} (one of: acknowledged, verified, false_alarm, resolved)"
        raise DeskRefusal("invalid", message, "refusal.unknown_status")
    _require(scope, ACTION_FOR_STATUS[target])
    note = _one_line(note, MAX_NOTE) or None
    moved = {"ref": alert.id, "status": str(alert.status), "target": str(target)}
    if not statuses.can_move(alert.status, target):
        message = f"alert #{alert.id} is {alert.status}: it cannot become {target}"
        raise DeskRefusal("conflict", message, "refusal.transition", **moved)
    contact_id = _officer_contact(session, scope)
    escalation = _escalation(session, alert)
    if target == AlertStatus.ACKNOWLEDGED and not acknowledge(session, runtime, escalation, contact_id, scope.user_id):
        name = taken_by(escalation)
        message = f"alert #{alert.id} is already taken by {name}"
        raise DeskRefusal("conflict", message, "refusal.taken", ref=alert.id, name=name)
    if not statuses.move(session, alert, target):
        message = f"alert #{alert.id} is {alert.status} now: it cannot become {target}"
        raise DeskRefusal("conflict", message, "refusal.transition", **{**moved, "status": str(alert.status)})
    if target in statuses.FINAL:
        acknowledge(session, runtime, escalation, contact_id, scope.user_id)  # closing implies taking it
        now = utcnow()
        escalation.status, escalation.next_step_at, escalation.remind_at = EscalationStatus.STOPPED, None, None
        escalation.resolved_by_id, escalation.resolved_by_user_id = contact_id, scope.user_id
        escalation.resolved_at, escalation.resolution_note = now, note
    session.add(
        AlertUpdate(alert_id=alert.id, kind="status", value=f"{target} {note or ''}".strip(), actor=scope.email)
    )
    audit.record(session, scope.email, "alert_status", _target(alert), f"{target}: {note}" if note else target)
    _announce(session, runtime, scope, alert, target, contact_id)


_PAGED_KEYS = {
    AlertStatus.ACKNOWLEDGED: "escalation.taken",
    AlertStatus.RESOLVED: "escalation.resolved_by",
    AlertStatus.FALSE_ALARM: "escalation.dismissed_by",
}
_REPORTER_KEYS = {AlertStatus.ACKNOWLEDGED: "alert.handled", AlertStatus.RESOLVED: "alert.closed"}


def _announce(session, runtime, scope: Scope, alert: Alert, target: str, contact_id: int | None) -> None:
    """Everyone paged hears who did what; the reporter hears that it is handled or closed (not a false alarm)."""
    if target in _PAGED_KEYS:
        _tell_paged(session, runtime, alert, _PAGED_KEYS[target], scope.name, skip=contact_id)
    if target in _REPORTER_KEYS and alert.reporter is not None and alert.reporter.active:
        _tell(session, runtime, alert.reporter, _REPORTER_KEYS[target], kind=MessageKind.ALERT_UPDATE, ref=alert.id)


def _written_text(text: str | None, what: str, limit: int) -> str:
    """A note or a reply as typed (line breaks kept), refused when empty or longer than `limit`."""
    body = (text or "").strip()
    if not body:
        raise DeskRefusal("invalid", f"the {what} is empty", "refusal.empty")
    if len(body) > limit:
        message = f"the {what} is too long: {len(body)} characters, at most {limit}"
        raise DeskRefusal("invalid", message, "refusal.too_long", length=len(body), limit=limit)
    return body


def add_note(session: Session, scope: Scope, alert: Alert, text: str) -> AlertUpdate:
    """An internal note on the alert (never sent to anyone)."""
    _require(scope, Action.NOTE)
    body = _written_text(text, "note", MAX_NOTE)
    update = AlertUpdate(alert_id=alert.id, kind="note", value=body, actor=scope.email)
    session.add(update)
    audit.record(session, scope.email, "alert_note", _target(alert), f"{len(body)} characters")
    return update


def reply(session: Session, runtime: Runtime, scope: Scope, alert: Alert, text: str):
    """A message to the reporter through the outbox, on their usual channel."""
    _require(scope, Action.REPLY)
    body = _written_text(text, "reply", MAX_REPLY)
    reporter = alert.reporter
    if reporter is None:
        message = f"alert #{alert.id} came from a number outside the directory: no one to answer"
        raise DeskRefusal("conflict", message, "refusal.no_reporter", ref=alert.id)
    if not reporter.active or reporter.opted_out:
        message = f"the reporter of alert #{alert.id} no longer receives messages"
        raise DeskRefusal("conflict", message, "refusal.not_reachable", ref=alert.id)
    message = queue_message(session, runtime, body=body, contact=reporter, kind=MessageKind.REPLY)
    message.alert_id = alert.id
    session.add(AlertUpdate(alert_id=alert.id, kind="reply", value=body, actor=scope.email, message_id=message.id))
    audit.record(session, scope.email, "alert_reply", _target(alert), f"message {message.id}")
    return message


def reveal(session: Session, scope: Scope, alert: Alert, reason: str) -> dict | None:
    """The reporter's name and phone for a role that may ask, with a reason; the reveal is audited first."""
    if not may_reveal(session, scope, alert):
        message = f"{a_role(scope.role)} may not see who reported an alert"
        raise DeskRefusal("forbidden", message, "refusal.reveal_forbidden", role=str(scope.role))
    why = _one_line(reason, MAX_REASON)
    if not why:
        raise DeskRefusal(
            "invalid", "say why the reporter's identity is needed (it is recorded)", "refusal.reason_needed"
        )
    audit.record(session, scope.email, "reveal_reporter", _target(alert), why)
    reporter = alert.reporter
    return {"name": reporter.name, "phone": reporter.phone} if reporter else None
