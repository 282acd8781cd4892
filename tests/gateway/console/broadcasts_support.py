"""Helpers of the broadcast pages' tests: a logged-in browser per account of the scope tables, broadcasts of KORO
and MACINA sent through the domain, and the console's forms read from the pages."""

from __future__ import annotations

import re

from gateway.broadcasts import service
from tests.staff_users import logged_in, scope_of

FORM_TOKEN = re.compile(r'name="form_token" value="([^"]*)"')
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


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
