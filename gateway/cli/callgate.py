"""`gateway callgate register-webhooks|status`: the office phone's CallGate app (missed calls)."""

from __future__ import annotations

import click
import httpx
from sqlalchemy import func, select

from bots.callgate import CALL_EVENTS, EVENTS_ROUTE, CallGateChannel, webhook_id
from gateway.cli import cli_settings, open_database, phone_apps
from gateway.messaging.channels import build_channel
from gateway.models import Alert, AlertSource, Direction, Message

CALLGATE = phone_apps.PhoneApp(
    url_variable="CALLGATE_URL",
    credentials="CALLGATE_USER and CALLGATE_PASSWORD",
    signing_key_variable="CALLGATE_SIGNING_KEY",  # never missing: the settings refuse a URL without it
    events_path=EVENTS_ROUTE.path,
    audit_action="callgate_webhooks_register",
    audit_target="callgate phone",
)


@click.group()
def callgate() -> None:
    """The office phone's CallGate app: a leader's missed call asks to be called back."""


def _channel(settings) -> CallGateChannel:
    if not settings.callgate_enabled:
        raise click.ClickException("missed calls are off: set CALLGATE_URL (http://<phone-ip>:8084)")
    return build_channel("callgate", settings)


@callgate.command("register-webhooks")
def register_webhooks() -> None:
    """Register our webhook URL on the phone for ringing, started and ended calls (idempotent)."""
    settings = cli_settings()
    phone_apps.register_webhooks(CALLGATE, settings, _channel(settings))


@callgate.command("status")
def status() -> None:
    """Whether the phone answers and sends us every call event, the last event received, open call-back reports.
    Exits non-zero when a person is needed (phone silent, credentials refused, a webhook missing)."""
    settings = cli_settings()
    channel = _channel(settings)
    database = open_database(settings)
    with database.transaction() as session:
        last = session.scalar(
            select(func.max(Message.created_at)).where(Message.channel == "callgate", Message.direction == Direction.IN)
        )
        waiting = session.scalar(
            select(func.count()).select_from(Alert).where(Alert.source == AlertSource.CALLBACK, Alert.status == "new")
        )
    problems = 0
    try:
        hooks = channel.webhooks()
        click.echo("phone: answers")
        ours = {h.get("event"): h.get("url") for h in hooks if h.get("id") == webhook_id(str(h.get("event")))}
        url = f"{settings.public_base_url}{EVENTS_ROUTE.path}" if settings.public_base_url else None
        for event in CALL_EVENTS:
            if event not in ours:
                problems += 1
                click.echo(f"webhook {event}: missing (run: gateway callgate register-webhooks)")
            elif url and ours[event] != url:
                problems += 1
                click.echo(f"webhook {event}: points elsewhere (run: gateway callgate register-webhooks)")
            else:
                click.echo(f"webhook {event}: registered")
    except httpx.HTTPStatusError as exc:
        problems += 1
        click.echo(str(phone_apps.refused(CALLGATE, exc).message))
    except (httpx.HTTPError, ValueError) as exc:
        problems += 1
        click.echo(f"phone: does not answer ({type(exc).__name__}); missed calls are not seen meanwhile")
    click.echo(f"last call event received: {last.strftime('%Y-%m-%d %H:%M UTC') if last else 'never'}")
    click.echo(f"call-back reports nobody has taken yet: {waiting}")
    if problems:
        raise SystemExit(1)
