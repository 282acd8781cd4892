"""Which districts' indicators a staff user may see: admin and observer every district (aggregates are counts only),
a coordinator those of their region, a facilitator or officer their own; the console and the API ask here."""

from __future__ import annotations

from sqlalchemy import false, select
from sqlalchemy.orm import Session

from gateway.models import District
from gateway.staff.roles import StaffRole, fold
from gateway.staff.scope import Scope, region_district_ids


def visible_districts(session: Session, scope: Scope) -> list[District]:
    """The districts of the scope, ordered by code."""
    query = select(District).order_by(District.code)
    if scope.role == StaffRole.COORDINATOR:
        query = query.where(District.id.in_(region_district_ids(session, scope.region)))
    elif scope.role not in (StaffRole.ADMIN, StaffRole.OBSERVER):
        query = query.where(District.id == scope.district_id) if scope.district_id is not None else query.where(false())
    return list(session.scalars(query))


def visible_district(session: Session, scope: Scope, code: str | None) -> District | None:
    """The district of this code (or name, without regard to case or accents: `djenne`, `Djenné`) if the scope may
    see it; None for an unknown one or one outside (the same answer)."""
    wanted = fold(code)
    if not wanted:
        return None
    return next((d for d in visible_districts(session, scope) if wanted in (fold(d.code), fold(d.name))), None)
