"""Staff accounts for tests: create one through `gateway.staff.accounts` (as `gateway users add` does) and get
the `Scope` the console or the API would act with; the seven accounts of every access table (one per role and
scope), their scopes and a console test client logged in as one of them."""

from __future__ import annotations

from sqlalchemy import select

from gateway.models import Contact
from gateway.staff.accounts import add_user, find_user
from gateway.staff.scope import Scope
from tests.gateway.console.auth_support import add_staff, code_now, log_in

PASSWORD = "correct horse battery"

# name → (role, region, district): the seven accounts every access table runs through.
ROLES = {
    "admin": ("admin", None, None),
    "coord_mopti": ("coordinator", "Mopti", None),
    "coord_segou": ("coordinator", "Ségou", None),
    "fac_koro": ("facilitator", None, "KORO"),
    "fac_macina": ("facilitator", None, "MACINA"),
    "officer_koro": ("officer", None, "KORO"),
    "observer": ("observer", None, None),
}
# The districts whose records each account may see (KORO is in Mopti, MACINA in Ségou).
SEES = {
    "admin": {"KORO", "MACINA"},
    "coord_mopti": {"KORO"},
    "coord_segou": {"MACINA"},
    "fac_koro": {"KORO"},
    "fac_macina": {"MACINA"},
    "officer_koro": {"KORO"},
    "observer": {"KORO", "MACINA"},
}
CONVENERS = {"admin", "coord_mopti", "coord_segou", "fac_koro", "fac_macina"}  # may create and change meetings
PHONE_SEERS = {"admin", "coord_mopti", "coord_segou"}  # see phone numbers in full


def make_user(
    runtime,
    email: str,
    role: str,
    region: str | None = None,
    district: str | None = None,
    name: str | None = None,
    contact_phone: str | None = None,
) -> Scope:
    """A new account (password PASSWORD), linked to the directory contact with `contact_phone`; its scope."""
    with runtime.db.transaction() as session:
        user = add_user(session, email, name or email.split("@")[0].title(), role, region, district, PASSWORD)
        if contact_phone:
            user.contact_id = session.scalar(select(Contact.id).where(Contact.phone == contact_phone))
            assert user.contact_id, contact_phone
        session.flush()
        return Scope.of(user)


def scope_for(runtime, email: str) -> Scope:
    """The scope of an existing account, read afresh."""
    with runtime.db.transaction() as session:
        return Scope.of(find_user(session, email))


def email_of(name: str, domain: str = "example.org") -> str:
    """The email of the account `name` of ROLES."""
    return f"{name}@{domain}"


def display_name(name: str) -> str:
    """The display name of the account `name` of ROLES ("officer_koro" → "Officer Koro")."""
    return name.replace("_", " ").title()


def scope_of(runtime, name: str) -> Scope:
    """The scope of the account `name` of ROLES (created on first use, without a password)."""
    role, region, district = ROLES[name]
    email = email_of(name)
    with runtime.db.transaction() as session:
        user = find_user(session, email) or add_user(session, email, display_name(name), role, region, district, None)
        session.flush()
        return Scope.of(user)


def logged_in(runtime, app, name: str, domain: str = "example.org"):
    """A fresh console test client logged in as the account `name` of ROLES, created now with PASSWORD (the admin
    with its second factor); another `domain` keeps it apart from an account of the same name made by scope_of."""
    role, region, district = ROLES[name]
    email = email_of(name, domain)
    scope = {key: value for key, value in (("region", region), ("district", district)) if value}
    factor = add_staff(runtime, email, role=role, totp=role == "admin", **scope)
    client = app.test_client()
    fields = {"otp": code_now(factor.secret)} if factor else {}
    response = log_in(client, email, **fields)
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return client
