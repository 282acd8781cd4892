"""The API's roadmap routes: list (filters, signed cursors), one item with its history, meetings and alerts, and a
status change (admin, the coordinator of its region, a facilitator of its district; audited by the desk)."""

from __future__ import annotations

from flask import g, jsonify, request
from sqlalchemy import select

from gateway.api import ApiError, api, json_body, require_writer, runtime
from gateway.api.openapi import _body, _error, _json, _query, _ref, document
from gateway.api.pages import next_cursor, page_request
from gateway.meetings.attendance import local_text
from gateway.meetings.desk import scoped_meetings
from gateway.models import Meeting, RoadmapItem
from gateway.roadmaps import desk
from gateway.roadmaps.changes import RoadmapError, scoped_items, visible_item
from gateway.roadmaps.items import alerts_about, as_record, find_district, items_query, local_today, parse_ref, statuses
from gateway.staff.scope import scoped_alerts

CURSOR_SALT = "gateway-api-roadmaps-cursor"
NOT_FOUND = "no such roadmap item in your scope"


@api.errorhandler(RoadmapError)
def roadmap_refusal(exc: RoadmapError):
    """A refused change: 403, 409 or 422 with its code."""
    return jsonify(error={"code": exc.code, "message": str(exc)}), desk.HTTP_STATUS.get(exc.code, 422)


def _filters() -> dict:
    """The first page's filters, checked: an unknown district or status, or a bad `overdue`, is a 422."""
    filters: dict = {}
    if request.args.get("district"):
        with runtime().db.transaction() as db:
            district = find_district(db, request.args["district"])
            if district is None:
                raise ApiError(422, f"unknown district {request.args['district']!r}")
            filters["district_id"] = district.id
    status = request.args.get("status")
    if status:
        if status not in statuses():
            raise ApiError(422, f"status is one of {', '.join(statuses())}")
        filters["status"] = status
    overdue = request.args.get("overdue")
    if overdue not in (None, "", "0", "1"):
        raise ApiError(422, "overdue is 1 (only overdue items) or 0")
    if overdue == "1":
        filters["overdue"] = True
    return filters


@api.get("/roadmaps")
def list_roadmaps():
    """Roadmap items of the caller's scope (every role reads its scope), by reference, a page at a time."""
    filters, limit, after = page_request(CURSOR_SALT, _filters)
    today = local_today(runtime().settings.timezone)
    with runtime().db.transaction() as db:
        query = (
            items_query(
                [filters["district_id"]] if "district_id" in filters else None,
                filters.get("status"),
                today if filters.get("overdue") else None,
            )
            .order_by(None)
            .order_by(RoadmapItem.id)
        )
        if after is not None:
            query = query.where(RoadmapItem.id > after)
        rows = list(db.scalars(scoped_items(db, g.scope, query).limit(limit + 1)))
        items = [as_record(item, today) for item in rows[:limit]]
    return jsonify(roadmaps=items, next=next_cursor(CURSOR_SALT, filters, rows, limit))


def _item(db, ref: str) -> RoadmapItem:
    item = visible_item(db, g.scope, parse_ref(ref))
    if item is None:
        raise ApiError(404, NOT_FOUND)
    return item


def item_detail(db, item: RoadmapItem) -> dict:
    """The item with its history (oldest first), its meetings and the alerts about it (references and states)."""
    zone = runtime().settings.timezone
    out = as_record(item, local_today(zone))
    # Like an alert's notes and the staff who took it: free text and names are not for the observer.
    full = g.scope.reads_bodies
    out["history"] = [
        {
            "at": c.created_at.isoformat(),
            "status": c.status,
            "previous": c.previous,
            "note": c.note if full else None,
            "actor": c.actor if full else None,
        }
        for c in item.history
    ]
    meetings = db.scalars(
        scoped_meetings(db, g.scope, select(Meeting).where(Meeting.id.in_([m.id for m in item.meetings])))
    )
    out["meetings"] = [
        {"ref": m.id, "at": local_text(m.starts_at, zone), "place": m.place, "status": m.status}
        for m in sorted(meetings, key=lambda m: m.starts_at)
    ]
    out["alerts"] = [
        {"ref": a.id, "status": a.status, "severity": a.severity, "created_at": a.created_at.isoformat()}
        for a in alerts_about(db, item, scoped_alerts(db, g.scope))
    ]
    return out


@api.get("/roadmaps/<ref>")
def show_roadmap(ref: str):
    """One item (`R12` or `12`) with `history`, `meetings` and `alerts`."""
    with runtime().db.transaction() as db:
        return jsonify(item_detail(db, _item(db, ref)))


