"""The audit log in the console, for admins only (anyone else gets 404): newest first, filtered by user, action
and date, a page at a time."""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import abort, g, render_template, request
from sqlalchemy import select

from gateway.console import console, login_required, runtime
from gateway.models import AuditEntry
from gateway.staff.roles import StaffRole

PAGE_SIZE = 50


def _since(text: str) -> datetime:
    """Midnight of a YYYY-MM-DD date in the gateway's time zone (as `gateway audit list --since`)."""
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        abort(400, description="since: expected a date as YYYY-MM-DD")
    try:
        day = date.fromisoformat(text)
    except ValueError:
        abort(400, description="since: expected a date as YYYY-MM-DD")
    return datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(runtime().settings.timezone))


def _before(text: str) -> int:
    """The cursor: entries older than this id."""
    if not text.isdigit() or len(text) > 18:
        abort(400, description="before: expected an entry number")
    return int(text)


@console.route("/audit")
@login_required
def audit_log():
    """Audit rows, newest first, PAGE_SIZE a page; `before=<id>` is the next page."""
    if g.scope.role != StaffRole.ADMIN:
        abort(404)  # the page does not exist for anyone else
    user = request.args.get("user", "").strip()[:200]
    action = request.args.get("action", "").strip()[:60]
    since = request.args.get("since", "").strip()
    before = request.args.get("before", "").strip()
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(PAGE_SIZE + 1)
    if user:
        # As `gateway audit list --user`: an email, or a bare name that also finds what it typed on the server.
        query = query.where(AuditEntry.actor.in_({user, user.lower(), f"cli:{user}"}))
    if action:
        query = query.where(AuditEntry.action == action)
    if since:
        query = query.where(AuditEntry.at >= _since(since))
    if before:
        query = query.where(AuditEntry.id < _before(before))
    with runtime().db.sessions() as db:
        entries = list(db.scalars(query))
        actions = sorted(db.scalars(select(AuditEntry.action).distinct()))
    more = len(entries) > PAGE_SIZE
    entries = entries[:PAGE_SIZE]
    zone = ZoneInfo(runtime().settings.timezone)
    rows = [
        {
            "id": e.id,
            "at": e.at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S"),
            "actor": e.actor,
            "action": e.action,
            "target": e.target or "",
            "detail": e.detail or "",
        }
        for e in entries
    ]
    filters = {"user": user, "action": action, "since": since}
    kept = {name: value for name, value in filters.items() if value}  # carried to the next page
    return render_template(
        "console/audit.html",
        rows=rows,
        actions=actions,
        filters=filters,
        kept=kept,
        next_before=rows[-1]["id"] if more else None,
    )
