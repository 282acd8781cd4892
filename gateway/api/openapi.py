"""The API's OpenAPI 3.1 document, written by hand and served at /api/v1/openapi.json; a test checks it against
the routes the app really has (tests/gateway/api/test_openapi.py)."""

from __future__ import annotations

from flask import jsonify

from bots.base import MediaKind
from gateway.api import api

MEDIA_KINDS = tuple(kind.value for kind in MediaKind)


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _error(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": _ref("Error")}}}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _body(schema: dict) -> dict:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


REF = {"name": "ref", "in": "path", "required": True, "schema": {"type": "string", "pattern": "^#?[0-9]+$"}}
COMMON_ERRORS = {
    "401": _error("no token, a bad or revoked token, a disabled account"),
    "404": _error("unknown alert, or one outside the caller's scope (the same answer)"),
}
WRITE_ERRORS = {
    **COMMON_ERRORS,
    "400": _error("malformed JSON (code malformed_json)"),
    "403": _error("the role may not do this (always for an observer); a cookie write without X-CSRFToken (csrf)"),
    "409": _error("the move is not allowed from the alert's status now (or another staff member was faster)"),
    "413": _error("body over 64 KiB"),
    "415": _error("the body is not application/json"),
    "422": _error("a field is missing or invalid"),
}

TIMESTAMP = {"type": ["string", "null"], "format": "date-time"}
SCHEMAS = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
            }
        },
    },
    "Alert": {
        "type": "object",
        "required": ["ref", "district", "category", "severity", "status", "channel", "created_at"],
        "properties": {
            "ref": {"type": "integer"},
            "district": {"type": ["string", "null"]},
            "commune": {"type": ["string", "null"]},
            "village": {"type": ["string", "null"]},
            "category": {"type": ["string", "null"], "description": "null: an untriaged report"},
            "severity": {"type": ["integer", "null"], "enum": [1, 2, 3, None]},
            "status": {
                "type": "string",
                "enum": ["new", "incomplete", "acknowledged", "verified", "false_alarm", "resolved"],
            },  # fmt: skip
            "channel": {"type": "string"},
            "created_at": {"type": "string", "format": "date-time"},
            "acknowledged_at": TIMESTAMP,
            "resolved_at": TIMESTAMP,
            "description": {"type": ["string", "null"], "description": "always null for an observer"},
            "media": {
                "type": "array",
                "items": {"type": "string", "enum": list(MEDIA_KINDS)},
                "description": "kinds of the files sent with it (photo, voice…); the files are in the console",
            },
        },
    },
    "Event": {
        "type": "object",
        "required": ["at", "kind"],
        "description": "Other fields depend on the kind; texts (text, note) and names (by, officer) are never "
        "given to an observer.",
        "properties": {
            "at": {"type": "string", "format": "date-time"},
            "kind": {
                "type": "string",
                "enum": [
                    "created",
                    "message",
                    "triage",
                    "status",
                    "note",
                    "reply",
                    "followup_asked",
                    "followup_answered",
                    "paged",
                    "acknowledged",
                    "closed",
                ],
            },  # fmt: skip
            "by": {"type": ["string", "null"]},
            "text": {"type": ["string", "null"]},
            "channel": {"type": "string"},
            "status": {"type": "string"},
            "note": {"type": ["string", "null"]},
            "category": {"type": ["string", "null"]},
            "severity": {"type": ["integer", "null"]},
            "level": {"type": "integer"},
            "purpose": {"type": "string"},
            "officer": {"type": "string"},
            "delivery": {"type": ["string", "null"]},
            "delivered": {"type": "boolean"},
            "assessment": {"type": ["string", "null"]},
        },
    },
    "AlertDetail": {
        "allOf": [
            _ref("Alert"),
            {
                "type": "object",
                "required": ["timeline"],
                "properties": {"timeline": {"type": "array", "items": _ref("Event")}},
            },
        ]
    },
    "AlertPage": {
        "type": "object",
        "required": ["alerts", "next"],
        "properties": {
            "alerts": {"type": "array", "items": _ref("Alert")},
            "next": {"type": ["string", "null"], "description": "pass as ?cursor= for the next page"},
        },
    },
}

