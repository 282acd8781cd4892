"""One alert for staff: what was reported, every message to and from the reporter, the escalation ladder step by
step, follow-ups, notes, and the actions the user's role may take; the reporter's identity only on a reveal."""

from __future__ import annotations

import re

from flask import g, render_template, request
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from flows import catalogue
from flows.definitions import CATEGORIES
from gateway.alerts import status as statuses
from gateway.alerts.desk import MAX_NOTE, MAX_REASON, MAX_REPLY, DeskRefusal, reveal
from gateway.alerts.status import Action
from gateway.console import console, login_required, runtime
from gateway.console.media import media_context
from gateway.console.texts import t
from gateway.escalation.ladder import timeline
from gateway.models import (
    TRIAGE_SOURCES,
    Alert,
    AlertStatus,
    AlertUpdate,
    Direction,
    Escalation,
    Message,
    MessageKind,
)
from gateway.staff.scope import Scope, may_reveal, visible_alert

# Parameters of a refusal that are names with a text of their own (the role, the action, a status).
_NAMED_PARAMS = {"role": "role.", "action": "refusal.action.", "status": "status.", "target": "status."}
# Messages to the reporter that belong to an alert without being linked to it (they quote its reference).
_REPORTER_KINDS = (MessageKind.ALERT_CONFIRMATION, MessageKind.ALERT_UPDATE, MessageKind.FOLLOWUP, MessageKind.REPLY)
# Canned replies: texts of the leaders' catalogue that make sense as an answer from the desk.
CANNED_KEYS = ("alert.handled", "alert.closed")
# Update kinds whose value is free text (a note, a reply, a merged message): never shown to the observer.
FREE_TEXT_KINDS = frozenset({"note", "reply", "update", "merged"})


def refusal_text(refusal: DeskRefusal) -> str:
    """A desk refusal in the user's language (its English message when it has no text of its own)."""
    if refusal.key is None:
        return refusal.message
    params = dict(refusal.params)
    for name, prefix in _NAMED_PARAMS.items():
        if name in params:
            params[name] = t(f"{prefix}{params[name]}")
    return t(refusal.key, **params)


def parse_ref(ref: str) -> int | None:
    """The number of `142`; None for anything else (answered like an unknown alert)."""
    return int(ref) if ref.isdigit() and len(ref) <= 9 else None


def _stamp(moment) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment else ""


def _messages(session: Session, alert: Alert, scope: Scope) -> list[dict]:
    """The reporter's messages and every reply to them about this alert, oldest first (never their number)."""
    linked = Message.alert_id == alert.id
    clause = linked
    if alert.reporter_id is not None:
        to_reporter = (
            (Message.contact_id == alert.reporter_id)
            & (Message.direction == Direction.OUT)
            & Message.kind.in_(_REPORTER_KINDS)
            & (Message.created_at >= alert.created_at)
        )
        clause = or_(linked, to_reporter)
    quoted = re.compile(rf"#{alert.id}\b")
    out = []
    for message in session.scalars(select(Message).where(clause).order_by(Message.id)):
        if message.alert_id != alert.id and not quoted.search(message.body or ""):
            continue  # a message to the reporter about another of their alerts
        out.append(
            {
                "at": _stamp(message.created_at),
                "incoming": message.direction == Direction.IN,
                "channel": message.channel,
                "status": message.status,
                "kind": message.kind,
                "body": message.body if scope.reads_bodies else None,
                "purged": message.purged_at is not None,
            }
        )
    return out


def _ladder(session: Session, alert: Alert, scope: Scope) -> dict | None:
    """Each notification of the escalation (level, officer, channel, what became of the message), who took it."""
    escalation = session.scalar(select(Escalation).where(Escalation.alert_id == alert.id))
    if escalation is None:
        return None
    steps = [
        {
            "at": _stamp(n.created_at),
            "level": n.level,
            "purpose": n.purpose,
            "officer": n.officer.name if scope.reads_bodies else None,  # the observer sees no names
            "channel": n.message.channel,
            "status": n.message.status,
        }
        for n in timeline(session, alert.id)
    ]
    taker = escalation.acknowledged_by_user.name if escalation.acknowledged_by_user else None
    taker = taker or (escalation.acknowledged_by.name if escalation.acknowledged_by else None)
    return {
        "status": escalation.status,
        "level": escalation.level,
        "steps": steps,
        "acknowledged_by": taker if scope.reads_bodies else None,
        "acknowledged_at": _stamp(escalation.acknowledged_at),
        "resolved_at": _stamp(escalation.resolved_at),
        "resolution_note": escalation.resolution_note if scope.reads_bodies else None,
    }


