"""Staff roles, the scope each one needs, and what each may see (DESIGN, "Staff roles")."""

from __future__ import annotations

import unicodedata
from enum import StrEnum


class StaffRole(StrEnum):
    """A staff account's role."""

    ADMIN = "admin"  # everything, all regions
    COORDINATOR = "coordinator"  # one region
    FACILITATOR = "facilitator"  # one district
    OFFICER = "officer"  # one district
    OBSERVER = "observer"  # read-only, all districts, never identities nor free-text bodies


DISTRICT_ROLES = frozenset({StaffRole.FACILITATOR, StaffRole.OFFICER})
REGION_ROLES = frozenset({StaffRole.COORDINATOR})
# Roles that may ask to see a reporter's identity (with a reason, audited): admin anywhere, a coordinator in
# its region. Nobody else, ever.
REVEAL_ROLES = frozenset({StaffRole.ADMIN, StaffRole.COORDINATOR})
# Roles that read message bodies and free text; the observer sees counts and categories only.
BODY_ROLES = frozenset({StaffRole.ADMIN, StaffRole.COORDINATOR, StaffRole.FACILITATOR, StaffRole.OFFICER})
# Roles that see directory contacts' phone numbers and Telegram ids in full (directory pages, exports, the API's
# `phone`), within their scope: the admin keeps the directory, a coordinator keeps in touch with its region's
# leaders. Others see numbers masked (+223••••••67); the observer sees no contact at all.
PHONE_ROLES = frozenset({StaffRole.ADMIN, StaffRole.COORDINATOR})
# Roles that create meetings and broadcasts in their scope (the observer and the duty officers do not).
CONVENER_ROLES = frozenset({StaffRole.ADMIN, StaffRole.COORDINATOR, StaffRole.FACILITATOR})


def a_role(role: str) -> str:
    """The role with its article, for one-line refusals ("an officer", "a facilitator")."""
    return f"{'an' if str(role)[:1] in 'aeiou' else 'a'} {role}"


class ScopeError(ValueError):
    """A role given a region or district it cannot have, or missing the one it needs (one line for the CLI)."""


def check_scope(role: str, region: str | None, district: str | None) -> StaffRole:
    """The role, when the region/district given fit it; else ScopeError saying what is wrong."""
    try:
        staff_role = StaffRole(role)
    except ValueError:
        known = ", ".join(r.value for r in StaffRole)
        raise ScopeError(f"unknown role {role!r} (one of: {known})") from None
    if staff_role in DISTRICT_ROLES:
        if not district:
            raise ScopeError(f"{a_role(staff_role)} works in one district: give --district")
        if region:
            raise ScopeError(f"{a_role(staff_role)} has a district, not a region: drop --region")
    elif staff_role in REGION_ROLES:
        if not region:
            raise ScopeError(f"{a_role(staff_role)} works in one region: give --region")
        if district:
            raise ScopeError(f"{a_role(staff_role)} covers a whole region: drop --district")
    elif region or district:
        raise ScopeError(f"{a_role(staff_role)} covers every district: drop --region and --district")
    return staff_role


def fold(text: str | None) -> str:
    """A region or place name compared without regard to case or accents (`Ségou` == `SEGOU`)."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold().strip()
