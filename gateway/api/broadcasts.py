"""The API's broadcasts: `POST /api/v1/broadcasts` sends a broadcast to a selection of the caller's scope (the
console's rules: gateway.broadcasts), `GET /api/v1/broadcasts/<id>` follows its delivery, `GET /api/v1/broadcasts`
lists the scope's broadcasts and meeting sendings, newest first, with a signed cursor."""

from __future__ import annotations

import json

from flask import g, jsonify
from sqlalchemy import select

from gateway.api import ApiError, api, json_body, require_writer, runtime
from gateway.api.openapi import document
from gateway.api.pages import DEFAULT_LIMIT, MAX_LIMIT, next_cursor, page_request
from gateway.broadcasts import service
from gateway.broadcasts.errors import BroadcastError
from gateway.messaging.deliveries import delivery_counts
from gateway.models import Broadcast, District
from gateway.staff.roles import CONVENER_ROLES
from gateway.staff.scope import scoped_broadcasts, visible_broadcast

NOT_FOUND = "no such broadcast in your scope"
MAX_ID = 2**31 - 1
CURSOR_SALT = "gateway-api-broadcasts-cursor"


@api.errorhandler(BroadcastError)
def broadcast_refusal(exc: BroadcastError):
    """A refused broadcast (nothing written): 403 out of scope or role, 422 bad selection or text."""
    body = jsonify(error={"code": exc.code, "message": exc.message})
    return body, exc.http_status


def _number(text: str) -> int:
    if not text.isascii() or not text.isdigit() or int(text) > MAX_ID:
        raise ApiError(404, NOT_FOUND)
    return int(text)


def broadcast_object(db, broadcast: Broadcast, with_status: bool = True) -> dict:
    """A broadcast as the API shows it (its text only for roles that read bodies)."""
    district = db.get(District, broadcast.district_id) if broadcast.district_id else None
    try:
        filters = json.loads(broadcast.filters) if broadcast.filters else None
    except ValueError:
        filters = None
    out = {
        "id": broadcast.id,
        "kind": broadcast.kind,
        "meeting": broadcast.meeting_id,
        "district": district.code if district else None,
        "region": broadcast.region,
        "filters": filters,
        "recipients": broadcast.recipients,
        "segments": broadcast.segments,
        "created_at": broadcast.created_at.isoformat(),
        "text": broadcast.text if g.scope.reads_bodies else None,
    }
    if with_status:
        counts = delivery_counts(db, [broadcast.id])
        out["status"] = counts.as_status()
        out["failures"] = dict(counts.failures)
    return out


@api.post("/broadcasts")
def send_broadcast():
    """Send `{"text", "district", "region", "commune", "role", "language"}` to the selection: 202 with its id, the
    recipients and the SMS segments queued (the same numbers as the console's preview)."""
    require_writer()
    if g.scope.role not in CONVENER_ROLES:
        raise BroadcastError("forbidden")
    body = json_body()
    rt = runtime()
    with rt.db.transaction() as db:
        broadcast, _ = service.send(db, rt, g.scope, body)
        out = {"id": broadcast.id, "recipients": broadcast.recipients, "segments": broadcast.segments}
    return jsonify(out), 202


@api.get("/broadcasts/<broadcast_id>")
def show_broadcast(broadcast_id: str):
    """One broadcast of the scope with its delivery counts (`status`) and failures by reason."""
    with runtime().db.sessions() as db:
        broadcast = visible_broadcast(db, g.scope, _number(broadcast_id))
        if broadcast is None:
            raise ApiError(404, NOT_FOUND)
        return jsonify(broadcast_object(db, broadcast))


@api.get("/broadcasts")
def list_broadcasts():
    """The scope's broadcasts (and meeting sendings), newest first, without delivery counts (see `/<id>`)."""
    filters, limit, before = page_request(CURSOR_SALT)
    query = select(Broadcast).order_by(Broadcast.id.desc())
    if before is not None:
        query = query.where(Broadcast.id < before)
    with runtime().db.sessions() as db:
        rows = list(db.scalars(scoped_broadcasts(db, g.scope, query).limit(limit + 1)))
        items = [broadcast_object(db, b, with_status=False) for b in rows[:limit]]
    return jsonify(broadcasts=items, next=next_cursor(CURSOR_SALT, filters, rows, limit))


def _schema(name: str) -> dict:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}}


def _schema_error(description: str) -> dict:
    return {"description": description, "content": _schema("Error")}


def _json(name: str, description: str) -> dict:
    return {"description": description, "content": _schema(name)}


