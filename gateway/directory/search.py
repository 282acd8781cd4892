"""Reading the directory for staff: the contacts of a scope (in the query), and the filters of the console's list
and of `GET /api/v1/contacts` (district, commune, role, language, channel, opted out, unreachable, Telegram linked,
no answer to the last N meeting notices, active or deactivated, a name or phone search)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import Select, and_, false, func, or_, select
from sqlalchemy.orm import Session

from gateway.models import Contact, District, Invitation, Language, Meeting, MeetingStatus, PreferredChannel, Role
from gateway.staff.roles import PHONE_ROLES, StaffRole, fold
from gateway.staff.scope import Scope, region_district_ids

# The "no answer to the last N notices" choices offered (N meetings of the contact's district).
SILENT_CHOICES = (1, 2, 3, 5)
ROLES = tuple(r.value for r in Role)
LANGUAGES = tuple(lang.value for lang in Language)
CHANNELS = tuple(c.value for c in PreferredChannel)
YES_NO = ("yes", "no")
UNREACHABLE = ("sms", "telegram", "any")
ACTIVE = ("active", "inactive", "all")


def scoped_contacts(session: Session, scope: Scope, query: Select | None = None) -> Select:
    """`query` (default: every contact) limited to the scope: admin all; a coordinator the districts of its region
    and the region's contacts without a district (level-2 officers); a facilitator or officer its district; the
    observer nothing (it never sees identities)."""
    query = query if query is not None else select(Contact)
    if scope.role == StaffRole.ADMIN:
        return query
    if scope.role == StaffRole.COORDINATOR:
        ids = region_district_ids(session, scope.region)
        named = session.scalars(select(Contact.region).where(Contact.district_id.is_(None)).distinct())
        regions = {r for r in named if r and fold(r) == fold(scope.region)}
        clauses = [Contact.district_id.in_(ids)] if ids else []
        if regions:
            clauses.append(and_(Contact.district_id.is_(None), Contact.region.in_(regions)))
        return query.where(or_(*clauses)) if clauses else query.where(false())
    if scope.role == StaffRole.OBSERVER or scope.district_id is None:
        return query.where(false())
    return query.where(Contact.district_id == scope.district_id)


def visible_contact(session: Session, scope: Scope, contact_id: int) -> Contact | None:
    """The contact if it exists and is in the scope; None otherwise (404 either way)."""
    return session.scalar(scoped_contacts(session, scope, select(Contact).where(Contact.id == contact_id)))


@dataclass
class ContactFilters:
    """The list's filters, checked. Empty strings are "any"."""

    q: str = ""
    district: str = ""
    commune: str = ""
    role: str = ""
    language: str = ""
    channel: str = ""
    opted_out: str = ""
    unreachable: str = ""
    telegram: str = ""
    silent: str = ""
    active: str = "active"

    NAMES = ("q", "district", "commune", "role", "language", "channel", "opted_out", "unreachable", "telegram",
             "silent", "active")  # fmt: skip

    def args(self) -> dict[str, str]:
        """The filters that are set (for links, the pager and the export)."""
        return {name: getattr(self, name) for name in self.NAMES if getattr(self, name)}


def read_filters(args, districts: list[str]) -> tuple[ContactFilters, list[str]]:
    """The filters of a query string and the names of those whose value is not allowed (the caller answers 400
    or 422 naming them); `districts` are the codes of the caller's scope."""
    allowed = {
        "district": districts,
        "role": ROLES,
        "language": LANGUAGES,
        "channel": CHANNELS,
        "opted_out": YES_NO,
        "unreachable": UNREACHABLE,
        "telegram": YES_NO,
        "silent": tuple(str(n) for n in SILENT_CHOICES),
        "active": ACTIVE,
    }
    filters, bad = ContactFilters(), []
    filters.q = " ".join((args.get("q") or "").split())[:100]
    filters.commune = " ".join((args.get("commune") or "").split())[:120]
    for name, choices in allowed.items():
        value = (args.get(name) or "").strip()[:40]
        if name == "district":
            value = value.upper()
        elif name != "q":
            value = value.lower()
        if value and value not in choices:
            bad.append(name)
        elif value:
            setattr(filters, name, value)
    return filters, bad


