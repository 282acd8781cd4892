"""Which channels exist and which are enabled: one line per channel."""

from __future__ import annotations

from collections.abc import Callable

import redis

from bots.android import AndroidSmsChannel
from bots.base import Channel
from bots.console import ConsoleChannel
from bots.telegram import TelegramChannel
from bots.twilio_sms import TwilioSmsChannel
from gateway.core.config import Settings

# code → (is it configured?, how to build it). Adding a channel means adding one line here.
CHANNELS: dict[str, tuple[Callable[[Settings], bool], Callable[[Settings, redis.Redis], Channel]]] = {
    # The console delivers nothing: only `gateway simulate` (which installs it itself) and tests may use it, so a
    # deployment without an SMS provider can never believe its SMS went out.
    "console": (lambda s: s.console_channel, lambda s, r: ConsoleChannel(r)),
    "twilio": (lambda s: s.twilio_enabled, lambda s, r: TwilioSmsChannel(s)),
    "telegram": (lambda s: s.telegram_enabled, lambda s, r: TelegramChannel(s)),
    "android": (lambda s: s.android_enabled, lambda s, r: AndroidSmsChannel(s)),
}

# Channels that carry SMS, in order of preference when `SMS_CHANNEL` does not choose.
SMS_CHANNELS = ("twilio", "android", "console")


def build_channels(settings: Settings, connection: redis.Redis) -> dict[str, Channel]:
    """Instantiate every configured channel."""
    return {code: build(settings, connection) for code, (enabled, build) in CHANNELS.items() if enabled(settings)}


def enabled_codes(settings: Settings) -> set[str]:
    """The codes of the configured channels, without building them."""
    return {code for code, (enabled, _build) in CHANNELS.items() if enabled(settings)}


def sms_channel_code(settings: Settings, available: set[str] | dict) -> str | None:
    """The channel that carries SMS in this deployment (`SMS_CHANNEL`, else the configured one); None if none."""
    if settings.sms_channel and settings.sms_channel in available:
        return settings.sms_channel
    for code in SMS_CHANNELS:
        if code in available:
            return code
    return None
