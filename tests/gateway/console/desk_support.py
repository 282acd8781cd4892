"""Helpers of the alert desk's tests: staff accounts, a logged-in test client, leaders of a district, alerts sent
through the real pipeline (as an SMS would be handled), and the console's CSRF token read from a page."""

from __future__ import annotations

import re

from sqlalchemy import select

from gateway.models import Alert, AuditEntry, Contact, District, Message
from gateway.staff.accounts import add_user
from tests.chat import Chat

PASSWORD = "correct horse battery staple"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def make_user(runtime, email: str, role: str, region: str | None = None, district: str | None = None) -> str:
    """A staff account with the test password; its email."""
    with runtime.db.transaction() as session:
        add_user(session, email, email.split("@")[0].title(), role, region, district, PASSWORD)
    return email


def csrf_token(page: bytes | str) -> str:
    """The CSRF token of the first form of a page."""
    text = page.decode() if isinstance(page, bytes) else page
    return _TOKEN.search(text).group(1)


def log_in(client, email: str) -> None:
    """Log in through the login form, as a browser does."""
    token = csrf_token(client.get("/console/login").data)
    response = client.post("/console/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302, response.data[:500]


def leaders_of(runtime, district: str, channel: str | None = None) -> list[Contact]:
    """The leaders of a district (on a channel, when given), in the directory's order."""
    with runtime.db.transaction() as session:
        query = (
            select(Contact)
            .join(District, Contact.district_id == District.id)
            .where(Contact.role == "leader", District.code == district)
            .order_by(Contact.id)
        )
        if channel:
            query = query.where(Contact.channel == channel)
        return list(session.scalars(query))


def leader_of(runtime, district: str, channel: str | None = None) -> Contact | None:
    """The first leader of a district (on a channel, when given)."""
    return next(iter(leaders_of(runtime, district, channel)), None)


def fresh_leader(runtime, district: str) -> Contact:
    """A leader of the district who has reported nothing yet (a second alert of one leader within minutes is
    merged into the first)."""
    with runtime.db.transaction() as session:
        reporters = set(session.scalars(select(Alert.reporter_id)))
        query = (
            select(Contact)
            .join(District, Contact.district_id == District.id)
            .where(Contact.role == "leader", District.code == district)
            .order_by(Contact.id)
        )
        return next(c for c in session.scalars(query) if c.id not in reporters)


def report(runtime, district: str, text: str) -> int:
    """A leader of the district sends `text` (handled at once, as a worker would); the new alert's ref."""
    leader = fresh_leader(runtime, district)
    with runtime.db.transaction() as session:
        before = session.scalar(select(Alert.id).order_by(Alert.id.desc()).limit(1)) or 0
    Chat(runtime, leader.phone).send(text)
    with runtime.db.transaction() as session:
        ref = session.scalar(select(Alert.id).where(Alert.id > before).order_by(Alert.id.desc()).limit(1))
    assert ref is not None, f"no alert recorded for {text!r}"
    return ref


def alert_row(runtime, ref: int) -> Alert:
    """A fresh copy of an alert."""
    with runtime.db.transaction() as session:
        return session.get(Alert, ref)


def audit_rows(runtime, actor: str | None = None) -> list[AuditEntry]:
    """The audit log (of one actor), oldest first."""
    with runtime.db.transaction() as session:
        query = select(AuditEntry).order_by(AuditEntry.id)
        if actor:
            query = query.where(AuditEntry.actor == actor)
        return list(session.scalars(query))


def outbox_count(runtime) -> int:
    """How many messages exist (inbound and outbound)."""
    with runtime.db.transaction() as session:
        return len(session.scalars(select(Message.id)).all())
