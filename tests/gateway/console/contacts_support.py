"""Helpers of the directory pages' tests: one logged-in browser per staff role (the API tests' seven accounts),
which contacts each may see, a footprint of what a write would change, and CSV files for the import."""

from __future__ import annotations

from sqlalchemy import func, select

from gateway.models import AuditEntry, Contact, District
from tests.conftest import SAMPLE_DIRECTORY
from tests.gateway.console.auth_support import add_staff, code_now, csrf_token, log_in

# name → (role, scope): the seven accounts of every access table.
ROLES = {
    "admin": ("admin", {}),
    "coord_mopti": ("coordinator", {"region": "Mopti"}),
    "coord_segou": ("coordinator", {"region": "Ségou"}),
    "fac_koro": ("facilitator", {"district": "KORO"}),
    "fac_macina": ("facilitator", {"district": "MACINA"}),
    "officer_koro": ("officer", {"district": "KORO"}),
    "observer": ("observer", {}),
}
# The districts whose contacts each account may read (KORO is in Mopti, MACINA in Ségou); the observer: none.
SEES = {
    "admin": {"KORO", "MACINA"},
    "coord_mopti": {"KORO"},
    "coord_segou": {"MACINA"},
    "fac_koro": {"KORO"},
    "fac_macina": {"MACINA"},
    "officer_koro": {"KORO"},
    "observer": set(),
}
NUMBERS = {"admin", "coord_mopti", "coord_segou"}  # see phone numbers in full
HEADER = SAMPLE_DIRECTORY.read_text(encoding="utf-8").splitlines()[0]


def browser_as(runtime, app, who: str):
    """A test client logged in as the account `who` (the admin with its second factor)."""
    role, scope = ROLES[who]
    email = f"{who}@example.org"
    factor = add_staff(runtime, email, role=role, totp=role == "admin", **scope)
    browser = app.test_client()
    fields = {"otp": code_now(factor.secret)} if factor else {}
    response = log_in(browser, email, **fields)
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    browser.email = email
    return browser


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
