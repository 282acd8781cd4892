"""Which channels this deployment runs, each built from the settings it needs: one registry line per channel."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import redis

from bots.android import AndroidConfig, AndroidSmsChannel
from bots.base import Channel
from bots.callgate import CallGateChannel, CallGateConfig
from bots.console import ConsoleChannel
from bots.telegram import TelegramChannel, TelegramConfig
from bots.twilio_sms import TwilioConfig, TwilioSmsChannel
from gateway.core.config import Settings
from gateway.directory.phones import to_e164


def twilio_config(settings: Settings, connection: redis.Redis | None = None) -> TwilioConfig:
    """The Twilio channel's part of the settings."""
    return TwilioConfig(
        account_sid=settings.twilio_account_sid or "",
        auth_token=settings.twilio_auth_token or "",
        normalise_phone=to_e164,
        from_number=settings.twilio_from_number,
        messaging_service_sid=settings.twilio_messaging_service_sid,
        api_base_url=settings.twilio_api_base_url,
        public_base_url=settings.public_base_url,
        timeout_seconds=settings.provider_timeout_seconds,
    )


def telegram_config(settings: Settings, connection: redis.Redis | None = None) -> TelegramConfig:
    """The Telegram channel's part of the settings."""
    return TelegramConfig(
        bot_token=settings.telegram_bot_token or "",
        webhook_secret=settings.telegram_webhook_secret,
        api_base_url=settings.telegram_api_base_url,
        timeout_seconds=settings.provider_timeout_seconds,
    )


def android_config(settings: Settings, connection: redis.Redis | None = None) -> AndroidConfig:
    """The Android channel's part of the settings."""
    return AndroidConfig(
        gateway_url=settings.android_gateway_url or "",
        normalise_phone=to_e164,
        user=settings.android_gateway_user,
        password=settings.android_gateway_password,
        signing_key=settings.android_gateway_signing_key,
        segments_per_minute=settings.android_segments_per_minute,
        urgent_headroom=settings.android_urgent_headroom,
        timeout_seconds=settings.provider_timeout_seconds,
    )


def callgate_config(settings: Settings, connection: redis.Redis | None = None) -> CallGateConfig:
    """The CallGate channel's part of the settings."""
    return CallGateConfig(
        url=settings.callgate_url or "",
        normalise_phone=to_e164,
        user=settings.callgate_user,
        password=settings.callgate_password,
        signing_key=settings.callgate_signing_key,
        timeout_seconds=settings.provider_timeout_seconds,
    )


def console_connection(settings: Settings, connection: redis.Redis | None) -> redis.Redis | None:
    """The console channel's only setting: the Redis client it keeps its messages in."""
    return connection


@dataclass(frozen=True)
class Registered:
    """One channel the gateway knows: its class (which declares its webhook routes), whether the settings
    configure it, and the argument its constructor takes, made from the settings (and the Redis client)."""

    kind: type[Channel]
    enabled: Callable[[Settings], bool]
    config: Callable[[Settings, redis.Redis | None], object]

    def build(self, settings: Settings, connection: redis.Redis | None) -> Channel:
        """The channel, configured."""
        return self.kind(self.config(settings, connection))


# Adding a channel means adding one line here (and a function that picks its part of the settings, above).
CHANNELS: dict[str, Registered] = {
    # The console delivers nothing: only `gateway simulate` (which installs it itself) and tests may use it, so a
    # deployment without an SMS provider can never believe its SMS went out.
    "console": Registered(ConsoleChannel, lambda s: s.console_channel, console_connection),
    "twilio": Registered(TwilioSmsChannel, lambda s: s.twilio_enabled, twilio_config),
    "telegram": Registered(TelegramChannel, lambda s: s.telegram_enabled, telegram_config),
    "android": Registered(AndroidSmsChannel, lambda s: s.android_enabled, android_config),
    # Missed calls only: it receives call events and sends nothing (never an SMS channel).
    "callgate": Registered(CallGateChannel, lambda s: s.callgate_enabled, callgate_config),
}

# Channels that carry SMS, in order of preference when `SMS_CHANNEL` does not choose.
SMS_CHANNELS = ("twilio", "android", "console")


def build_channels(settings: Settings, connection: redis.Redis) -> dict[str, Channel]:
    """Instantiate every configured channel."""
    return {code: entry.build(settings, connection) for code, entry in CHANNELS.items() if entry.enabled(settings)}


def build_channel(code: str, settings: Settings, connection: redis.Redis | None = None) -> Channel:
    """One channel from the settings, configured or not (the CLI checks first)."""
    return CHANNELS[code].build(settings, connection)


def enabled_codes(settings: Settings) -> set[str]:
    """The codes of the configured channels, without building them."""
    return {code for code, entry in CHANNELS.items() if entry.enabled(settings)}


def sms_channel_code(settings: Settings, available: set[str] | dict) -> str | None:
    """The channel that carries SMS in this deployment (`SMS_CHANNEL`, else the configured one); None if none."""
    if settings.sms_channel and settings.sms_channel in available:
        return settings.sms_channel
    for code in SMS_CHANNELS:
        if code in available:
            return code
    return None
