"""Which channel reaches a contact: their preference, what the deployment has, and what still works."""

from __future__ import annotations

from gateway.core.config import Settings
from gateway.messaging.channels import sms_channel_code
from gateway.models import Contact, PreferredChannel

# The channel recorded on an SMS that no channel can carry (no Twilio, no phone): its row is failed at once with
# `NO_SMS_CHANNEL_ERROR`, never sent and never enqueued. Not a channel code of gateway/channels.py.
NO_SMS_CHANNEL = "sms"
NO_SMS_CHANNEL_ERROR = "no_sms_channel"
# The error code of an SMS never sent because the provider reported the number unreachable (Twilio 21610: it sent
# STOP to Twilio; 21612, 21614): treated as opted out of SMS for every kind of message until it writes START.
SMS_UNREACHABLE_ERROR = "sms_unreachable"


def sms_route(settings: Settings, available: dict) -> str:
    """The channel code that carries SMS (`NO_SMS_CHANNEL` when the deployment has none)."""
    return sms_channel_code(settings, available) or NO_SMS_CHANNEL


def telegram_reachable(contact: Contact, available: dict) -> bool:
    """The deployment has Telegram, and the contact a linked account that has not blocked the bot."""
    return "telegram" in available and contact.telegram_id is not None and not contact.telegram_unreachable


def route_for(contact: Contact, settings: Settings, available: dict) -> tuple[str, str]:
    """(channel code, address) for a contact: Telegram when preferred, linked and reachable, or when their number
    refuses our SMS; else SMS (which `sms_barred` may then refuse)."""
    if telegram_reachable(contact, available) and (
        contact.channel == PreferredChannel.TELEGRAM or contact.sms_unreachable
    ):
        return "telegram", str(contact.telegram_id)
    return sms_route(settings, available), contact.phone


def sms_barred(contact: Contact | None, channel: str) -> bool:
    """True when `channel` is not Telegram and the contact's number was reported unreachable by the provider: no
    SMS of any kind goes to it (notices, reminders, follow-ups, digests), it is stored failed instead."""
    return contact is not None and channel != "telegram" and bool(contact.sms_unreachable)


def sms_warning(settings: Settings, available: dict) -> str | None:
    """Why this deployment cannot send SMS, and what to set; None when an SMS channel exists."""
    if sms_channel_code(settings, available) is not None:
        return None
    return (
        "no SMS channel: SMS to leaders and officers are not sent (marked failed, no_sms_channel); set "
        "TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM_NUMBER, or SMS_CHANNEL=android with ANDROID_GATEWAY_URL"
    )
