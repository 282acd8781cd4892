"""Helpers of the broadcast tests: what the sending wrote (broadcasts, outbox rows, audit rows), the directory's
expected recipients computed straight from the sample rows, broadcasts sent through the domain, and for the
console's pages a logged-in browser per account of the scope tables and the forms' tokens read from the pages."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from gateway.broadcasts import service
from gateway.models import AuditEntry, Broadcast, Contact, District, Message
from gateway.staff.roles import fold
from tests.staff_users import logged_in, scope_of

FORM_TOKEN = re.compile(r'name="form_token" value="([^"]*)"')
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def footprint(runtime) -> dict:
    """What a sending would change: broadcasts, outbox rows, audit rows, and each message's status."""
    with runtime.db.sessions() as session:
        out = {
            m.__name__: session.scalar(select(func.count()).select_from(m)) for m in (Broadcast, Message, AuditEntry)
        }
        out["statuses"] = sorted(session.execute(select(Message.id, Message.status, Message.attempts)).all())
    return out


def expected(rows, *, districts=None, region=None, commune=None, role="leader", language=None) -> int:
    """How many sample-directory contacts a selection should reach (all are active and opted in at first)."""
    return sum(
        1
        for row in rows
        if (districts is None or (row.district or "") in districts)
        and (region is None or fold(row.region) == fold(region))
        and (commune is None or fold(row.commune) == fold(commune))
        and (role == "all" or row.role == role)
        and (language is None or row.language == language)
    )


def contacts_of(runtime, district: str, role: str = "leader") -> list[Contact]:
    """The contacts of a district with a role (detached)."""
    with runtime.db.sessions() as session:
        query = select(Contact).join(District).where(District.code == district, Contact.role == role)
        rows = list(session.scalars(query.order_by(Contact.id)))
        session.expunge_all()
        return rows


def browser(runtime, app, name: str):
    """A test client logged in as the account `name` of ROLES (the admin with its second factor), under its own
    email so that it never meets the account `scope_of` makes for the same name."""
    return logged_in(runtime, app, name, domain="console.example.org")


def sent(runtime, who: str, **fields) -> int:
    """A broadcast sent by the account `who` (through the domain); its id."""
    with runtime.db.transaction() as session:
        broadcast, _ = service.send(session, runtime, scope_of(runtime, who), {"text": "Bonjour à tous", **fields})
        return broadcast.id


def compose_form(client) -> dict:
    """The composer's hidden fields (CSRF and one-time form tokens), read from GET /console/broadcasts/new."""
    page = client.get("/console/broadcasts/new").get_data(as_text=True)
    return {"csrf_token": CSRF.search(page).group(1), "form_token": FORM_TOKEN.search(page).group(1)}


def csrf_of(client, path: str) -> str:
    """The CSRF token of a page's forms."""
    return CSRF.search(client.get(path).get_data(as_text=True)).group(1)
