"""Twilio webhooks: inbound SMS (stored, handled by a job, answered with empty TwiML) and delivery status
callbacks; both signed."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, abort, request
from twilio.twiml.messaging_response import MessagingResponse

from bots.base import MAX_ROW_ID
from bots.twilio_sms import InvalidRequest, TwilioSmsChannel
from gateway.messaging.delivery import apply_status
from gateway.messaging.inbox import receive_or_spool
from gateway.webhooks import channel_or_404, runtime

log = logging.getLogger(__name__)
twilio = Blueprint("twilio", __name__, url_prefix="/webhooks/twilio")

# Replies go out through the outbox, never in the webhook's answer.
EMPTY_TWIML = str(MessagingResponse())


def _verified_channel() -> TwilioSmsChannel:
    channel: TwilioSmsChannel = channel_or_404("twilio")
    try:
        # The raw query string, exactly as Twilio signed it (percent-encoded; never decoded here).
        query = request.environ.get("QUERY_STRING", "")
        path = request.path + (f"?{query}" if query else "")
        url = channel.signed_url(request.url if not channel.settings.public_base_url else "", path)
    except (ValueError, UnicodeError):  # a hostile Host, X-Forwarded-* or query that no URL can be made of
        abort(403, description="missing or invalid X-Twilio-Signature")
    if not channel.verify(url, request.form, request.headers.get("X-Twilio-Signature")):
        abort(403, description="missing or invalid X-Twilio-Signature")
    return channel


@twilio.post("/sms")
def inbound_sms():
    """An SMS from a leader: verified, stored once per MessageSid, its handling queued; always empty TwiML."""
    channel = _verified_channel()
    try:
        inbound = channel.parse_inbound(request.form)
    except InvalidRequest as exc:
        abort(400, description=str(exc))
    try:
        receive_or_spool(runtime(), inbound)
    except Exception as exc:  # noqa: BLE001 - neither stored nor spooled: ask Twilio to try again
        log.error("inbound SMS could not be stored nor spooled (%s)", type(exc).__name__)
        abort(503, description="storage unavailable, retry later")
    return Response(EMPTY_TWIML, mimetype="application/xml")


@twilio.post("/status")
def status_callback():
    """A delivery report: the message's status moves forward only."""
    channel = _verified_channel()
    mid = request.args.get("mid", "")
    message_id = int(mid) if mid.isascii() and mid.isdigit() and len(mid) <= 10 else None
    if message_id is not None and message_id > MAX_ROW_ID:
        message_id = None  # no such row: ids are 32-bit
    try:
        update = channel.parse_status(request.form, message_id)
    except InvalidRequest as exc:
        abort(400, description=str(exc))
    apply_status(runtime(), channel, update)
    return Response("", status=204)
