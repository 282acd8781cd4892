"""What the commands of the two phone apps (SMS Gateway for Android, CallGate) share: registering our webhooks on
the phone, and a one-line reason when the phone refuses."""

from __future__ import annotations

from dataclasses import dataclass

import click
import httpx

from bots.android import AndroidSmsChannel
from bots.callgate import CallGateChannel
from gateway.cli import audit_cli, open_database
from gateway.core.config import Settings


@dataclass(frozen=True)
class PhoneApp:
    """How the commands name one phone app: its settings in the messages, its audit action and target."""

    url_variable: str  # where the phone is (named when it does not answer)
    credentials: str  # what to check when the phone answers 401
    signing_key_variable: str
    events_path: str  # our webhook route for its events
    audit_action: str
    audit_target: str


def refused(app: PhoneApp, exc: httpx.HTTPStatusError) -> click.ClickException:
    """Why the phone refused a request: wrong credentials, or the status it answered."""
    if exc.response.status_code == 401:
        return click.ClickException(f"the phone refused our credentials: check {app.credentials}")
    return click.ClickException(
        f"the phone answered {exc.response.status_code} (a webhook URL must be https:// or http://127.0.0.1)"
    )


def register_webhooks(app: PhoneApp, settings: Settings, channel: AndroidSmsChannel | CallGateChannel) -> None:
    """Register our webhooks on the phone (idempotent), audit it and say so; one line and no change otherwise."""
    if not settings.public_base_url:
        raise click.ClickException("set PUBLIC_BASE_URL to the address the phone can reach (https://…)")
    if not channel.config.signing_key:
        raise click.ClickException(f"set {app.signing_key_variable} to the phone's webhook signing key first")
    database = open_database(settings)  # before the phone is touched: no change it could not record
    try:
        ids = channel.register_webhooks(settings.public_base_url)
    except httpx.HTTPStatusError as exc:
        raise refused(app, exc) from None
    except httpx.HTTPError as exc:
        raise click.ClickException(f"the phone does not answer at {app.url_variable} ({type(exc).__name__})") from None
    url = f"{settings.public_base_url}{app.events_path}"
    audit_cli(database, app.audit_action, app.audit_target, f"{', '.join(ids)} → {url}")
    click.echo(f"webhooks registered on the phone: {', '.join(ids)} → {url}")
