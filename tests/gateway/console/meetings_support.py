"""Helpers of the meetings' console tests: meetings in KORO (Mopti) and MACINA (Ségou) made the way the console
makes them, a footprint of everything a meeting write touches, and dates ahead in local time."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from gateway.meetings import desk
from gateway.models import AuditEntry, Broadcast, Invitation, Meeting, MeetingReminder, Message, StaffUser
from gateway.staff.scope import Scope
from tests.gateway.console.desk_support import csrf_token, make_user


def token_of(client) -> str:
    """The session's CSRF token (every console page's logout form carries it)."""
    return csrf_token(client.get("/console/meetings").data)


def ahead(days: int = 3, hour: int = 10) -> tuple[str, str]:
    """(date, time) of a moment `days` ahead in Bamako's local time, as the form's fields."""
    moment = datetime.now(ZoneInfo("Africa/Bamako")) + timedelta(days=days)
    return f"{moment:%Y-%m-%d}", f"{hour:02d}:00"


def admin_scope(runtime) -> Scope:
    """An admin's scope (its account created once)."""
    with runtime.db.transaction() as session:
        user = session.scalar(select(StaffUser).where(StaffUser.email == "seed-admin@example.org"))
    if user is None:
        make_user(runtime, "seed-admin@example.org", "admin")
    with runtime.db.transaction() as session:
        return Scope.of(session.scalar(select(StaffUser).where(StaffUser.email == "seed-admin@example.org")))


def make_meeting(runtime, district: str, days: int = 3, place: str = "Mairie") -> int:
    """A meeting created as the console creates it (by an admin); its ref."""
    day, clock = ahead(days)
    scope = admin_scope(runtime)
    with runtime.db.transaction() as session:
        checked = desk.check_request(session, runtime, scope, district, f"{day} {clock}", place, "Ordre du jour")
        return desk.create(session, runtime, scope, checked).meeting_id


def footprint(runtime) -> dict:
    """Counts of every table a meeting write touches, and the meetings' state."""
    tables = (Meeting, Invitation, Broadcast, Message, AuditEntry, MeetingReminder)
    with runtime.db.transaction() as session:
        out = {m.__name__: session.scalar(select(func.count()).select_from(m)) for m in tables}
        out["meetings"] = [(m.id, m.status, m.starts_at) for m in session.scalars(select(Meeting).order_by(Meeting.id))]
        out["answers"] = [(i.id, i.answer) for i in session.scalars(select(Invitation).order_by(Invitation.id))]
    return out
