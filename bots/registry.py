"""Which channels exist and which are enabled: one line per channel."""

from __future__ import annotations

from collections.abc import Callable

import redis

from bots.android import AndroidSmsChannel
from bots.base import Channel
from bots.console import ConsoleChannel
from bots.telegram import TelegramChannel
from bots.twilio_sms import TwilioSmsChannel
from gateway.config import Settings

# code → (is it configured?, how to build it). Adding a channel means adding one line here.
CHANNELS: dict[str, tuple[Callable[[Settings], bool], Callable[[Settings, redis.Redis], Channel]]] = {
    "console": (lambda s: True, lambda s, r: ConsoleChannel(r)),
    "twilio": (lambda s: s.twilio_enabled, lambda s, r: TwilioSmsChannel(s)),
    "telegram": (lambda s: s.telegram_enabled, lambda s, r: TelegramChannel(s)),
    "android": (lambda s: s.android_enabled, lambda s, r: AndroidSmsChannel(s)),
}


def build_channels(settings: Settings, connection: redis.Redis) -> dict[str, Channel]:
    """Instantiate every configured channel."""
    return {code: build(settings, connection) for code, (enabled, build) in CHANNELS.items() if enabled(settings)}


def sms_channel_code(settings: Settings, available: set[str] | dict) -> str:
    """The channel that carries SMS in this deployment (`SMS_CHANNEL`, else the configured one, else console)."""
    if settings.sms_channel and settings.sms_channel in available:
        return settings.sms_channel
    for code in ("twilio", "android"):
        if code in available:
            return code
    return "console"
