"""Settings read from the environment (and a `.env` file), validated once at start-up."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from datetime import time
from decimal import Decimal
from pathlib import Path

from dotenv import dotenv_values

# ConfigError, normalise_database_url and parse_clock are part of this module's interface (callers import them here).
from gateway.core.config_values import (
    ConfigError,
    check_timezone,
    normalise_database_url,
    parse_clock,
    parse_digest_at,
    parse_hours_list,
    parse_http_url,
    parse_int,
    parse_quiet_hours,
    parse_redis_url,
    parse_seconds,
    parse_segment_cost,
)
from gateway.core.media_store_settings import media_store_settings
from gateway.core.pulse_schedule import PulseSchedule, parse_pulse

__all__ = [
    "ANDROID_CAP_PER_MINUTE",
    "ConfigError",
    "Settings",
    "load_settings",
    "normalise_database_url",
    "parse_clock",
]

# Android lets one app send at most 30 SMS parts a minute before it stops on a confirmation dialog; the
# gateway keeps two parts of margin because its minute and the phone's start a fraction of a second apart.
ANDROID_CAP_PER_MINUTE = 28


@dataclass(frozen=True)
class Settings:
    """Every setting of the gateway, with DESIGN.md's defaults."""

    instance_path: Path
    database_url: str
    redis_url: str | None = None
    public_base_url: str | None = None
    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = field(default=None, repr=False)
    twilio_from_number: str | None = None
    twilio_messaging_service_sid: str | None = None
    twilio_api_base_url: str = "https://api.twilio.com"
    telegram_bot_token: str | None = field(default=None, repr=False)
    telegram_webhook_secret: str | None = field(default=None, repr=False)
    telegram_api_base_url: str = "https://api.telegram.org"
    sms_channel: str | None = None
    android_gateway_url: str | None = None
    android_gateway_user: str | None = None
    android_gateway_password: str | None = field(default=None, repr=False)
    android_gateway_signing_key: str | None = field(default=None, repr=False)
    # The office phone's CallGate app (missed calls): none of it set, missed calls are off.
    callgate_url: str | None = None
    callgate_user: str | None = None
    callgate_password: str | None = field(default=None, repr=False)
    callgate_signing_key: str | None = field(default=None, repr=False)
    escalation_step_seconds: int = 600
    escalation_max_repeats: int = 3
    escalation_resolve_remind_seconds: int = 14400
    followup_after_seconds: int = 86400
    followup_max: int = 3
    followup_min_severity: int = 2
    triage_remind_seconds: int = 7200
    digest_at: time | None = time(18, 0)  # None (DIGEST_AT=off): no daily digest
    quiet_hours: tuple[time, time] | None = (time(21, 0), time(7, 0))
    timezone: str = "Africa/Bamako"
    conversation_ttl_seconds: int = 1800
    sweep_interval_seconds: int = 15
    outbox_stale_seconds: int = 60
    send_max_attempts: int = 8
    retry_backoff_seconds: float | None = None  # first retry delay (doubling); None: the sender's default
    provider_timeout_seconds: float | None = None  # per provider call; None: each channel's default
    meeting_reminder_hours: tuple[float, ...] = (24.0, 2.0)
    android_segments_per_minute: int = 20
    android_urgent_headroom: int = 5
    log_level: str = "INFO"
    # Safety and abuse resistance (issue 13).
    alert_merge_seconds: int = 600
    discreet_delete_seconds: int = 600
    retention_days: int = 180
    unknown_retention_days: int = 30
    sender_reply_burst: int = 10  # replies a sender can get at once (token bucket per contact and channel)
    sender_reply_refill_seconds: int = 60  # one more reply allowed every this many seconds
    loop_guard_count: int = 5  # this many identical messages from one sender …
    loop_guard_seconds: int = 60  # … within this window: an auto-responder loop, stop answering
    console_channel: bool = False  # the console channel: `gateway simulate` and tests only
    secret_key: str | None = None  # signs console sessions; unset: generated once into the instance folder
    console_require_2fa: str = "admin"  # "admin": admins must use a second factor; "all": everyone must
    sms_segment_cost: tuple[Decimal, str] | None = None  # (amount, currency) of one SMS segment, for previews
    # The weekly service-return pulse (PULSE_EVERY, PULSE_AT): None when off; aggregates shown from this many answers.
    pulse_schedule: PulseSchedule | None = PulseSchedule(0, time(9, 0))
    pulse_min_answers: int = 3
    # The weekly bulletin to coordinators and head office (BULLETIN_EVERY: `weekly` or `off`), at the pulse's time.
    bulletin_weekly: bool = True
    proxy_hops: int = 1  # reverse proxies in front of the web process whose X-Forwarded-* are trusted; 0: none
    metrics_token: str | None = field(default=None, repr=False)  # bearer token of /metrics; None: loopback only
    media_max_bytes: int = 20 * 1024 * 1024  # MEDIA_MAX_BYTES: larger files are not kept (Telegram's bot limit)
    # MEDIA_STORE_URL (s3://BUCKET[/PREFIX]) and its companions: unset, media files stay in the instance folder.
    media_store_bucket: str | None = None
    media_store_prefix: str = ""
    media_store_endpoint: str | None = None  # MEDIA_STORE_ENDPOINT: MinIO, Wasabi, OVH…; None: AWS
    media_store_region: str | None = None
    media_store_access_key: str | None = field(default=None, repr=False)  # None: boto3's own credentials chain
    media_store_secret_key: str | None = field(default=None, repr=False)

    @property
    def secrets(self) -> tuple[str, ...]:
        """The secret values in force, so that logs and errors can redact them."""
        values = (
            self.twilio_auth_token,
            self.telegram_bot_token,
            self.telegram_webhook_secret,
            self.android_gateway_password,
            self.secret_key,
            self.android_gateway_signing_key,
            self.metrics_token,
            self.callgate_password,
            self.callgate_signing_key,
            self.media_store_access_key,
            self.media_store_secret_key,
        )
        return tuple(v for v in values if v)

    @property
    def twilio_enabled(self) -> bool:
        """True when Twilio credentials are configured."""
        return bool(self.twilio_account_sid and self.twilio_auth_token)

    @property
    def telegram_enabled(self) -> bool:
        """True when a Telegram bot token is configured."""
        return bool(self.telegram_bot_token)

    @property
    def android_enabled(self) -> bool:
        """True when the local-SIM phone is configured."""
        return bool(self.android_gateway_url)

    @property
    def callgate_enabled(self) -> bool:
        """True when the phone's CallGate app is configured (missed calls on)."""
        return bool(self.callgate_url)


