"""The API's meeting routes: list (signed cursors), create (the CLI's option names), show (invitees, answers,
tally), cancel. Writes go through gateway.meetings.desk in one transaction, which audits them; the same rules as
the CLI, the console and `REUNION` by SMS."""

from __future__ import annotations

from flask import g, jsonify
from sqlalchemy import select

from gateway.api import ApiError, api, json_body, require_writer, runtime
from gateway.api.openapi import _body, _error, _json, _ref, document
from gateway.api.pages import next_cursor, page_request
from gateway.meetings import desk
from gateway.meetings.attendance import answer_counts, invitees, local_text
from gateway.meetings.desk import MeetingRefusal
from gateway.meetings.texts import tally
from gateway.models import Meeting
from gateway.staff.roles import PHONE_ROLES

CURSOR_SALT = "gateway-api-meetings-cursor"
NOT_FOUND = "no such meeting in your scope"


@api.errorhandler(MeetingRefusal)
def meeting_refusal(exc: MeetingRefusal):
    """A refused meeting request: 403, 409 or 422 with its code."""
    return jsonify(error={"code": exc.code, "message": exc.message}), exc.http_status


def meeting_object(meeting: Meeting) -> dict:
    """The DESIGN row: ref, district, at (local `YYYY-MM-DD HH:MM`), place, status, invited, answers."""
    return {
        "ref": meeting.id,
        "district": meeting.district.code,
        "at": local_text(meeting.starts_at, runtime().settings.timezone),
        "starts_at": meeting.starts_at.isoformat(),
        "place": meeting.place,
        "status": meeting.status,
        "invited": len(meeting.invitations),
        "answers": answer_counts(meeting),
    }


@api.get("/meetings")
def list_meetings():
    """Meetings of the caller's scope, newest reference first, a page at a time."""
    filters, limit, before = page_request(CURSOR_SALT)
    with runtime().db.transaction() as db:
        query = select(Meeting).order_by(Meeting.id.desc())
        if before is not None:
            query = query.where(Meeting.id < before)
        rows = list(db.scalars(desk.scoped_meetings(db, g.scope, query).limit(limit + 1)))
        page = rows[:limit]
        items = [meeting_object(m) for m in page]
    return jsonify(meetings=items, next=next_cursor(CURSOR_SALT, filters, rows, limit))


def _meeting(db, ref: str) -> Meeting:
    meeting = desk.visible_meeting(db, g.scope, desk.parse_ref(ref))
    if meeting is None:
        raise ApiError(404, NOT_FOUND)
    return meeting


@api.get("/meetings/<ref>")
def show_meeting(ref: str):
    """One meeting: counts for everyone; invitees and the tally's names for roles that read names (never the
    observer); phone numbers only for roles that see them."""
    with runtime().db.transaction() as db:
        meeting = _meeting(db, ref)
        out = meeting_object(meeting)
        out["agenda"] = meeting.agenda if g.scope.reads_bodies else None
        if g.scope.reads_bodies:
            counts = tally(meeting)
            out["tally"] = {"coming": counts.yes, "not_coming": counts.no, "not_answered": counts.pending}
            out["invitees"] = [_invitee(i) for i in invitees(db, meeting)]
    return jsonify(out)


def _invitee(person) -> dict:
    answer = {"name": person.name, "role": person.role, "commune": person.commune, "village": person.village,
              "channel": person.channel, "delivery": person.delivery, "answer": person.answer,
              "answered_at": person.answered_at.isoformat() if person.answered_at else None}  # fmt: skip
    if g.scope.role in PHONE_ROLES:
        answer["phone"] = person.phone
    return answer


@api.post("/meetings")
def create_meeting():
    """Call a meeting: `{"district", "at": "YYYY-MM-DD HH:MM" (local), "place", "agenda"}` → 201."""
    require_writer()
    body = json_body()
    with runtime().db.transaction() as db:
        checked = desk.check_request(
            db, runtime(), g.scope, body.get("district"), body.get("at"), body.get("place"), body.get("agenda")
        )
        created = desk.create(db, runtime(), g.scope, checked)
    return jsonify(ref=created.meeting_id, invited=created.invitees, segments=created.segments_total), 201


@api.post("/meetings/<ref>/cancel")
def cancel_meeting(ref: str):
    """Cancel a meeting still ahead; those who had not declined are told."""
    require_writer()
    with runtime().db.transaction() as db:
        meeting = _meeting(db, ref)
        told = desk.cancel(db, runtime(), g.scope, meeting)
        out = meeting_object(meeting)
    out["told"] = told
    return jsonify(out)


