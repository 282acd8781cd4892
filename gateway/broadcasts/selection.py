"""Who a broadcast reaches: a selection (district, region, commune, role, language) checked against the sender's
scope, and the active contacts who have not opted out that it matches.

A facilitator's selection is always its own district (none given means its district), a coordinator's its
region's districts, an admin's anything; officers and observers may not broadcast. The role filter defaults to
`leader` (broadcasts are for the community leaders); `all` reaches facilitators and officers of the selection too."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from gateway.broadcasts.errors import BroadcastError
from gateway.models import Contact, District, Language, Role
from gateway.staff.roles import CONVENER_ROLES, StaffRole, fold
from gateway.staff.scope import Scope, region_district_ids

FIELDS = ("district", "region", "commune", "role", "language")
DEFAULT_ROLE = Role.LEADER.value
ANY_ROLE = "all"
ROLE_CHOICES = (*(r.value for r in Role), ANY_ROLE)
LANGUAGE_CHOICES = tuple(lang.value for lang in Language)
MAX_FIELD = 120
_REGION_WIDE = frozenset({StaffRole.ADMIN, StaffRole.COORDINATOR})  # a longer name is no district, region or commune


@dataclass(frozen=True)
class Selection:
    """A broadcast's filters as given (names trimmed; None: not filtered)."""

    district: str | None = None
    region: str | None = None
    commune: str | None = None
    role: str = DEFAULT_ROLE
    language: str | None = None

    def as_dict(self) -> dict:
        """The filters as stored on the broadcast (JSON) and shown on its page."""
        return {name: getattr(self, name) for name in FIELDS if getattr(self, name)}


def parse_selection(fields: Mapping) -> Selection:
    """A Selection from form or JSON fields; BroadcastError for a value that is not a text or not a known role or
    language (unknown places are found out by `resolve`, which knows the directory)."""
    values: dict[str, str | None] = {}
    for name in FIELDS:
        value = fields.get(name)
        if value is not None and not isinstance(value, str):
            raise BroadcastError("bad_field", field=name)
        value = (value or "").strip()[: MAX_FIELD + 1]
        values[name] = value or None
    role = (values["role"] or DEFAULT_ROLE).lower()
    if role not in ROLE_CHOICES:
        raise BroadcastError("unknown_role", choices=", ".join(ROLE_CHOICES))
    language = values["language"].lower() if values["language"] else None
    if language is not None and language not in LANGUAGE_CHOICES:
        raise BroadcastError("unknown_language", choices=", ".join(LANGUAGE_CHOICES))
    district = values["district"].upper() if values["district"] else None
    return Selection(district, values["region"], values["commune"], role, language)


@dataclass(frozen=True)
class Reach:
    """What a selection resolves to: its recipients, and whose scope the broadcast belongs to."""

    selection: Selection
    contacts: list[Contact]
    district_id: int | None  # the broadcast's district when it covers one district
    region: str | None  # else its region when it covers one region


def resolve(session: Session, scope: Scope, selection: Selection) -> Reach:
    """The recipients of a selection in the scope; BroadcastError (nothing written) when the role may not
    broadcast, a name is unknown (422), a place is outside the scope (403), or nobody is reached (422)."""
    if scope.role not in CONVENER_ROLES:
        raise BroadcastError("forbidden")
    districts = list(session.scalars(select(District).order_by(District.code)))
    allowed = _allowed_ids(session, scope)
    chosen = [d for d in districts if allowed is None or d.id in allowed]
    if selection.district:
        named = [d for d in districts if d.code == selection.district]
        if not named:
            raise BroadcastError("unknown_district", value=selection.district)
        if named[0] not in chosen:
            raise BroadcastError("out_of_scope", field="district", value=selection.district)
        chosen = named
    region_name = scope.region if scope.role == StaffRole.COORDINATOR else None
    if selection.region:
        in_region = [d for d in districts if fold(d.region) == fold(selection.region)]
        if not in_region:
            raise BroadcastError("unknown_region", value=selection.region)
        if allowed is not None and not any(d.id in allowed for d in in_region):
            raise BroadcastError("out_of_scope", field="region", value=selection.region)
        chosen = [d for d in chosen if d in in_region]
        region_name = in_region[0].region
    if scope.role == StaffRole.ADMIN and not selection.district and not selection.region:
        contacts = list(session.scalars(_active()))  # head office: the whole directory
    else:
        # A whole region also reaches its contacts without a district (e.g. the region's officers).
        region_wide = None if selection.district or scope.role not in _REGION_WIDE else region_name
        contacts = _candidates(session, chosen, region_wide)
    if selection.commune:
        wanted = fold(selection.commune)
        contacts = [c for c in contacts if fold(c.commune) == wanted]
        if not contacts:
            raise BroadcastError("unknown_commune", value=selection.commune)
    if selection.role != ANY_ROLE:
        contacts = [c for c in contacts if c.role == selection.role]
    if selection.language:
        contacts = [c for c in contacts if c.language == selection.language]
    if not contacts:
        raise BroadcastError("no_recipients")
    district_id, region = _owner(scope, chosen, selection, region_name)
    return Reach(selection, contacts, district_id, region)


def _allowed_ids(session: Session, scope: Scope) -> set[int] | None:
    """The districts the scope may broadcast to (None: all)."""
    if scope.role == StaffRole.ADMIN:
        return None
    if scope.role == StaffRole.COORDINATOR:
        return set(region_district_ids(session, scope.region))
    return {scope.district_id} if scope.district_id is not None else set()


def _active():
    """Contacts a broadcast may go to: active, not opted out."""
    return select(Contact).where(Contact.active.is_(True), Contact.opted_out.is_(False)).order_by(Contact.id)


def _candidates(session: Session, chosen: list[District], region: str | None) -> list[Contact]:
    """The active contacts of these districts, and (for a whole region) those of the region without a district,
    such as its coordinator's officers."""
    clauses = [Contact.district_id.in_([d.id for d in chosen])] if chosen else []
    if region:
        clauses.append(Contact.district_id.is_(None) & Contact.region.is_not(None))
    if not clauses:
        return []
    contacts = session.scalars(_active().where(or_(*clauses)))
    return [c for c in contacts if c.district_id is not None or fold(c.region) == fold(region)]


def _owner(scope: Scope, chosen: list[District], selection: Selection, region: str | None):
    """(district_id, region) of the broadcast: whose scope it belongs to (gateway.staff.scope.scoped_broadcasts)."""
    if scope.role not in _REGION_WIDE:
        return scope.district_id, None
    if selection.district:
        return chosen[0].id, None
    if scope.role == StaffRole.COORDINATOR:
        return None, scope.region
    return None, region
