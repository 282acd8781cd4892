"""Provider webhooks: one blueprint module per provider, registered by `register`."""

from __future__ import annotations

from flask import Flask, abort, current_app

from gateway.core.runtime import Runtime

TOO_DEEP = "malformed JSON: nested too deeply"


def runtime() -> Runtime:
    """The runtime of the running app."""
    return current_app.extensions["gateway"]


def channel_or_404(code: str):
    """The configured channel, or 404 with a reason when it is off."""
    channel = runtime().channels.get(code)
    if channel is None:
        abort(404, description=f"the {code} channel is not configured on this gateway")
    return channel


def register(app: Flask) -> None:
    """Register every provider's webhook blueprint."""
    from gateway.webhooks.android import android
    from gateway.webhooks.telegram import telegram
    from gateway.webhooks.twilio import twilio

    app.register_blueprint(twilio)
    app.register_blueprint(telegram)
    app.register_blueprint(android)
