"""Provider webhooks: one generic view serves every channel's routes; each channel verifies and parses its requests
and says how to answer, the view stores what they carried."""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Blueprint, Flask, Response, abort, current_app, jsonify, request

from bots.base import Channel, InvalidRequest, Route, WebhookEvents, WebhookRequest
from gateway.core.runtime import Runtime
from gateway.messaging.channels import CHANNELS
from gateway.messaging.delivery import apply_status
from gateway.messaging.receiving import on_database, receive_or_spool
from gateway.observability.metrics import count_inbound, count_webhook
from gateway.web.telegram_updates import queue_callback_answer

log = logging.getLogger(__name__)
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def runtime() -> Runtime:
    """The runtime of the running app."""
    return current_app.extensions["gateway"]


def channel_or_404(code: str) -> Channel:
    """The configured channel, or 404 with a reason when it is off."""
    channel = runtime().channels.get(code)
    if channel is None:
        abort(404, description=f"the {code} channel is not configured on this gateway")
    return channel


def _or_none(make: Callable[[], str]) -> str | None:
    try:
        return make()
    except (ValueError, UnicodeError):  # a hostile Host, X-Forwarded-* or query that no URL can be made of
        return None


def webhook_request(route: Route) -> WebhookRequest:
    """The Flask request as a channel sees it; the body is read only if the channel asks for it (then kept, exactly
    as it was signed)."""
    query = request.environ.get("QUERY_STRING", "")  # raw, exactly as signed (percent-encoded; never decoded here)
    return WebhookRequest(
        route=route,
        url=_or_none(lambda: request.url),
        path_and_query=_or_none(lambda: request.path + (f"?{query}" if query else "")),
        headers=request.headers,
        args=request.args,
        mimetype=request.mimetype,
        read_body=lambda: request.get_data(cache=True),
        read_form=lambda: request.form if request.mimetype in FORM_TYPES else {},
    )


def store(runtime: Runtime, channel: Channel, events: WebhookEvents) -> None:
    """Messages stored once each (or spooled) with their handling queued; delivery reports applied forward only."""
    for message in events.messages:
        receipt = receive_or_spool(runtime, message, address_kind=channel.address_kind.value)
        count_inbound(channel.code, None if receipt is None else receipt.duplicate)
        if receipt is None or not receipt.duplicate:  # a replayed button press was answered the first time
            queue_callback_answer(runtime, message)
    for status in events.statuses:
        # Within the store's deadline too: a report waiting on a hung database would hold a web thread for ever.
        on_database(runtime, lambda status=status: apply_status(runtime, channel, status))


def receive(code: str, route: Route):
    """Any channel's webhook: verified, parsed, stored, then answered the way the channel says."""
    channel = channel_or_404(code)
    incoming = webhook_request(route)
    if not channel.verify(incoming):
        abort(403, description=channel.refusal)
    try:
        events = channel.parse(incoming)
    except InvalidRequest as exc:
        abort(400, description=str(exc))
    try:
        store(runtime(), channel, events)
    except Exception as exc:  # noqa: BLE001 - neither stored nor spooled: a non-2xx makes the provider try again
        log.error("%s webhook could not be stored (%s)", code, type(exc).__name__)
        abort(503, description="storage unavailable, retry later")
    answer = channel.answer(incoming, events)
    if answer.json is not None:
        return jsonify(answer.json), answer.status
    return Response(answer.body, status=answer.status, mimetype=answer.mimetype)


def _view(code: str, route: Route) -> Callable:
    def view():
        return receive(code, route)

    view.__doc__ = f"POST {route.path}: the {code} channel's webhook."
    view.metric_labels = (code, route.name)
    if route.max_body_bytes:
        view.max_body_bytes, view.signed_webhook = route.max_body_bytes, True
    return view


def count_answer(response: Response) -> Response:
    """Count the webhook's answer, refusals and errors included, by channel, route and status (no I/O)."""
    labels = getattr(current_app.view_functions.get(request.endpoint), "metric_labels", None)
    if labels is not None:
        count_webhook(*labels, response.status_code)
    return response


def webhooks_blueprint() -> Blueprint:
    """Every registered channel's routes, with the URLs the channels declare, all served by `receive`."""
    blueprint = Blueprint("webhooks", __name__)
    blueprint.after_request(count_answer)
    for code, entry in CHANNELS.items():
        for route in entry.kind.routes:
            endpoint = f"{code}_{route.name}"
            blueprint.add_url_rule(route.path, endpoint=endpoint, view_func=_view(code, route), methods=["POST"])
    return blueprint


def register(app: Flask) -> None:
    """Register the webhook routes of every channel."""
    app.register_blueprint(webhooks_blueprint())