def _updates(session: Session, alert: Alert, scope: Scope) -> list[dict]:
    """Follow-ups asked and answered, triage, status changes, notes and replies, oldest first."""
    out = []
    for row in session.scalars(select(AlertUpdate).where(AlertUpdate.alert_id == alert.id).order_by(AlertUpdate.id)):
        value = row.value
        if row.kind == "update" and row.message_id:
            message = session.get(Message, row.message_id)
            value = message.body if message else None
        if not scope.reads_bodies:
            value = None if row.kind in FREE_TEXT_KINDS else (value or "").split(" ")[0] or None
        out.append({"at": _stamp(row.created_at), "kind": row.kind, "value": value, "actor": row.actor})
    return out


def _actions(session: Session, alert: Alert, scope: Scope) -> dict[str, bool]:
    """Which buttons to show (the server checks again on every post)."""
    moves = {
        "take": AlertStatus.ACKNOWLEDGED,
        "verify": AlertStatus.VERIFIED,
        "resolve": AlertStatus.RESOLVED,
        "false_alarm": AlertStatus.FALSE_ALARM,
    }
    shown = {
        name: statuses.may(scope.role, Action(name)) and statuses.can_move(alert.status, target)
        for name, target in moves.items()
    }
    untriaged = alert.source in TRIAGE_SOURCES and alert.triaged_at is None and statuses.is_open(alert.status)
    shown["triage"] = untriaged and statuses.may(scope.role, Action.TRIAGE)
    shown["note"] = statuses.may(scope.role, Action.NOTE)
    reachable = alert.reporter is not None and alert.reporter.active and not alert.reporter.opted_out
    shown["reply"] = statuses.may(scope.role, Action.REPLY) and reachable
    shown["reveal"] = alert.reporter is not None and may_reveal(session, scope, alert)
    return shown


def _canned(alert: Alert) -> list[dict]:
    """Ready-made answers in the reporter's language (the discreet variant for a discreet reporter)."""
    if alert.reporter is None:
        return []
    return [{"key": key, "text": catalogue.for_contact(alert.reporter, key, ref=alert.id)} for key in CANNED_KEYS]


def page_context(session: Session, scope: Scope, alert: Alert) -> dict:
    """Everything the alert page shows, already cut to what the role may read."""
    reporter = alert.reporter
    return {
        "alert": {
            "ref": alert.id,
            "at": _stamp(alert.created_at),
            "district": alert.district.name if alert.district else None,
            "region": alert.region,
            "commune": alert.commune,
            "village": alert.village,
            "place": alert.place if scope.reads_bodies else None,
            "category": alert.category,
            "severity": alert.severity,
            "status": alert.status,
            "channel": alert.channel,
            "source": alert.source,
            "untriaged": alert.source in TRIAGE_SOURCES and alert.triaged_at is None,
            "description": alert.description if scope.reads_bodies else None,
            "purged": alert.purged_at is not None,
            "reporter_commune": (reporter.commune or alert.commune) if reporter else None,
            "has_reporter": reporter is not None,
        },
        "messages": _messages(session, alert, scope),
        "media": media_context(session, alert, scope),
        "ladder": _ladder(session, alert, scope),
        "updates": _updates(session, alert, scope),
        "actions": _actions(session, alert, scope),
        "canned": _canned(alert) if scope.reads_bodies else [],
        "categories": [c.value for c in CATEGORIES],
        "limits": {"note": MAX_NOTE, "reply": MAX_REPLY, "reason": MAX_REASON},
    }


def render_alert(ref: str, error: str | None = None, status: int = 200, identity: dict | None = None, form=None):
    """The alert page (or the same not-found page for an unknown alert and one out of scope)."""
    number = parse_ref(ref)
    with runtime().db.sessions() as db:
        alert = visible_alert(db, g.scope, number) if number is not None else None
        if alert is None:
            return render_template("console/not_found.html"), 404
        context = page_context(db, g.scope, alert)
    return render_template("console/alert.html", **context, error=error, identity=identity, form=form or {}), status


@console.route("/alerts/<ref>")
@login_required
def alert_page(ref: str):
    """An alert of the user's scope; 404 for any other."""
    return render_alert(ref)


@console.route("/alerts/<ref>/reveal", methods=["POST"])
@login_required
def reveal_reporter(ref: str):
    """The reporter's name and phone, on this response only, for a role that may ask, with a reason (audited)."""
    number = parse_ref(ref)
    reason = request.form.get("reason", "")
    try:
        with runtime().db.transaction() as db:
            alert = visible_alert(db, g.scope, number) if number is not None else None
            if alert is None:
                return render_template("console/not_found.html"), 404
            identity = reveal(db, g.scope, alert, reason)
    except DeskRefusal as refusal:
        return render_alert(ref, refusal_text(refusal), refusal.http_status, form={"reason": reason})
    return render_alert(ref, identity=identity or {"name": None, "phone": None})
