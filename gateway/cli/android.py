"""`gateway android register-webhooks|status|recover`: the local-SIM phone."""

from __future__ import annotations

import click
import httpx
from sqlalchemy import func, select

from bots.android import EVENTS_ROUTE, AndroidSmsChannel
from bots.android_inbox import RefreshFailed
from gateway.cli import audit_cli, cli_settings, open_database, phone_apps
from gateway.core.runtime import build_runtime
from gateway.messaging.android_recovery import parse_since, recover
from gateway.messaging.channels import build_channel
from gateway.models import Direction, Message, MessageStatus

ANDROID = phone_apps.PhoneApp(
    url_variable="ANDROID_GATEWAY_URL",
    credentials="ANDROID_GATEWAY_USER and _PASSWORD",
    signing_key_variable="ANDROID_GATEWAY_SIGNING_KEY",
    events_path=EVENTS_ROUTE.path,
    audit_action="android_webhooks_register",
    audit_target="android phone",
)


@click.group()
def android() -> None:
    """The Android phone with a local SIM (SMS Gateway for Android, local server mode)."""


def _channel(settings) -> AndroidSmsChannel:
    if not settings.android_enabled:
        raise click.ClickException("the Android channel is off: set ANDROID_GATEWAY_URL")
    return build_channel("android", settings)


@android.command("register-webhooks")
def register_webhooks() -> None:
    """Register our webhook URL on the phone for received, sent, delivered and failed SMS (idempotent)."""
    settings = cli_settings()
    phone_apps.register_webhooks(ANDROID, settings, _channel(settings))


@android.command("status")
def status() -> None:
    """Whether the phone answers, and how many messages wait for it."""
    settings = cli_settings()
    channel = _channel(settings)
    database = open_database(settings)
    with database.transaction() as session:
        waiting = session.scalar(
            select(func.count())
            .select_from(Message)
            .where(Message.direction == Direction.OUT, Message.channel == "android")
            .where(Message.status.in_([MessageStatus.QUEUED, MessageStatus.SENDING]))
        )
    try:
        health = channel.health()
        click.echo(f"phone: answers ({health.get('status', 'unknown')})")
        if not channel.credentials_accepted():
            click.echo("phone: refuses our credentials: check ANDROID_GATEWAY_USER and ANDROID_GATEWAY_PASSWORD")
    except httpx.HTTPError as exc:
        click.echo(f"phone: does not answer ({type(exc).__name__}); messages wait and are retried")
    click.echo(f"waiting in the outbox: {waiting}")
    click.echo(f"pace: {channel.segments_per_minute} SMS parts a minute (+{channel.urgent_headroom} for urgent ones)")


@android.command("recover")
@click.option("--since", "since_text", required=True, help="ISO time (2026-12-07T04:00, UTC unless an offset) or 2h.")
def recover_command(since_text: str) -> None:
    """Ask the phone to re-send the SMS it received since then (after an outage longer than its retries)."""
    settings = cli_settings()
    _channel(settings)
    try:
        since = parse_since(since_text)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    database = open_database(settings)  # before the phone is touched: no request it could not record
    runtime = build_runtime(settings)  # the missing SMS are stored and handed to the workers like webhooks
    try:
        done = recover(runtime, since)
    except RefreshFailed as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        runtime.close()
    detail = f"since {since.isoformat(timespec='seconds')}: listed {done.listed}, stored {done.stored}"
    audit_cli(database, "android_recover", "android phone", detail)
    when = since.isoformat(timespec="minutes")
    click.echo(f"the phone re-sends what it missed itself since {when} ({done.refreshed_by});")
    if done.listed is None:
        click.echo("this version of the app cannot list its inbox: update it to recover SMS whose webhook ran out")
    else:
        click.echo(f"its inbox lists {done.listed} SMS since then: {done.stored} missing here, now stored and handled")
    click.echo("messages already stored are recognised and not stored twice")
