"""A staff user's scope, applied in the queries: every read of alerts by the console or the API goes through here,
so that another district's record is simply not found (404), whatever the page or the template."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, false, or_, select
from sqlalchemy.orm import Session

from gateway.models import Alert, Broadcast, District, StaffUser
from gateway.staff.roles import BODY_ROLES, REVEAL_ROLES, StaffRole, fold


@dataclass(frozen=True)
class Scope:
    """Who is asking: role, region (coordinator), district (facilitator, officer); the rest sees every district."""

    user_id: int
    email: str
    name: str
    role: StaffRole
    region: str | None = None
    district_id: int | None = None
    district_code: str | None = None

    @classmethod
    def of(cls, user: StaffUser) -> Scope:
        """The scope of an account."""
        return cls(
            user_id=user.id,
            email=user.email,
            name=user.name,
            role=StaffRole(user.role),
            region=user.region,
            district_id=user.district_id,
            district_code=user.district.code if user.district else None,
        )

    @property
    def reads_bodies(self) -> bool:
        """False for the observer: counts and categories, never a message body or free text."""
        return self.role in BODY_ROLES

    @property
    def read_only(self) -> bool:
        """The observer changes nothing."""
        return self.role == StaffRole.OBSERVER


def region_district_ids(session: Session, region: str | None) -> list[int]:
    """Ids of the districts of a region, matched without regard to case or accents."""
    return [d.id for d in session.scalars(select(District)) if region and fold(d.region) == fold(region)]


def scoped_alerts(session: Session, scope: Scope, query: Select | None = None) -> Select:
    """`query` (default: every alert) limited to what the scope may see."""
    query = query if query is not None else select(Alert)
    if scope.role in (StaffRole.ADMIN, StaffRole.OBSERVER):
        return query
    if scope.role == StaffRole.COORDINATOR:
        ids = region_district_ids(session, scope.region)
        regions = {r for r in session.scalars(select(Alert.region).distinct()) if r and fold(r) == fold(scope.region)}
        clauses = [Alert.district_id.in_(ids)] if ids else []
        if regions:
            clauses.append(Alert.region.in_(regions))
        return query.where(or_(*clauses)) if clauses else query.where(false())
    if scope.district_id is None:
        return query.where(false())
    return query.where(Alert.district_id == scope.district_id)


def visible_alert(session: Session, scope: Scope, ref: int) -> Alert | None:
    """The alert if it exists and the scope may see it; None otherwise (the caller answers 404 either way)."""
    return session.scalar(scoped_alerts(session, scope, select(Alert).where(Alert.id == ref)))


def may_reveal(session: Session, scope: Scope, alert: Alert) -> bool:
    """Whether this user may ask for the reporter's identity of this alert (admin; coordinator of its region)."""
    if scope.role not in REVEAL_ROLES:
        return False
    if scope.role == StaffRole.ADMIN:
        return True
    return visible_alert(session, scope, alert.id) is not None


def scoped_broadcasts(session: Session, scope: Scope, query: Select | None = None) -> Select:
    """`query` (default: every broadcast) limited to the scope: a district's own, a region's (its districts' and
    the coordinator's region-wide ones); admin and observer see all."""
    query = query if query is not None else select(Broadcast)
    if scope.role in (StaffRole.ADMIN, StaffRole.OBSERVER):
        return query
    if scope.role == StaffRole.COORDINATOR:
        ids = region_district_ids(session, scope.region)
        named = session.scalars(select(Broadcast.region).distinct())
        regions = {r for r in named if r and fold(r) == fold(scope.region)}
        clauses = [Broadcast.district_id.in_(ids)] if ids else []
        if regions:
            clauses.append(Broadcast.region.in_(regions))
        return query.where(or_(*clauses)) if clauses else query.where(false())
    if scope.district_id is None:
        return query.where(false())
    return query.where(Broadcast.district_id == scope.district_id)


def visible_broadcast(session: Session, scope: Scope, broadcast_id: int) -> Broadcast | None:
    """The broadcast if it exists and the scope may see it; None otherwise (404 either way)."""
    return session.scalar(scoped_broadcasts(session, scope, select(Broadcast).where(Broadcast.id == broadcast_id)))
