"""Telegram webhook: updates with the secret-token header, stored once then handled by a job; replays of an
update_id change nothing."""

from __future__ import annotations

import logging

from flask import Blueprint, abort, jsonify, request

from bots.telegram import InvalidUpdate, TelegramChannel, parse_update
from gateway.web.telegram_updates import handle_update
from gateway.webhooks import TOO_DEEP, channel_or_404, runtime

log = logging.getLogger(__name__)
telegram = Blueprint("telegram", __name__)


@telegram.post("/webhooks/telegram")
def updates():
    """One update: verified, stored once, its handling queued; 200 for everything we read, even what we ignore."""
    channel: TelegramChannel = channel_or_404("telegram")
    if not channel.verify(request.headers.get("X-Telegram-Bot-Api-Secret-Token")):
        abort(403, description="missing or invalid X-Telegram-Bot-Api-Secret-Token")
    try:
        data = request.get_json(silent=True)
    except RecursionError:  # thousands of nested brackets exhaust the parser's stack: bad input, not a crash
        abort(400, description=TOO_DEEP)
    if data is None:
        abort(400, description="malformed JSON: expected a Telegram update as application/json")
    try:
        update = parse_update(data)
    except InvalidUpdate as exc:
        abort(400, description=str(exc))
    try:
        handle_update(runtime(), update)
    except Exception as exc:  # noqa: BLE001 - not stored: a non-2xx makes Telegram deliver it again
        log.error("telegram update could not be stored (%s)", type(exc).__name__)
        abort(503, description="storage unavailable, retry later")
    return jsonify(ok=True)