def _read_environment(env: dict[str, str] | None) -> dict[str, str]:
    if env is not None:
        return dict(env)
    merged = {k: v for k, v in dotenv_values(".env").items() if v is not None} if Path(".env").is_file() else {}
    merged.update(os.environ)  # the real environment wins over the file
    return merged


def load_settings(env: dict[str, str] | None = None) -> Settings:
    """Build and validate the settings; raise ConfigError with one clear line on the first bad value."""
    env = _read_environment(env)
    get = lambda name: (env.get(name) or "").strip() or None  # noqa: E731

    instance_path = Path(get("GATEWAY_INSTANCE_PATH") or Path.cwd() / "instance").resolve()
    database_url = get("DATABASE_URL") or f"sqlite:///{instance_path / 'gateway.db'}"

    sms_channel = get("SMS_CHANNEL")
    if sms_channel and sms_channel not in ("twilio", "android"):
        raise ConfigError(f"SMS_CHANNEL must be 'twilio' or 'android', got {sms_channel!r}")

    digest_raw = get("DIGEST_AT")
    settings = Settings(
        instance_path=instance_path,
        database_url=normalise_database_url(database_url),
        redis_url=parse_redis_url(get("REDIS_URL")),
        public_base_url=parse_http_url("PUBLIC_BASE_URL", get("PUBLIC_BASE_URL")),
        twilio_account_sid=get("TWILIO_ACCOUNT_SID"),
        twilio_auth_token=get("TWILIO_AUTH_TOKEN"),
        twilio_from_number=get("TWILIO_FROM_NUMBER"),
        twilio_messaging_service_sid=get("TWILIO_MESSAGING_SERVICE_SID"),
        twilio_api_base_url=parse_http_url("TWILIO_API_BASE_URL", get("TWILIO_API_BASE_URL"))
        or "https://api.twilio.com",
        telegram_bot_token=get("TELEGRAM_BOT_TOKEN"),
        telegram_webhook_secret=get("TELEGRAM_WEBHOOK_SECRET"),
        telegram_api_base_url=parse_http_url("TELEGRAM_API_BASE_URL", get("TELEGRAM_API_BASE_URL"))
        or "https://api.telegram.org",
        sms_channel=sms_channel,
        android_gateway_url=parse_http_url("ANDROID_GATEWAY_URL", get("ANDROID_GATEWAY_URL")),
        android_gateway_user=get("ANDROID_GATEWAY_USER"),
        android_gateway_password=get("ANDROID_GATEWAY_PASSWORD"),
        android_gateway_signing_key=get("ANDROID_GATEWAY_SIGNING_KEY"),
        callgate_url=parse_http_url("CALLGATE_URL", get("CALLGATE_URL")),
        callgate_user=get("CALLGATE_USER"),
        callgate_password=get("CALLGATE_PASSWORD"),
        callgate_signing_key=get("CALLGATE_SIGNING_KEY"),
        escalation_step_seconds=parse_int(env, "ESCALATION_STEP_SECONDS", 600, minimum=1),
        escalation_max_repeats=parse_int(env, "ESCALATION_MAX_REPEATS", 3),
        escalation_resolve_remind_seconds=parse_int(env, "ESCALATION_RESOLVE_REMIND_SECONDS", 14400, minimum=1),
        followup_after_seconds=parse_int(env, "FOLLOWUP_AFTER_SECONDS", 86400, minimum=1),
        followup_max=parse_int(env, "FOLLOWUP_MAX", 3),
        followup_min_severity=parse_int(env, "FOLLOWUP_MIN_SEVERITY", 2, minimum=1),
        triage_remind_seconds=parse_int(env, "TRIAGE_REMIND_SECONDS", 7200, minimum=1),
        digest_at=parse_digest_at(digest_raw),
        quiet_hours=parse_quiet_hours(env),
        timezone=get("GATEWAY_TIMEZONE") or "Africa/Bamako",
        conversation_ttl_seconds=parse_int(env, "CONVERSATION_TTL_SECONDS", 1800, minimum=1),
        sweep_interval_seconds=parse_int(env, "SWEEP_INTERVAL_SECONDS", 15, minimum=1),
        outbox_stale_seconds=parse_int(env, "OUTBOX_STALE_SECONDS", 60, minimum=1),
        send_max_attempts=parse_int(env, "SEND_MAX_ATTEMPTS", 8, minimum=1),
        retry_backoff_seconds=parse_seconds(env, "RETRY_BACKOFF_SECONDS"),
        provider_timeout_seconds=parse_seconds(env, "PROVIDER_TIMEOUT_SECONDS"),
        meeting_reminder_hours=parse_hours_list(env, "MEETING_REMINDER_HOURS", (24.0, 2.0)),
        android_segments_per_minute=parse_int(env, "ANDROID_SEGMENTS_PER_MINUTE", 20, minimum=1),
        android_urgent_headroom=parse_int(env, "ANDROID_URGENT_HEADROOM", 5),
        log_level=(get("LOG_LEVEL") or "INFO").upper(),
        alert_merge_seconds=parse_int(env, "ALERT_MERGE_SECONDS", 600),
        discreet_delete_seconds=parse_int(env, "DISCREET_DELETE_SECONDS", 600, minimum=1),
        retention_days=parse_int(env, "RETENTION_DAYS", 180, minimum=1),
        unknown_retention_days=parse_int(env, "UNKNOWN_RETENTION_DAYS", 30, minimum=1),
        sender_reply_burst=parse_int(env, "SENDER_REPLY_BURST", 10, minimum=1),
        sender_reply_refill_seconds=parse_int(env, "SENDER_REPLY_REFILL_SECONDS", 60, minimum=1),
        loop_guard_count=parse_int(env, "LOOP_GUARD_COUNT", 5, minimum=2),
        loop_guard_seconds=parse_int(env, "LOOP_GUARD_SECONDS", 60, minimum=1),
        console_channel=(get("GATEWAY_CONSOLE_CHANNEL") or "").lower() in ("1", "true", "yes", "on"),
        secret_key=get("SECRET_KEY"),
        console_require_2fa=(get("CONSOLE_REQUIRE_2FA") or "admin").lower(),
        proxy_hops=parse_int(env, "PROXY_HOPS", 1),
        sms_segment_cost=parse_segment_cost(get("SMS_SEGMENT_COST")),
        pulse_min_answers=parse_int(env, "PULSE_MIN_ANSWERS", 3, minimum=1),
        metrics_token=get("METRICS_TOKEN"),
        media_max_bytes=parse_int(env, "MEDIA_MAX_BYTES", 20 * 1024 * 1024, minimum=1024),
    )
    try:
        settings = replace(settings, **media_store_settings(get))
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    try:
        schedule = parse_pulse(get("PULSE_EVERY"), get("PULSE_AT"), settings.quiet_hours)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    bulletin_every = (get("BULLETIN_EVERY") or "weekly").strip().lower()
    if bulletin_every not in ("weekly", "off"):
        raise ConfigError(f"BULLETIN_EVERY must be 'weekly' or 'off', got {bulletin_every!r}")
    settings = replace(settings, pulse_schedule=schedule, bulletin_weekly=bulletin_every == "weekly")
    if settings.console_require_2fa not in ("admin", "all"):
        raise ConfigError("CONSOLE_REQUIRE_2FA must be 'admin' (the default) or 'all'")
    if settings.secret_key is not None and len(settings.secret_key) < 32:
        raise ConfigError("SECRET_KEY must have at least 32 characters (e.g. the output of: openssl rand -hex 32)")
    if settings.metrics_token is not None and len(settings.metrics_token) < 16:
        raise ConfigError("METRICS_TOKEN must have at least 16 characters (e.g. the output of: openssl rand -hex 32)")
    check_timezone(settings.timezone)
    if settings.twilio_enabled and not (settings.twilio_from_number or settings.twilio_messaging_service_sid):
        raise ConfigError("Twilio is configured but neither TWILIO_FROM_NUMBER nor TWILIO_MESSAGING_SERVICE_SID is set")
    if settings.sms_channel == "twilio" and not settings.twilio_enabled:
        raise ConfigError("SMS_CHANNEL=twilio needs TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN")
    if settings.android_segments_per_minute + settings.android_urgent_headroom > ANDROID_CAP_PER_MINUTE:
        raise ConfigError(
            "ANDROID_SEGMENTS_PER_MINUTE + ANDROID_URGENT_HEADROOM must stay at or under "
            f"{ANDROID_CAP_PER_MINUTE} (Android stops at 30 SMS parts a minute)"
        )
    if settings.sms_channel == "android" and not settings.android_enabled:
        raise ConfigError("SMS_CHANNEL=android needs ANDROID_GATEWAY_URL")
    if settings.callgate_enabled and not settings.callgate_signing_key:
        # Without the key every call event would be refused: say so at start-up, not at the first missed call.
        raise ConfigError("CALLGATE_URL is set but CALLGATE_SIGNING_KEY is not (Settings → Webhooks in the app)")
    return settings