MEETING = {
    "type": "object",
    "required": ["ref", "district", "at", "place", "status", "invited", "answers"],
    "properties": {
        "ref": {"type": "integer"},
        "district": {"type": "string"},
        "at": {"type": "string", "description": "local time (Africa/Bamako), YYYY-MM-DD HH:MM"},
        "starts_at": {"type": "string", "format": "date-time"},
        "place": {"type": "string"},
        "status": {"type": "string", "enum": ["scheduled", "cancelled"]},
        "invited": {"type": "integer"},
        "answers": {
            "type": "object",
            "properties": {"yes": {"type": "integer"}, "no": {"type": "integer"}, "none": {"type": "integer"}},
        },
        "agenda": {"type": ["string", "null"], "description": "null for an observer"},
        "invitees": {
            "type": "array",
            "items": {"type": "object"},
            "description": "never for an observer; `phone` only for admin and coordinator",
        },  # fmt: skip
        "tally": {"type": "object", "description": "names of yes, no, no answer; never for an observer"},
    },
}
CREATE = {
    "type": "object",
    "required": ["district", "at", "place"],
    "properties": {
        "district": {"type": "string"},
        "at": {"type": "string", "description": "local time, YYYY-MM-DD HH:MM, ahead"},
        "place": {"type": "string", "maxLength": 200},
        "agenda": {"type": ["string", "null"], "maxLength": 1000},
    },
}
CREATED = {
    "type": "object",
    "required": ["ref", "invited", "segments"],
    "properties": {"ref": {"type": "integer"}, "invited": {"type": "integer"}, "segments": {"type": "integer"}},
}
REF = {"name": "ref", "in": "path", "required": True, "schema": {"type": "string", "pattern": "^#?[0-9]+$"}}
UNAUTHORIZED = _error("no token, a bad or revoked token, a disabled account")
NOT_FOUND_ERROR = _error("unknown meeting, or one outside the caller's scope (the same answer)")
FORBIDDEN = _error("an observer or an officer (they do not convene); a cookie write without X-CSRFToken (csrf)")

document(
    {
        "/api/v1/meetings": {
            "get": {
                "summary": "Meetings of the caller's scope, newest first",
                "parameters": [
                    {"name": "limit", "in": "query", "required": False, "schema": {"type": "integer"}},
                    {"name": "cursor", "in": "query", "required": False, "schema": {"type": "string"}},
                ],
                "responses": {
                    "200": _json(_ref("MeetingPage"), "a page"),
                    "400": _error("a cursor the API did not give (bad_cursor)"),
                    "401": UNAUTHORIZED,
                    "422": _error("a bad limit"),
                },
            },
            "post": {
                "summary": "Call a meeting and queue its notice",
                "requestBody": _body(CREATE),
                "responses": {
                    "201": _json(CREATED, "created; segments: SMS segments queued"),
                    "400": _error("malformed JSON"),
                    "401": UNAUTHORIZED,
                    "403": FORBIDDEN,
                    "415": _error("the body is not application/json"),
                    "422": _error("unknown district, district out of scope, bad or past date, no place, too long"),
                },
            },
        },
        "/api/v1/meetings/{ref}": {
            "get": {
                "summary": "One meeting: answers, invitees, tally",
                "parameters": [REF],
                "responses": {
                    "200": _json(_ref("Meeting"), "the meeting"),
                    "401": UNAUTHORIZED,
                    "404": NOT_FOUND_ERROR,
                },
            }
        },
        "/api/v1/meetings/{ref}/cancel": {
            "post": {
                "summary": "Cancel a meeting still ahead (those who had not declined are told)",
                "parameters": [REF],
                "responses": {
                    "200": _json(_ref("Meeting"), "the meeting, cancelled; `told`: how many were told"),
                    "401": UNAUTHORIZED,
                    "403": FORBIDDEN,
                    "404": NOT_FOUND_ERROR,
                    "409": _error("already cancelled, or already held"),
                },
            }
        },
    },
    {
        "Meeting": MEETING,
        "MeetingPage": {
            "type": "object",
            "required": ["meetings", "next"],
            "properties": {
                "meetings": {"type": "array", "items": _ref("Meeting")},
                "next": {"type": ["string", "null"]},
            },
        },
    },
)
