"""Staff accounts for tests: create one through `gateway.staff.accounts` (as `gateway users add` does) and get
the `Scope` the console or the API would act with."""

from __future__ import annotations

from sqlalchemy import select

from gateway.models import Contact
from gateway.staff.accounts import add_user, find_user
from gateway.staff.scope import Scope

PASSWORD = "correct horse battery"


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
