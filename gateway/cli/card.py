"""`gateway card --district D [--language L] [--number N] [--telegram BOT] --out card.pdf`: the leaders' card."""

from __future__ import annotations

import os
from pathlib import Path

import click
import httpx
from sqlalchemy import select

from gateway.cards.content import CardFacts, pages
from gateway.cli import cli_settings, open_database
from gateway.cli.output import say
from gateway.models import District
from gateway.roadmaps.items import find_district


@click.command("card")
@click.option("--district", required=True, help="District code or name, e.g. KORO or Djenné.")
@click.option("--language", help="French and this language only (default: French and every reviewed language).")
@click.option("--number", help="The number leaders text (default: TWILIO_FROM_NUMBER when Twilio carries SMS).")
@click.option("--telegram", "bot", help="The Telegram bot's username (default: asked of Telegram when it is on).")
@click.option("--out", required=True, type=click.Path(path_type=Path), help="FILE.pdf")
def card_command(district: str, language: str | None, number: str | None, bot: str | None, out: Path) -> None:
    """Write the printable card for a district's leaders: one A6 page per language."""
    if out.suffix.lower() != ".pdf" or out.is_dir() or not os.access(out.parent if str(out.parent) else ".", os.W_OK):
        raise click.ClickException(f"--out {str(out)!r}: must be a .pdf in a folder that can be written")
    settings = cli_settings()
    number = number or _number(settings)
    database = open_database(settings)
    try:
        with database.transaction() as session:
            found = find_district(session, district)
            if found is None:
                known = ", ".join(session.scalars(select(District.code).order_by(District.code))) or "none imported yet"
                raise click.ClickException(f"unknown district {district!r} (known: {known})")
            name = found.name
    finally:
        database.dispose()
    facts = CardFacts(district=name, number=number, telegram_bot=(bot or _bot(settings) or "").lstrip("@") or None,
                      missed_calls=_missed_calls_on(settings))  # fmt: skip
    try:
        card_pages = pages(facts, language)
    except ValueError as exc:
        raise click.ClickException(f"--language: {exc}") from None
    from gateway.cards.render import render_card  # reportlab: not loaded by every `gateway` process

    try:
        out.write_bytes(render_card(card_pages, facts))
    except OSError as exc:
        raise click.ClickException(f"--out {str(out)!r}: cannot write there ({exc.strerror})") from None
    say(f"{out}: {name}, {', '.join(p.language for p in card_pages)}")


def _number(settings) -> str:
    """The number leaders text: only Twilio's sender is in the settings (the Android phone's SIM number is not)."""
    if settings.sms_channel != "android" and settings.twilio_from_number:
        return settings.twilio_from_number
    raise click.ClickException("give --number: the phone number leaders send their SMS to")


def _bot(settings) -> str | None:
    """The bot's username from Telegram's getMe when the bot is configured; None when it is off."""
    if not settings.telegram_bot_token:
        return None
    url = f"{settings.telegram_api_base_url}/bot{settings.telegram_bot_token}/getMe"
    try:
        return httpx.post(url, timeout=10).raise_for_status().json()["result"]["username"]
    except (httpx.HTTPError, ValueError, KeyError, TypeError):
        raise click.ClickException("Telegram did not give the bot's name: give --telegram BOT_USERNAME") from None


def _missed_calls_on(settings) -> bool:
    """CallGate (missed calls) is configured."""
    return settings.callgate_enabled
