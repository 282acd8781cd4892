"""The API's alert routes: list (filters, signed cursors), show (with its timeline), triage, status, reply, and the
reveal of the reporter. Writes and reveals go through gateway.alerts.desk in one transaction, which audits them."""

from __future__ import annotations

from datetime import UTC, date, datetime

from flask import g, jsonify, request
from sqlalchemy import select

from gateway.alerts import desk
from gateway.api import ApiError, api, json_body, not_found, require_writer, runtime
from gateway.api.pages import next_cursor, page_request
from gateway.api.serialise import alert_object, escalations_of, timeline
from gateway.messaging.sms_text import count_segments
from gateway.models import Alert, AlertStatus, District
from gateway.staff.scope import scoped_alerts, visible_alert

MAX_REF = 2**31 - 1  # a bigger number is no alert (and would overflow the database's integer)
CURSOR_SALT = "gateway-api-alerts-cursor"
FILTERS = ("district", "status", "severity", "since")


def _parse_since(text: str) -> datetime:
    if len(text) > 19 and text[-6] == " ":  # `+00:00` sent unencoded in a query string arrives as ` 00:00`
        text = f"{text[:-6]}+{text[-5:]}"
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        moment = datetime.fromisoformat(text)
        # A zone can push the first or last representable day out of range in UTC: OverflowError.
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise ApiError(422, f"since: {text[:40]!r} is not YYYY-MM-DD nor an ISO date and time") from None


def _filters(args) -> dict:
    """The list's filters from the query string, checked (422 for a value that cannot match anything)."""
    filters = {}
    if args.get("district"):
        filters["district"] = args["district"].strip().upper()
    if args.get("status"):
        if args["status"] not in {s.value for s in AlertStatus}:
            raise ApiError(422, f"status is one of: {', '.join(s.value for s in AlertStatus)}")
        filters["status"] = args["status"]
    if args.get("severity"):
        if args["severity"] not in ("1", "2", "3"):
            raise ApiError(422, "severity is 1 (information), 2 (tension) or 3 (urgent)")
        filters["severity"] = int(args["severity"])
    if args.get("since"):
        filters["since"] = _parse_since(args["since"].strip()).isoformat()
    return filters


@api.get("/alerts")
def list_alerts():
    """Alerts and untriaged reports of the caller's scope, newest first, a page at a time."""
    filters, limit, before = page_request(CURSOR_SALT, lambda: _filters(request.args))
    with runtime().db.transaction() as db:
        query = select(Alert).order_by(Alert.id.desc())
        if "district" in filters:
            district = db.scalar(select(District).where(District.code == filters["district"]))
            if district is None:
                raise ApiError(422, f"unknown district {filters['district'][:40]!r}")
            query = query.where(Alert.district_id == district.id)
        if "status" in filters:
            query = query.where(Alert.status == filters["status"])
        if "severity" in filters:
            query = query.where(Alert.severity == filters["severity"])
        if "since" in filters:
            query = query.where(Alert.created_at >= datetime.fromisoformat(filters["since"]))
        if before is not None:
            query = query.where(Alert.id < before)
        rows = list(db.scalars(scoped_alerts(db, g.scope, query).limit(limit + 1)))
        page = rows[:limit]
        escalations = escalations_of(db, [a.id for a in page])
        items = [alert_object(a, escalations.get(a.id), g.scope) for a in page]
    return jsonify(alerts=items, next=next_cursor(CURSOR_SALT, filters, rows, limit))


def _ref(ref: str) -> int:
    """The alert number of `142` or `#142`; anything else is no alert (the same 404 as an unknown one)."""
    digits = ref.removeprefix("#")
    if not digits.isascii() or not digits.isdigit() or int(digits) > MAX_REF:
        raise not_found()
    return int(digits)


def _alert(db, ref: str) -> Alert:
    alert = visible_alert(db, g.scope, _ref(ref))
    if alert is None:
        raise not_found()
    return alert


@api.get("/alerts/<ref>")
def show_alert(ref: str):
    """One alert with its timeline (never the reporter: that is the audited POST …/reveal)."""
    with runtime().db.transaction() as db:
        alert = _alert(db, ref)
        escalation = escalations_of(db, [alert.id]).get(alert.id)
        out = alert_object(alert, escalation, g.scope)
        out["timeline"] = timeline(db, alert, escalation, g.scope)
    return jsonify(out)


def _text_field(body: dict, name: str, required: bool = True) -> str | None:
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise ApiError(422, f"{name}: a text is required" if value is None else f"{name} must be a text")
    return value


def _updated(db, alert: Alert) -> dict:
    db.flush()
    return alert_object(alert, escalations_of(db, [alert.id]).get(alert.id), g.scope)


@api.post("/alerts/<ref>/triage")
def triage_alert(ref: str):
    """Classify an untriaged report: `{"category", "severity"}` (a severity 3 starts the ladder)."""
    require_writer()
    body = json_body()
    category = _text_field(body, "category")
    severity = body.get("severity")
    if severity is not None and (isinstance(severity, bool) or not isinstance(severity, int)):
        raise ApiError(422, "severity is 1 (information), 2 (tension) or 3 (urgent)")
    with runtime().db.transaction() as db:
        alert = _alert(db, ref)
        desk.triage(db, runtime(), g.scope, alert, category, severity)
        out = _updated(db, alert)
    return jsonify(out)


@api.post("/alerts/<ref>/status")
def set_alert_status(ref: str):
    """Take (acknowledged), verify, resolve or dismiss (false_alarm): `{"status", "note"}`."""
    require_writer()
    body = json_body()
    target = _text_field(body, "status")
    note = _text_field(body, "note", required=False)
    with runtime().db.transaction() as db:
        alert = _alert(db, ref)
        desk.set_status(db, runtime(), g.scope, alert, target, note)
        out = _updated(db, alert)
    return jsonify(out)


@api.post("/alerts/<ref>/reply")
def reply_to_reporter(ref: str):
    """A message to the reporter through the outbox: 202 with its id and the SMS segments it takes."""
    require_writer()
    text = _text_field(json_body(), "text")
    with runtime().db.transaction() as db:
        message = desk.reply(db, runtime(), g.scope, _alert(db, ref), text)
        out = {"message_id": message.id, "segments": count_segments(message.body or "").segments}
    return jsonify(out), 202


@api.post("/alerts/<ref>/reveal")
def reveal_reporter(ref: str):
    """The reporter's name and phone, `{"reason"}` required, for admin or the region's coordinator (audited).

    A POST, not a query on the GET: it has an effect (the audit row), so a cookie caller needs its CSRF token,
    and the reason stays out of URLs and access logs."""
    reason = _text_field(json_body(), "reason", required=False)
    with runtime().db.transaction() as db:  # the audit row is written in this transaction: no reveal without it
        alert = _alert(db, ref)
        out = {"ref": alert.id, "reporter": desk.reveal(db, g.scope, alert, reason or "")}
    return jsonify(out)