@api.post("/roadmaps/<ref>/status")
def set_roadmap_status(ref: str):
    """Move an item: `{"status", "note"}`; 422 for an unknown status, 409 for its current one."""
    require_writer()
    body = json_body()
    status, note = body.get("status"), body.get("note")
    if not isinstance(status, str):
        raise ApiError(422, f"status is one of {', '.join(statuses())}", "unknown_status")
    if note is not None and not isinstance(note, str):
        raise ApiError(422, "note is a text or null")
    with runtime().db.transaction() as db:
        item = _item(db, ref)
        desk.change_status(db, g.scope, item, status, note)
        out = item_detail(db, item)
    return jsonify(out)


ITEM = {
    "type": "object",
    "required": ["ref", "district", "commune", "service", "commitment", "status", "overdue"],
    "properties": {
        "ref": {"type": "string", "description": "R followed by the item's number, e.g. R12"},
        "district": {"type": "string"},
        "commune": {"type": "string"},
        "village": {"type": ["string", "null"]},
        "service": {
            "type": "string",
            "enum": ["school", "health", "security", "administration", "justice", "water", "market", "other"],
        },  # fmt: skip
        "commitment": {"type": "string"},
        "responsible": {"type": ["string", "null"]},
        "due": {"type": ["string", "null"], "format": "date"},
        "status": {"type": "string", "enum": statuses()},
        "overdue": {"type": "boolean", "description": "due date before today (local) and not done"},
    },
}
DETAIL = {
    "allOf": [
        _ref("Roadmap"),
        {
            "type": "object",
            "properties": {
                "history": {
                    "type": "array",
                    "items": {"type": "object"},
                    "description": "at, status, previous, note, actor (a staff email, cli or import), oldest first",
                },  # fmt: skip
                "meetings": {"type": "array", "items": {"type": "object"}, "description": "ref, at, place, status"},
                "alerts": {
                    "type": "array",
                    "items": {"type": "object"},
                    "description": "service disruptions in "
                    "the item's place: ref, status, severity, created_at, newest first",
                },  # fmt: skip
            },
        },
    ]
}
STATUS_BODY = {
    "type": "object",
    "required": ["status"],
    "properties": {"status": {"type": "string", "enum": statuses()}, "note": {"type": ["string", "null"]}},
}
REF = {"name": "ref", "in": "path", "required": True, "schema": {"type": "string", "pattern": "^#?[Rr]?[0-9]+$"}}
UNAUTHORIZED = _error("no token, a bad or revoked token, a disabled account")
NOT_FOUND_ERROR = _error("unknown item, or one outside the caller's scope (the same answer)")

document(
    {
        "/api/v1/roadmaps": {
            "get": {
                "summary": "Roadmap items of the caller's scope, by reference",
                "parameters": [
                    _query("district", {"type": "string"}, "district code or name"),
                    _query("status", {"type": "string", "enum": statuses()}, "one status"),
                    _query("overdue", {"type": "string", "enum": ["0", "1"]}, "1: only the overdue items"),
                    _query("limit", {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}, "page size"),
                    _query("cursor", {"type": "string"}, "the `next` of the previous page"),
                ],
                "responses": {
                    "200": _json(_ref("RoadmapPage"), "a page"),
                    "400": _error("a cursor the API did not give (bad_cursor)"),
                    "401": UNAUTHORIZED,
                    "422": _error("unknown district or status, a bad overdue or limit"),
                },
            }
        },
        "/api/v1/roadmaps/{ref}": {
            "get": {
                "summary": "One roadmap item with its history, meetings and alerts",
                "parameters": [REF],
                "responses": {"200": _json(DETAIL, "the item"), "401": UNAUTHORIZED, "404": NOT_FOUND_ERROR},
            }
        },
        "/api/v1/roadmaps/{ref}/status": {
            "post": {
                "summary": "Move an item to another status (admin, its region's coordinator, its district's "
                "facilitators; audited)",
                "parameters": [REF],
                "requestBody": _body(STATUS_BODY),
                "responses": {
                    "200": _json(DETAIL, "the item as it is now"),
                    "400": _error("malformed JSON"),
                    "401": UNAUTHORIZED,
                    "403": _error("a role that may not change this roadmap; a cookie write without X-CSRFToken"),
                    "404": NOT_FOUND_ERROR,
                    "409": _error("the item already has this status (same_status)"),
                    "415": _error("the body is not application/json"),
                    "422": _error("unknown status (unknown_status), a note too long or not a text"),
                },
            }
        },
    },
    {
        "Roadmap": ITEM,
        "RoadmapPage": {
            "type": "object",
            "required": ["roadmaps", "next"],
            "properties": {
                "roadmaps": {"type": "array", "items": _ref("Roadmap")},
                "next": {"type": ["string", "null"]},
            },
        },
    },
)
