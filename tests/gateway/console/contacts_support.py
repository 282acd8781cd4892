"""Helpers of the directory pages' tests: which contacts each staff account may see, a footprint of what a write
would change, and CSV files for the import."""

from __future__ import annotations

from sqlalchemy import func, select

from gateway.models import AuditEntry, Contact, District
from tests import staff_users
from tests.conftest import SAMPLE_DIRECTORY
from tests.gateway.console.auth_support import csrf_token

# The districts whose contacts each account may read: the observer none (it never sees who is in the directory).
SEES = {**staff_users.SEES, "observer": set()}
HEADER = SAMPLE_DIRECTORY.read_text(encoding="utf-8").splitlines()[0]


def first_leader(runtime, district: str) -> Contact:
    """The first leader of a district (detached)."""
    with runtime.db.sessions() as db:
        contact = db.scalars(
            select(Contact)
            .join(District, Contact.district_id == District.id)
            .where(District.code == district, Contact.role == "leader")
            .order_by(Contact.id)
        ).first()
        db.expunge(contact)
        return contact


def footprint(runtime) -> dict:
    """The directory and the audit log: what no refused request may change."""
    with runtime.db.sessions() as db:
        contacts = [
            (c.id, c.name, c.phone, c.telegram_id, c.role, c.region, c.district_id, c.commune, c.village, c.language,
             c.channel, c.escalation_level, c.discreet, c.active)
            for c in db.scalars(select(Contact).order_by(Contact.id))
        ]  # fmt: skip
        return {
            "contacts": contacts,
            "districts": db.scalar(select(func.count()).select_from(District)),
            "audit": db.scalar(select(func.count()).select_from(AuditEntry)),
        }


def form_post(browser, path: str, data: dict, token_from: str = "/console/contacts", **kwargs):
    """Post a console form with a CSRF token read from a page the account can open."""
    return browser.post(path, data={**data, "csrf_token": csrf_token(browser, token_from)}, **kwargs)


def csv_text(*lines: str) -> str:
    """A directory file: the sample's header and these lines."""
    return "\n".join([HEADER, *lines]) + "\n"
