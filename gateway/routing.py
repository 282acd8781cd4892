"""Which channel reaches a contact: their preference, what the deployment has, and what still works."""

from __future__ import annotations

from bots.registry import sms_channel_code
from gateway.config import Settings
from gateway.models import Contact, PreferredChannel


def sms_route(settings: Settings, available: dict) -> str:
    """The channel code that carries SMS."""
    return sms_channel_code(settings, available)


def route_for(contact: Contact, settings: Settings, available: dict) -> tuple[str, str]:
    """(channel code, address) for a contact: Telegram when preferred, linked and reachable, else SMS."""
    telegram_ok = "telegram" in available and contact.telegram_id is not None and not contact.telegram_unreachable
    if contact.channel == PreferredChannel.TELEGRAM and telegram_ok:
        return "telegram", str(contact.telegram_id)
    return sms_route(settings, available), contact.phone