_TEXT_OR_NULL = {"type": ["string", "null"]}
ID = {"name": "broadcast_id", "in": "path", "required": True, "schema": {"type": "string", "pattern": "^[0-9]+$"}}
UNAUTHORIZED = _schema_error("no token, a bad or revoked token, a disabled account")
document(
    {
        "/api/v1/broadcasts": {
            "get": {
                "summary": "Broadcasts and meeting sendings of the caller's scope, newest first",
                "parameters": [
                    {
                        "name": "limit",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
                    },
                    {"name": "cursor", "in": "query", "required": False, "schema": {"type": "string"}},
                ],  # fmt: skip
                "responses": {
                    "200": _json("BroadcastPage", "a page"),
                    "400": _schema_error("a cursor the API did not give (code bad_cursor)"),
                    "401": UNAUTHORIZED,
                    "422": _schema_error("a limit out of range"),
                },
            },
            "post": {
                "summary": "Send a broadcast to a selection of the caller's scope (bulk queue; quiet hours apply)",
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/BroadcastRequest"}}},
                },  # fmt: skip
                "responses": {
                    "202": _json("BroadcastQueued", "queued"),
                    "400": _schema_error("malformed JSON (code malformed_json)"),
                    "401": UNAUTHORIZED,
                    "403": _schema_error("observer or officer (forbidden); a place outside the scope (out_of_scope)"),
                    "413": _schema_error("body over 64 KiB"),
                    "415": _schema_error("the body is not application/json"),
                    "422": _schema_error(
                        "empty_text, too_long, no_recipients, unknown_district/region/commune/role/language, bad_field"
                    ),  # fmt: skip
                },
            },
        },
        "/api/v1/broadcasts/{broadcast_id}": {
            "get": {
                "summary": "One broadcast with its delivery counts and failures by reason",
                "parameters": [ID],
                "responses": {
                    "200": _json("BroadcastDetail", "the broadcast"),
                    "401": UNAUTHORIZED,
                    "404": _schema_error("unknown broadcast, or one outside the caller's scope (the same answer)"),
                },
            }
        },
    },
    {
        "BroadcastRequest": {
            "type": "object",
            "required": ["text"],
            "properties": {
                "text": {"type": "string", "description": "at most 3 SMS segments as sent (459 GSM-7 characters)"},
                "district": _TEXT_OR_NULL,
                "region": _TEXT_OR_NULL,
                "commune": _TEXT_OR_NULL,
                "role": {
                    "type": ["string", "null"],
                    "enum": ["leader", "facilitator", "officer", "all", None],
                    "default": "leader",
                },
                "language": {"type": ["string", "null"], "enum": ["fr", "en", "bm", "ff", None]},
            },
        },  # fmt: skip
        "BroadcastQueued": {
            "type": "object",
            "required": ["id", "recipients", "segments"],
            "properties": {
                "id": {"type": "integer"},
                "recipients": {"type": "integer"},
                "segments": {"type": "integer"},
            },
        },  # fmt: skip
        "Broadcast": {
            "type": "object",
            "required": ["id", "kind", "recipients", "segments", "created_at"],
            "properties": {
                "id": {"type": "integer"},
                "kind": {
                    "type": "string",
                    "enum": ["broadcast", "meeting_notice", "meeting_moved", "meeting_cancelled", "last_call"],
                },  # fmt: skip
                "meeting": {"type": ["integer", "null"]},
                "district": _TEXT_OR_NULL,
                "region": _TEXT_OR_NULL,
                "filters": {"type": ["object", "null"]},
                "recipients": {"type": "integer"},
                "segments": {"type": "integer"},
                "created_at": {"type": "string", "format": "date-time"},
                "text": {"type": ["string", "null"], "description": "always null for an observer"},
            },
        },
        "BroadcastDetail": {
            "allOf": [
                {"$ref": "#/components/schemas/Broadcast"},
                {
                    "type": "object",
                    "required": ["status", "failures"],
                    "properties": {
                        "status": {
                            "type": "object",
                            "required": ["queued", "sent", "delivered", "failed"],
                            "properties": {k: {"type": "integer"} for k in ("queued", "sent", "delivered", "failed")},
                        },
                        "failures": {
                            "type": "object",
                            "additionalProperties": {"type": "integer"},
                            "description": "failed messages by reason (unsubscribed, blocked, …)",
                        },
                    },
                },  # fmt: skip
            ]
        },
        "BroadcastPage": {
            "type": "object",
            "required": ["broadcasts", "next"],
            "properties": {
                "broadcasts": {"type": "array", "items": {"$ref": "#/components/schemas/Broadcast"}},
                "next": {"type": ["string", "null"]},
            },
        },
    },
)
