"""Roadmap changes made by staff (console and API) or on the server (CLI): the permission check, the change and its
audit row in the caller's transaction; a refusal carries a code each front end words itself."""

from __future__ import annotations

from sqlalchemy.orm import Session

from gateway.core import audit
from gateway.models import Meeting, RoadmapItem, RoadmapStatusChange
from gateway.roadmaps.changes import RoadmapError, link_meeting, may_edit, set_status, unlink_meeting
from gateway.roadmaps.items import ref
from gateway.staff.scope import Scope

# The actor of the history rows written from the command line (the audit row names the system user).
CLI_ACTOR = "cli"
# code → HTTP status of the API's answer.
HTTP_STATUS = {
    "forbidden": 403,
    "unknown_status": 422,
    "note_too_long": 422,
    "same_status": 409,
    "changed_meanwhile": 409,
    "other_district": 422,
    "unknown_meeting": 422,
    "already_linked": 409,
    "not_linked": 409,
}


def _target(item: RoadmapItem) -> str:
    return f"roadmap {ref(item.id)}"


def _require_editor(scope: Scope, item: RoadmapItem) -> None:
    if not may_edit(scope, item):
        raise RoadmapError("forbidden", "your role may not change this roadmap")


def change_status(session: Session, scope: Scope, item: RoadmapItem, status: str, note: str | None) -> None:
    """A staff member moves an item (admin, coordinator of its region, facilitator of its district); audited."""
    _require_editor(scope, item)
    change = set_status(session, item, status, note, scope.email)
    audit.record(session, scope.email, "roadmap_status", _target(item), _detail(change))


def cli_change_status(session: Session, item: RoadmapItem, status: str, note: str | None) -> RoadmapStatusChange:
    """A status set on the server (`gateway roadmaps set-status`): history actor `cli`, audit actor the system user."""
    change = set_status(session, item, status, note, CLI_ACTOR)
    audit.record(session, audit.cli_actor(), "roadmap_status", _target(item), _detail(change))
    return change


def _detail(change: RoadmapStatusChange) -> str:
    # The note is free text staff typed about authorities: it stays in the history, not in the audit log.
    return f"{change.previous} -> {change.status}" + (" (with a note)" if change.note else "")


def link(session: Session, actor: str, item: RoadmapItem, meeting: Meeting) -> None:
    """Link a meeting of the item's district; audited under `actor`."""
    link_meeting(session, item, meeting)
    audit.record(session, actor, "roadmap_meeting_link", _target(item), f"meeting #{meeting.id}")


def unlink(session: Session, actor: str, item: RoadmapItem, meeting: Meeting) -> None:
    """Remove a meeting link; audited under `actor`."""
    unlink_meeting(session, item, meeting)
    audit.record(session, actor, "roadmap_meeting_unlink", _target(item), f"meeting #{meeting.id}")


def staff_link(session: Session, scope: Scope, item: RoadmapItem, meeting: Meeting | None, linked: bool) -> None:
    """A staff member links (or unlinks) a meeting: the same people who may change the item's status."""
    _require_editor(scope, item)
    if meeting is None:
        raise RoadmapError("unknown_meeting", "no such meeting in your scope")
    (link if linked else unlink)(session, scope.email, item, meeting)
