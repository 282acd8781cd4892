"""Changing roadmaps: a status move with its history row, meeting links, and who may do either (the console, the
API and the CLI all go through here)."""

from __future__ import annotations

from sqlalchemy import Select, false, select, update
from sqlalchemy.orm import Session

from gateway.models import (
    District,
    Meeting,
    RoadmapItem,
    RoadmapMeetingLink,
    RoadmapStatus,
    RoadmapStatusChange,
    utcnow,
)
from gateway.roadmaps.items import ref
from gateway.staff.roles import StaffRole, fold
from gateway.staff.scope import Scope, region_district_ids

# Longest note kept with a status change.
MAX_NOTE = 1000


class RoadmapError(ValueError):
    """A change refused: `code` is what the API answers (`unknown_status`, `same_status`, …), the text says why."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def set_status(session: Session, item: RoadmapItem, status: str, note: str | None, actor: str) -> RoadmapStatusChange:
    """Move the item to `status` and append the history row (who, when, note); a move to the current status or to
    an unknown one is refused."""
    known = [s.value for s in RoadmapStatus]
    if status not in known:
        raise RoadmapError("unknown_status", f"unknown status {status!r} (one of: {', '.join(known)})")
    if status == item.status:
        raise RoadmapError("same_status", f"{ref(item.id)} is already {status}")
    note = (note or "").strip() or None
    if note and len(note) > MAX_NOTE:
        raise RoadmapError("note_too_long", f"the note is longer than {MAX_NOTE} characters")
    previous = item.status
    # Conditional on the status this change was decided from: of two people moving the item at the same moment,
    # the second is refused instead of writing a history step from a status that is no longer there.
    moved = session.execute(
        update(RoadmapItem)
        .where(RoadmapItem.id == item.id, RoadmapItem.status == previous)
        .values(status=status, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:
        session.expire(item, ["status"])
        raise RoadmapError("changed_meanwhile", f"{ref(item.id)} was changed meanwhile: look again")
    session.expire(item, ["status", "updated_at"])
    change = RoadmapStatusChange(item=item, status=status, previous=previous, note=note, actor=actor)
    session.add(change)
    session.flush()
    return change


def link_meeting(session: Session, item: RoadmapItem, meeting: Meeting) -> RoadmapMeetingLink:
    """Record that the item was discussed at this meeting of its district (once)."""
    if meeting.district_id != item.district_id:
        raise RoadmapError("other_district", f"meeting #{meeting.id} is not in the district of {ref(item.id)}")
    if _link(session, item, meeting) is not None:
        raise RoadmapError("already_linked", f"meeting #{meeting.id} is already linked to {ref(item.id)}")
    link = RoadmapMeetingLink(item_id=item.id, meeting_id=meeting.id)
    session.add(link)
    session.flush()
    session.expire(item, ["meetings"])
    return link


def unlink_meeting(session: Session, item: RoadmapItem, meeting: Meeting) -> None:
    """Remove the link between the item and a meeting."""
    link = _link(session, item, meeting)
    if link is None:
        raise RoadmapError("not_linked", f"meeting #{meeting.id} is not linked to {ref(item.id)}")
    session.delete(link)
    session.flush()
    session.expire(item, ["meetings"])


def _link(session: Session, item: RoadmapItem, meeting: Meeting) -> RoadmapMeetingLink | None:
    return session.scalar(
        select(RoadmapMeetingLink).where(
            RoadmapMeetingLink.item_id == item.id, RoadmapMeetingLink.meeting_id == meeting.id
        )
    )


def scoped_items(session: Session, scope: Scope, query: Select | None = None) -> Select:
    """`query` (default: every item) limited to the scope: admin and observer see every district (roadmaps name no
    reporter), a coordinator its region's, a facilitator or officer its own."""
    query = query if query is not None else select(RoadmapItem)
    if scope.role in (StaffRole.ADMIN, StaffRole.OBSERVER):
        return query
    if scope.role == StaffRole.COORDINATOR:
        ids = region_district_ids(session, scope.region)
        return query.where(RoadmapItem.district_id.in_(ids)) if ids else query.where(false())
    if scope.district_id is None:
        return query.where(false())
    return query.where(RoadmapItem.district_id == scope.district_id)


def visible_item(session: Session, scope: Scope, item_id: int | None) -> RoadmapItem | None:
    """The item if it exists and the scope may see it; None otherwise (404 either way)."""
    if item_id is None:
        return None
    return session.scalar(scoped_items(session, scope, select(RoadmapItem).where(RoadmapItem.id == item_id)))


def may_edit(scope: Scope, item: RoadmapItem) -> bool:
    """Admin; the coordinator of the item's region; a facilitator of its district. Officers and observers read."""
    if scope.role == StaffRole.ADMIN:
        return True
    if scope.role == StaffRole.COORDINATOR:
        return bool(scope.region) and fold(item.district.region) == fold(scope.region)
    return scope.role == StaffRole.FACILITATOR and scope.district_id == item.district_id


def scoped_districts(session: Session, scope: Scope) -> list[District]:
    """The districts whose roadmaps the scope reads, by name."""
    query = select(District).order_by(District.name)
    if scope.role in (StaffRole.ADMIN, StaffRole.OBSERVER):
        return list(session.scalars(query))
    if scope.role == StaffRole.COORDINATOR:
        ids = region_district_ids(session, scope.region)
        return list(session.scalars(query.where(District.id.in_(ids)))) if ids else []
    return list(session.scalars(query.where(District.id == scope.district_id))) if scope.district_id else []
