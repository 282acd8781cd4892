"""The API's indicators: `GET /api/v1/indicators?district=&weeks=`, the pulse's results of the caller's districts
(DESIGN's results objects; counts null when too_few, so an observer sees nothing more than anyone)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import g, jsonify, request

from gateway.api import ApiError, api, runtime
from gateway.api.openapi import _error, _json, _ref, document
from gateway.pulse.results import pulse_results, results_json
from gateway.pulse.visibility import visible_district, visible_districts

DEFAULT_WEEKS, MAX_WEEKS = 12, 104


def _weeks(text: str | None) -> int:
    if text is None:
        return DEFAULT_WEEKS
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= MAX_WEEKS:
        raise ApiError(422, f"weeks is a whole number from 1 to {MAX_WEEKS}")
    return int(text)


@api.get("/indicators")
def list_indicators():
    """Per commune × service × round of the last `weeks` ISO weeks (12 by default) in the caller's districts."""
    weeks = _weeks(request.args.get("weeks"))
    settings = runtime().settings
    today = datetime.now(ZoneInfo(settings.timezone)).date()
    with runtime().db.transaction() as db:
        if request.args.get("district"):
            district = visible_district(db, g.scope, request.args["district"])
            if district is None:
                raise ApiError(404, f"no district {request.args['district'][:40]!r} in your scope")
            ids = [district.id]
        else:
            ids = [d.id for d in visible_districts(db, g.scope)]
        rows = pulse_results(db, district_ids=ids, weeks=weeks, min_answers=settings.pulse_min_answers, today=today)
    return jsonify(**results_json(rows, "indicators"), next=None)


COUNT = {"type": ["integer", "null"], "minimum": 0, "description": "null when too_few"}
INDICATOR = {
    "type": "object",
    "required": [
        "district",
        "commune",
        "service",
        "round",
        "week",
        "open",
        "closed",
        "partial",
        "no_answer",
        "response_rate",
        "too_few",
    ],  # fmt: skip
    "properties": {
        "district": {"type": "string"},
        "commune": {"type": "string"},
        "service": {
            "type": "string",
            "enum": ["school", "health", "security", "administration", "justice", "water", "market", "other"],
        },  # fmt: skip
        "round": {"type": "integer", "description": "the pulse round (one per commune per sending)"},
        "week": {"type": "string", "pattern": "^[0-9]{4}-W[0-9]{2}$", "description": "ISO week, local time"},
        "open": COUNT,
        "closed": COUNT,
        "partial": COUNT,
        "no_answer": COUNT,
        "response_rate": {
            "type": "number",
            "minimum": 0,
            "maximum": 1,
            "description": "leaders who answered about this service / leaders asked",
        },  # fmt: skip
        "too_few": {"type": "boolean", "description": "fewer than PULSE_MIN_ANSWERS answered: counts withheld"},
    },
}

document(
    {
        "/api/v1/indicators": {
            "get": {
                "summary": "The pulse's results per commune × service × round, in the caller's districts",
                "parameters": [
                    {"name": "district", "in": "query", "required": False, "schema": {"type": "string"}},
                    {
                        "name": "weeks",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_WEEKS, "default": DEFAULT_WEEKS},
                    },
                ],  # fmt: skip
                "responses": {
                    "200": _json(_ref("IndicatorPage"), "every row at once (next is always null)"),
                    "401": _error("no token, a bad or revoked token, a disabled account"),
                    "404": _error("an unknown district, or one outside the caller's scope (the same answer)"),
                    "422": _error("weeks not a whole number from 1 to 104"),
                },
            }
        }
    },
    {
        "Indicator": INDICATOR,
        "IndicatorPage": {
            "type": "object",
            "required": ["indicators", "next"],
            "properties": {"indicators": {"type": "array", "items": _ref("Indicator")}, "next": {"type": "null"}},
        },
    },
)