def silent_contact_ids(session: Session, count: int, district_ids: set[int] | None = None) -> set[int]:
    """Contacts invited to each of the last `count` meetings of their district (cancelled ones not counted) who
    answered none of them."""
    meetings = select(Meeting.id, Meeting.district_id).where(Meeting.status != MeetingStatus.CANCELLED)
    if district_ids is not None:
        meetings = meetings.where(Meeting.district_id.in_(district_ids))
    latest: dict[int, list[int]] = defaultdict(list)
    for meeting_id, district_id in session.execute(meetings.order_by(Meeting.starts_at.desc(), Meeting.id.desc())):
        if len(latest[district_id]) < count:
            latest[district_id].append(meeting_id)
    silent: set[int] = set()
    for ids in latest.values():
        if len(ids) < count:
            continue  # a district with fewer meetings than N: nobody has missed N notices yet
        rows = session.execute(
            select(Invitation.contact_id, func.count(Invitation.id), func.count(Invitation.answer))
            .where(Invitation.meeting_id.in_(ids))
            .group_by(Invitation.contact_id)
        )
        silent |= {contact_id for contact_id, invited, answered in rows if invited == count and answered == 0}
    return silent


def _matching(session: Session, scope: Scope, text: str) -> list[int]:
    """Ids of the scope's contacts whose name holds `text` without regard to case or accents (`toure` finds
    `Touré`; SQL's lower() does not fold accents everywhere), or whose number holds its digits (only for roles
    that see numbers: others see them masked and must not probe them)."""
    wanted = fold(text)
    digits = "".join(ch for ch in text if ch.isdigit())
    by_number = len(digits) >= 2 and scope.role in PHONE_ROLES
    rows = session.execute(scoped_contacts(session, scope, select(Contact.id, Contact.name, Contact.phone)))
    return [cid for cid, name, phone in rows if wanted in fold(name) or (by_number and digits in phone)]


def _flag(query: Select, column, value: str) -> Select:
    return query.where(column.is_(value == "yes"))


def filtered_contacts(session: Session, scope: Scope, filters: ContactFilters, query: Select | None = None) -> Select:
    """`query` limited to the scope first, then to the filters (a phone search only for roles that see numbers)."""
    query = scoped_contacts(session, scope, query if query is not None else select(Contact))
    if filters.q:
        query = query.where(Contact.id.in_(_matching(session, scope, filters.q)))
    if filters.district:
        query = query.where(Contact.district_id.in_(select(District.id).where(District.code == filters.district)))
    if filters.commune:
        query = query.where(func.lower(Contact.commune) == filters.commune.lower())
    for name in ("role", "language", "channel"):
        if getattr(filters, name):
            query = query.where(getattr(Contact, name) == getattr(filters, name))
    if filters.opted_out:
        query = _flag(query, Contact.opted_out, filters.opted_out)
    if filters.unreachable == "sms":
        query = query.where(Contact.sms_unreachable.is_(True))
    elif filters.unreachable == "telegram":
        query = query.where(Contact.telegram_unreachable.is_(True))
    elif filters.unreachable == "any":
        query = query.where(or_(Contact.sms_unreachable.is_(True), Contact.telegram_unreachable.is_(True)))
    if filters.telegram:
        linked = Contact.telegram_id.is_not(None)
        query = query.where(linked if filters.telegram == "yes" else Contact.telegram_id.is_(None))
    if filters.silent:
        query = query.where(Contact.id.in_(silent_contact_ids(session, int(filters.silent))))
    if filters.active in ("active", "inactive"):
        query = query.where(Contact.active.is_(filters.active == "active"))
    return query


def scope_district_codes(session: Session, scope: Scope) -> list[str]:
    """The district codes the user may filter on: those of the scope."""
    if scope.district_code:
        return [scope.district_code]
    query = select(District).order_by(District.code)
    if scope.role == StaffRole.COORDINATOR:
        query = query.where(District.id.in_(region_district_ids(session, scope.region)))
    return [district.code for district in session.scalars(query)]
