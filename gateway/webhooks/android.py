"""Webhooks from the local-SIM phone: HMAC-signed events; inbound SMS stored once (handled by a job), statuses
forward only."""

from __future__ import annotations

import json
import logging

from flask import Blueprint, abort, jsonify, request

from bots.android import AndroidSmsChannel, InvalidEvent
from gateway.messaging.delivery import apply_status
from gateway.messaging.inbox import receive_or_spool
from gateway.webhooks import TOO_DEEP, channel_or_404, runtime

log = logging.getLogger(__name__)
android = Blueprint("android", __name__)


@android.post("/webhooks/android")
def events():
    """One event from the phone: verified on the raw body before anything is parsed."""
    channel: AndroidSmsChannel = channel_or_404("android")
    raw = request.get_data(cache=True)
    if not channel.verify(raw, request.headers.get("X-Signature"), request.headers.get("X-Timestamp")):
        abort(403, description="missing or invalid X-Signature, or X-Timestamp outside ±5 minutes")
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        abort(400, description="malformed JSON: expected an SMS Gateway event")
    except RecursionError:  # thousands of nested brackets exhaust the parser's stack: bad input, not a crash
        abort(400, description=TOO_DEEP)
    try:
        event = channel.parse_event(data)
    except InvalidEvent as exc:
        abort(400, description=str(exc))
    try:
        if event.inbound is not None:
            receive_or_spool(runtime(), event.inbound)
        elif event.status is not None:
            apply_status(runtime(), channel, event.status)
    except Exception as exc:  # noqa: BLE001 - not stored: a non-2xx makes the phone send it again later
        log.error("android event could not be stored (%s)", type(exc).__name__)
        abort(503, description="storage unavailable, retry later")
    return jsonify(ok=True, event=event.event)
