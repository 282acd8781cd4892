"""`GET /api/v1/health`: the console's channel health panel as JSON (every role: it holds no identity, no body)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from flask import jsonify

from gateway.api import api, runtime
from gateway.api.openapi import TIMESTAMP, _error, _json, _ref, document
from gateway.messaging.health import gather


def _plain(value):
    """Datetimes as ISO 8601 strings, through dicts and lists."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


@api.get("/health")
def channel_health():
    """Each configured channel reachable or not, last in and out, the backlog per queue, the phone's pace."""
    health = gather(runtime())
    body = _plain(asdict(health))
    if health.pace is not None:
        body["pace"].update(remaining=health.pace.remaining, remaining_urgent=health.pace.remaining_urgent)
    return jsonify(body)


COUNT = {"type": "integer", "minimum": 0}
document(
    {
        "/api/v1/health": {
            "get": {
                "summary": "Channel health: reachable or not (from the last sends), last in/out, backlog, pace",
                "responses": {
                    "200": _json(_ref("Health"), "the health of the configured channels"),
                    "401": _error("no token, a bad or revoked token, a disabled account"),
                },
            }
        }
    },
    {
        "Health": {
            "type": "object",
            "required": ["channels", "queues", "pace", "checked_at"],
            "properties": {
                "channels": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["code", "state", "queued"],
                        "properties": {
                            "code": {"type": "string", "enum": ["twilio", "telegram", "android", "console"]},
                            "state": {"type": "string", "enum": ["reachable", "unreachable", "unknown"]},
                            "answered_at": TIMESTAMP,
                            "failed_at": TIMESTAMP,
                            "failure_code": {"type": ["string", "null"]},
                            "failures_in_a_row": COUNT,
                            "last_in_at": TIMESTAMP,
                            "last_out_at": TIMESTAMP,
                            "queued": COUNT,
                        },
                    },
                },
                "queues": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["name", "queued_rows", "jobs_waiting", "jobs_scheduled"],
                        "properties": {
                            "name": {"type": "string", "enum": ["urgent", "bulk"]},
                            "queued_rows": COUNT,
                            "jobs_waiting": COUNT,
                            "jobs_scheduled": COUNT,
                        },
                    },
                },
                "pace": {
                    "type": ["object", "null"],
                    "description": "the Android phone's SMS parts in the sliding minute; null without the phone",
                    "properties": {
                        "limit": COUNT,
                        "headroom": COUNT,
                        "used": COUNT,
                        "remaining": COUNT,
                        "remaining_urgent": COUNT,
                    },
                },
                "checked_at": {"type": "string", "format": "date-time"},
            },
        }
    },
)