TRIAGE = {
    "type": "object",
    "required": ["category"],
    "properties": {"category": {"type": "string"}, "severity": {"type": ["integer", "null"], "enum": [1, 2, 3, None]}},
}
STATUS = {
    "type": "object",
    "required": ["status"],
    "properties": {
        "status": {"type": "string", "enum": ["acknowledged", "verified", "false_alarm", "resolved"]},
        "note": {"type": ["string", "null"], "maxLength": 2000},
    },
}
REPLY = {"type": "object", "required": ["text"], "properties": {"text": {"type": "string", "maxLength": 459}}}
REVEAL = {"type": "object", "required": ["reason"], "properties": {"reason": {"type": "string", "maxLength": 500}}}
REVEALED = {
    "type": "object",
    "required": ["ref", "reporter"],
    "properties": {
        "ref": {"type": "integer"},
        "reporter": {
            "type": ["object", "null"],
            "description": "null for a report from a number outside the directory",
            "required": ["name", "phone"],
            "properties": {"name": {"type": "string"}, "phone": {"type": "string"}},
        },
    },
}
REPLY_QUEUED = {
    "type": "object",
    "required": ["message_id", "segments"],
    "properties": {"message_id": {"type": "integer"}, "segments": {"type": "integer"}},
}


def _query(name: str, schema: dict, description: str) -> dict:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


LIST_PARAMETERS = [
    _query("district", {"type": "string"}, "district code, e.g. KORO"),
    _query("status", {"type": "string"}, "one status"),
    _query("severity", {"type": "integer", "enum": [1, 2, 3]}, "one severity"),
    _query("since", {"type": "string"}, "YYYY-MM-DD or an ISO date and time (UTC when no zone)"),
    _query("limit", {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}, "page size"),
    _query("cursor", {"type": "string"}, "the `next` of the previous page; it carries its filters and limit"),
]


UPDATED = {"200": _json(_ref("Alert"), "the alert as it is now")}


def _write(summary: str, schema: dict, answer: dict) -> dict:
    return {"post": {"summary": summary, "parameters": [REF], "requestBody": _body(schema),
                     "responses": {**answer, **WRITE_ERRORS}}}  # fmt: skip


DOCUMENT = {
    "openapi": "3.1.0",
    "info": {
        "title": "Community gateway staff API",
        "version": "1",
        "description": 'Records of the caller\'s scope. Every error is {"error": {"code", "message"}}.',
    },
    "servers": [{"url": "/"}],
    "security": [{"bearer": []}],
    "components": {
        "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer", "description": "a token from `gateway users token EMAIL`"}
        },
        "schemas": SCHEMAS,
    },
    "paths": {
        "/api/v1/openapi.json": {
            "get": {"summary": "This document", "security": [], "responses": {"200": {"description": "OpenAPI"}}}
        },
        "/api/v1/alerts": {
            "get": {
                "summary": "Alerts and untriaged reports of the caller's scope, newest first",
                "parameters": LIST_PARAMETERS,
                "responses": {
                    "200": _json(_ref("AlertPage"), "a page"),
                    "400": _error("a cursor the API did not give (code bad_cursor)"),
                    "401": COMMON_ERRORS["401"],
                    "422": _error("a filter that cannot match (unknown district, status, severity, date, limit)"),
                },
            }
        },
        "/api/v1/alerts/{ref}": {
            "get": {
                "summary": "One alert with its timeline",
                "parameters": [REF],
                "responses": {"200": _json(_ref("AlertDetail"), "the alert"), **COMMON_ERRORS},
            }
        },
        "/api/v1/alerts/{ref}/triage": _write("Classify an untriaged report", TRIAGE, UPDATED),
        "/api/v1/alerts/{ref}/status": _write("Take, verify, resolve, dismiss", STATUS, UPDATED),
        "/api/v1/alerts/{ref}/reply": _write("Reply to the reporter", REPLY, {"202": _json(REPLY_QUEUED, "queued")}),
        "/api/v1/alerts/{ref}/reveal": {
            "post": {
                "summary": "The reporter's identity, for admin or the region's coordinator, with a reason (audited)",
                "parameters": [REF],
                "requestBody": _body(REVEAL),
                "responses": {
                    "200": _json(REVEALED, "the reporter; the reveal is in the audit log"),
                    **{code: error for code, error in WRITE_ERRORS.items() if code != "409"},
                    "403": _error("a role that may not see who reported; a cookie call without X-CSRFToken (csrf)"),
                    "422": _error("no reason, or one over 500 characters"),
                },
            }
        },
    },
}


def document(paths: dict, schemas: dict | None = None) -> None:
    """Add a part of the API's paths (and their schemas) to the document: each API module calls this for its
    routes, next to them, so that the document and the routes change together."""
    DOCUMENT["paths"].update(paths)
    SCHEMAS.update(schemas or {})


@api.get("/openapi.json")
def openapi_document():
    """The OpenAPI document (public: it describes the API and holds no record)."""
    return jsonify(DOCUMENT)
