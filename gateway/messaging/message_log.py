"""The message log for staff: every message in and out, newest first, a page at a time by keyset on the primary
key (the table is large: no OFFSET, no sort but the primary key's), limited to the user's scope in the query.

An admin sees everything; a coordinator the messages of the contacts of its region's districts (in and out) and
nothing of numbers that are not in the directory; every other role nothing (the page answers 403)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Select, false, select
from sqlalchemy.orm import Session

from gateway.models import Contact, District, Message, MessageKind, MessageStatus
from gateway.staff.roles import StaffRole
from gateway.staff.scope import Scope, region_district_ids

LOG_ROLES = frozenset({StaffRole.ADMIN, StaffRole.COORDINATOR})
PAGE_SIZE = 50
CHANNELS = ("twilio", "android", "telegram", "console")
DIRECTIONS = ("in", "out")
STATUSES = tuple(s.value for s in MessageStatus)
KINDS = tuple(k.value for k in MessageKind)
MAX_ID = 10**15  # a cursor or contact number beyond any row: refused rather than overflowing the database


@dataclass
class LogFilters:
    """The log's filters as given in the query string, and the text keys of what was wrong with them."""

    channel: str = ""
    direction: str = ""
    status: str = ""
    kind: str = ""
    since: str = ""
    until: str = ""
    district: str = ""
    contact: str = ""
    before: str = ""
    errors: list[str] = field(default_factory=list)

    def args(self, with_cursor: bool = False) -> dict[str, str]:
        """The filters that are set, for the next page's link (without the cursor unless asked)."""
        names = ("channel", "direction", "status", "kind", "since", "until", "district", "contact")
        kept = {name: getattr(self, name) for name in names if getattr(self, name)}
        if with_cursor and self.before:
            kept["before"] = self.before
        return kept


def _is_day(text: str) -> bool:
    if len(text) != 10:
        return False
    try:
        return date.fromisoformat(text) < date.max
    except ValueError:
        return False


def read_filters(args, districts: list[str]) -> LogFilters:
    """The filters of a request; each bad value is named in `errors` (the page then answers 400 and lists nothing)."""
    given = {name: (args.get(name) or "").strip() for name in LogFilters.__dataclass_fields__ if name != "errors"}
    filters = LogFilters()
    choices = {"channel": CHANNELS, "direction": DIRECTIONS, "status": STATUSES, "kind": KINDS, "district": districts}
    for name, value in given.items():
        if name == "district":
            value = value.upper()
        if not value:
            continue
        if name in choices:
            ok = value in choices[name]
        elif name in ("since", "until"):
            ok = _is_day(value)
        else:  # contact, before: numbers
            ok = value.isdigit() and 0 < int(value) < MAX_ID
        if ok:
            setattr(filters, name, value)
        else:
            filters.errors.append(f"messages.bad_{name}")
    if filters.since and filters.until and filters.since > filters.until:
        filters.errors.append("messages.bad_range")
    return filters


def scoped_messages(session: Session, scope: Scope, query: Select | None = None) -> Select:
    """`query` (default: every message) limited to what the scope may see in the log."""
    query = query if query is not None else select(Message)
    if scope.role == StaffRole.ADMIN:
        return query
    if scope.role == StaffRole.COORDINATOR:
        ids = region_district_ids(session, scope.region)
        if not ids:
            return query.where(false())
        return query.where(Message.contact_id.in_(select(Contact.id).where(Contact.district_id.in_(ids))))
    return query.where(false())


def visible_message(session: Session, scope: Scope, message_id: int) -> Message | None:
    """The message if it exists and the scope may see it; None otherwise (404 either way)."""
    if not 0 < message_id < MAX_ID:
        return None
    return session.scalar(scoped_messages(session, scope, select(Message).where(Message.id == message_id)))


def _midnight(text: str, zone: ZoneInfo) -> datetime:
    """Midnight of a local date (the stored times are UTC-aware: compared as instants)."""
    day = date.fromisoformat(text)
    return datetime(day.year, day.month, day.day, tzinfo=zone)


def filtered(session: Session, scope: Scope, filters: LogFilters, zone: ZoneInfo) -> Select:
    """The scope's messages under the filters, newest first, one page and one more (to know there is a next)."""
    query = scoped_messages(session, scope)
    for name in ("channel", "direction", "status", "kind"):
        if value := getattr(filters, name):
            query = query.where(getattr(Message, name) == value)
    if filters.contact:
        query = query.where(Message.contact_id == int(filters.contact))
    if filters.district:
        in_district = select(Contact.id).join(District, Contact.district_id == District.id)
        query = query.where(Message.contact_id.in_(in_district.where(District.code == filters.district)))
    if filters.since:
        query = query.where(Message.created_at >= _midnight(filters.since, zone))  # ix_messages_created_at
    if filters.until:
        query = query.where(Message.created_at < _midnight(filters.until, zone) + timedelta(days=1))
    if filters.before:
        query = query.where(Message.id < int(filters.before))
    return query.order_by(Message.id.desc()).limit(PAGE_SIZE + 1)


def scope_districts(session: Session, scope: Scope) -> list[str]:
    """The district codes the user may filter on: all for the admin, its region's for a coordinator."""
    query = select(District.code).order_by(District.code)
    if scope.role != StaffRole.ADMIN:
        query = query.where(District.id.in_(region_district_ids(session, scope.region)))
    return list(session.scalars(query))
