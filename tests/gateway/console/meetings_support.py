"""Helpers of the meetings' console tests: one account per role, meetings in KORO (Mopti) and MACINA (Ségou) made
the way the console makes them, a footprint of everything a meeting write touches, and dates ahead in local time."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from gateway.meetings import desk
from gateway.models import AuditEntry, Broadcast, Invitation, Meeting, MeetingReminder, Message, StaffUser
from gateway.staff.scope import Scope
from tests.gateway.console import auth_support
from tests.gateway.console.desk_support import csrf_token, make_user

# name → (role, region, district): the accounts every access table runs through.
ROLES = {
    "admin": ("admin", None, None),
    "coord_mopti": ("coordinator", "Mopti", None),
    "coord_segou": ("coordinator", "Ségou", None),
    "fac_koro": ("facilitator", None, "KORO"),
    "fac_macina": ("facilitator", None, "MACINA"),
    "officer_koro": ("officer", None, "KORO"),
    "observer": ("observer", None, None),
}
SEES = {
    "admin": {"KORO", "MACINA"},
    "coord_mopti": {"KORO"},
    "coord_segou": {"MACINA"},
    "fac_koro": {"KORO"},
    "fac_macina": {"MACINA"},
    "officer_koro": {"KORO"},
    "observer": {"KORO", "MACINA"},
}
CONVENERS = {"admin", "coord_mopti", "coord_segou", "fac_koro", "fac_macina"}
PHONE_SEERS = {"admin", "coord_mopti", "coord_segou"}


def email_of(name: str) -> str:
    """The test account's email."""
    return f"{name}@example.org"


def logged_in(runtime, app, name: str):
    """A fresh test client logged in as one of ROLES (its account created; the admin with its second factor)."""
    client = app.test_client()
    if name == "admin":
        factor = auth_support.add_staff(runtime, email_of(name), role="admin", totp=True)
        response = auth_support.log_in(client, email_of(name), otp=auth_support.code_now(factor.secret))
        assert response.status_code == 302
        return client
    role, region, district = ROLES[name]
    auth_support.add_staff(runtime, email_of(name), role=role, **_scope(region, district))
    assert auth_support.log_in(client, email_of(name)).status_code == 302
    return client


def _scope(region: str | None, district: str | None) -> dict:
    return {k: v for k, v in (("region", region), ("district", district)) if v}


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
