"""Helpers of the console's access tests: staff accounts, CSRF tokens read from the pages, logging in."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

import pyotp
from sqlalchemy import select

from gateway.models import AuditEntry
from gateway.staff import second_factor
from gateway.staff.accounts import add_user, find_user

PASSWORD = "correct horse battery"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Factor:
    """A test account's second factor: its TOTP secret and recovery codes."""

    secret: str
    codes: list[str]


def add_staff(runtime, email: str, role: str = "officer", totp: bool = False, **scope) -> Factor | None:
    """A staff account with PASSWORD (an officer of KORO unless told); its second factor when `totp`."""
    if role in ("officer", "facilitator") and not scope:
        scope = {"district": "KORO"}
    if role == "coordinator" and not scope:
        scope = {"region": "Mopti"}
    factor = Factor(second_factor.new_secret(), second_factor.new_recovery_codes()) if totp else None
    with runtime.db.transaction() as db:
        name = email.split("@")[0].title()
        account = add_user(db, email, name, role, scope.get("region"), scope.get("district"), PASSWORD)
        if factor:
            account.totp_secret = factor.secret
            account.recovery_codes = second_factor.hashed_codes(factor.codes)
    return factor


def user(runtime, email: str):
    """The account, read fresh (detached: its columns only)."""
    with runtime.db.sessions() as db:
        found = find_user(db, email)
        db.expunge(found)
        return found


def csrf_token(client, path: str = "/console/login") -> str:
    """The CSRF token of the form on a page (the session keeps its secret)."""
    page = client.get(path)
    found = TOKEN.search(page.get_data(as_text=True))
    assert found, f"no CSRF token on {path} ({page.status_code})"
    return found.group(1)


def post(client, path: str, data: dict, token_from: str = "/console/login", **kwargs):
    """Post a console form with a fresh CSRF token taken from the page `token_from`."""
    return client.post(path, data={**data, "csrf_token": csrf_token(client, token_from)}, **kwargs)


def log_in(
    client, email: str, password: str = PASSWORD, address: str | None = None, language: str | None = None, **fields
):
    """Post the login form (email, password and any other field, e.g. otp), from an address, in a language."""
    extra = {}
    if address:
        extra["environ_base"] = {"REMOTE_ADDR": address}
    if language:
        extra["headers"] = {"Accept-Language": language}
    return post(client, "/console/login", {"email": email, "password": password, **fields}, **extra)


def code_now(secret: str) -> str:
    """The TOTP code of the current time step."""
    return pyotp.TOTP(secret).now()


def next_code(secret: str) -> str:
    """The code of the next time step (accepted: one step either side), later than any step used just before."""
    return pyotp.TOTP(secret).at(time.time() + second_factor.STEP_SECONDS)


def audit_rows(runtime, action: str | None = None) -> list[AuditEntry]:
    """The audit log, oldest first (only one action's rows when given); detached rows."""
    query = select(AuditEntry).order_by(AuditEntry.id)
    if action:
        query = query.where(AuditEntry.action == action)
    with runtime.db.sessions() as db:
        rows = list(db.scalars(query))
        db.expunge_all()
    return rows
