"""`gateway telegram set-webhook|delete-webhook|poll`: the bot's set-up, and polling where there is no HTTPS."""

from __future__ import annotations

import re
import signal
import time

import click
from telegram.error import TelegramError

from bots.telegram import TelegramChannel
from bots.telegram_updates import ALLOWED_UPDATES, parse_update
from gateway.cli import audit_cli, cli_settings, open_database
from gateway.core.config import Settings
from gateway.core.runtime import build_runtime, set_process_runtime
from gateway.messaging.channels import build_channel
from gateway.web.telegram_updates import handle_update

SECRET_FORMAT = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
POLL_TIMEOUT_SECONDS = 25


@click.group()
def telegram() -> None:
    """The Telegram bot."""


def _channel(settings: Settings) -> TelegramChannel:
    if not settings.telegram_enabled:
        raise click.ClickException("Telegram is off: set TELEGRAM_BOT_TOKEN")
    return build_channel("telegram", settings)


def _call(channel: TelegramChannel, method: str, **kwargs):
    try:
        return channel.call(method, **kwargs)
    except TelegramError as exc:  # the message never holds the token: PTB does not put URLs in its errors
        raise click.ClickException(f"Telegram refused {method}: {type(exc).__name__}: {exc.message}") from None


@telegram.command("set-webhook")
def set_webhook() -> None:
    """Point Telegram at PUBLIC_BASE_URL/webhooks/telegram with the secret token and our update types."""
    settings = cli_settings()
    channel = _channel(settings)
    if not settings.public_base_url or not settings.public_base_url.startswith("https://"):
        raise click.ClickException("PUBLIC_BASE_URL must be an https:// URL for a Telegram webhook (or use poll)")
    secret = settings.telegram_webhook_secret
    if not secret or not SECRET_FORMAT.match(secret):
        raise click.ClickException("TELEGRAM_WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
    url = f"{settings.public_base_url}/webhooks/telegram"
    database = open_database(settings)  # before Telegram is told: no change that could not be recorded
    _call(channel, "set_webhook", url=url, secret_token=secret, allowed_updates=list(ALLOWED_UPDATES))
    audit_cli(database, "telegram_webhook_set", "telegram bot", url)  # never the secret token
    click.echo(f"webhook set: {url} ({', '.join(ALLOWED_UPDATES)})")


@telegram.command("delete-webhook")
def delete_webhook() -> None:
    """Remove the webhook (needed before polling)."""
    settings = cli_settings()
    channel = _channel(settings)
    database = open_database(settings)
    _call(channel, "delete_webhook")
    audit_cli(database, "telegram_webhook_delete", "telegram bot")
    click.echo("webhook deleted")


@telegram.command("poll")
@click.option("--once", is_flag=True, help="Fetch the waiting updates once and stop.")
def poll(once: bool) -> None:
    """Long-poll Telegram (getUpdates) and feed the updates to the same pipeline as the webhook."""
    settings = cli_settings(service=True)
    channel = _channel(settings)
    info = _call(channel, "get_webhook_info")
    if info.url:
        raise click.ClickException(
            "a webhook is set, so Telegram refuses polling: run `gateway telegram delete-webhook`"
        )
    open_database(settings)
    runtime = build_runtime(settings)
    set_process_runtime(runtime)
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    offset, handled = None, 0
    click.echo("polling Telegram; Ctrl-C stops", err=True)
    try:
        while not stopping:
            timeout = 0 if once else POLL_TIMEOUT_SECONDS
            try:
                updates = channel.call(
                    "get_updates",
                    offset=offset,
                    timeout=timeout,
                    allowed_updates=list(ALLOWED_UPDATES),
                    read_timeout=timeout + 10,
                )
            except TelegramError as exc:
                click.echo(f"getUpdates failed ({type(exc).__name__}); retrying in 5 s", err=True)
                time.sleep(5)
                continue
            for update in updates:
                handle_update(runtime, parse_update(update.to_dict()))
                offset = update.update_id + 1
                handled += 1
            if once:
                if offset is not None:  # confirm what was handled, so the next poll does not fetch it again
                    channel.call("get_updates", offset=offset, timeout=0, limit=1)
                break
    except KeyboardInterrupt:
        pass
    finally:
        runtime.close()
    click.echo(f"{handled} update(s) handled", err=True)
