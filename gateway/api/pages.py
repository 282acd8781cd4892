"""Cursor pagination of the API's lists (alerts, meetings, contacts, broadcasts), one rule for all: `limit` from 1
to MAX_LIMIT (DEFAULT_LIMIT when not given), and a signed `next` cursor that carries the first page's filters, its
limit and the last id already listed. A later `limit` may change the page size; the filters stay the cursor's."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeSerializer

from gateway.api import ApiError

DEFAULT_LIMIT, MAX_LIMIT = 50, 200
BAD_CURSOR = "this cursor is not one the API gave: start again without it"


def _serializer(salt: str) -> URLSafeSerializer:
    # Signed with the app's secret: a client cannot forge a position or change the filters a cursor carries; the
    # salt (one per list) keeps a cursor of one list from being used on another.
    return URLSafeSerializer(current_app.secret_key, salt=salt)


def limit_of(text: str | None) -> int:
    """The page size asked for (DEFAULT_LIMIT when none): 422 unless a whole number from 1 to MAX_LIMIT."""
    if text is None:
        return DEFAULT_LIMIT
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= MAX_LIMIT:
        raise ApiError(422, f"limit is a whole number from 1 to {MAX_LIMIT}")
    return int(text)


def page_request(salt: str, read_filters: Callable[[], dict] = dict) -> tuple[dict, int, int | None]:
    """(filters, limit, the last id already listed): from the query string (filters read by `read_filters`) on
    the first page, from the cursor on the next ones (other parameters are then ignored, except a new `limit`)."""
    cursor = request.args.get("cursor")
    if cursor is None:
        return read_filters(), limit_of(request.args.get("limit")), None
    try:
        state = _serializer(salt).loads(cursor)
        filters, last, limit = dict(state["f"]), int(state["b"]), int(state["l"])
    except (BadSignature, KeyError, TypeError, ValueError):
        raise ApiError(400, BAD_CURSOR, "bad_cursor") from None
    if "limit" in request.args:
        limit = limit_of(request.args["limit"])
    return filters, limit, last


def next_cursor(salt: str, filters: dict, rows: Sequence, limit: int) -> str | None:
    """The cursor of the page after this one, or None on the last page; `rows` were fetched with `limit + 1` (one
    more than the page shows, to know whether another page follows)."""
    if len(rows) <= limit:
        return None
    return _serializer(salt).dumps({"f": filters, "b": rows[limit - 1].id, "l": limit})
