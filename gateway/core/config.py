"""Settings read from the environment (and a `.env` file), validated once at start-up."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace
from datetime import time
from decimal import Decimal, InvalidOperation
from pathlib import Path
from urllib.parse import urlsplit

from dotenv import dotenv_values
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from gateway.core.media_store_settings import media_store_settings
from gateway.core.pulse_schedule import PulseSchedule, parse_pulse

# Android lets one app send at most 30 SMS parts a minute before it stops on a confirmation dialog; the
# gateway keeps two parts of margin because its minute and the phone's start a fraction of a second apart.
ANDROID_CAP_PER_MINUTE = 28


class ConfigError(ValueError):
    """A configuration value is unusable; the message names the variable, never its secret value."""


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


def _int(env: dict[str, str], name: str, default: int, minimum: int = 0) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {value}")
    return value


def _optional_seconds(env: dict[str, str], name: str) -> float | None:
    raw = env.get(name, "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, got {raw!r}") from None
    if value <= 0:
        raise ConfigError(f"{name} must be more than 0 seconds, got {raw!r}")
    return value


def _hours_list(env: dict[str, str], name: str, default: tuple[float, ...]) -> tuple[float, ...]:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        values = tuple(sorted({float(part) for part in raw.split(",") if part.strip()}, reverse=True))
    except ValueError:
        raise ConfigError(f"{name} must be hours before the meeting, like 24,2; got {raw!r}") from None
    if not values or any(v <= 0 for v in values):
        raise ConfigError(f"{name} must be positive hours before the meeting, like 24,2; got {raw!r}")
    return values


_CLOCK = re.compile(r"^([01]?\d|2[0-3])[:hH]([0-5]\d)$")


def parse_clock(name: str, raw: str) -> time:
    """Parse a local time of day written `HH:MM` (or `18h00`)."""
    match = _CLOCK.match(raw.strip())
    if not match:
        raise ConfigError(f"{name} must be a time of day like 18:00, got {raw!r}")
    return time(int(match.group(1)), int(match.group(2)))


def _quiet_hours(env: dict[str, str]) -> tuple[time, time] | None:
    if "QUIET_HOURS" not in env:
        return (time(21, 0), time(7, 0))
    raw = env["QUIET_HOURS"].strip()
    if not raw:
        return None
    start, sep, end = raw.partition("-")
    if not sep:
        raise ConfigError(f"QUIET_HOURS must look like 21:00-07:00 (or be empty), got {raw!r}")
    return parse_clock("QUIET_HOURS", start), parse_clock("QUIET_HOURS", end)


def normalise_database_url(raw: str) -> str:
    """Check a database URL and pick the installed PostgreSQL driver (psycopg 3) for bare `postgresql://`."""
    try:
        url = make_url(raw)
    except (ArgumentError, ValueError):
        raise ConfigError(
            "DATABASE_URL is not a valid database URL (expected e.g. sqlite:///gateway.db or "
            "postgresql://user@host/dbname)"
        ) from None
    backend = url.get_backend_name()
    if backend in ("postgres", "postgresql"):
        if url.drivername in ("postgres", "postgresql"):
            url = url.set(drivername="postgresql+psycopg")
    elif backend != "sqlite":
        raise ConfigError(f"DATABASE_URL must be a PostgreSQL or SQLite URL, not {backend!r}")
    return url.render_as_string(hide_password=False)


def _http_url(name: str, raw: str | None) -> str | None:
    if not raw:
        return None
    parts = urlsplit(raw.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"{name} must be an http(s) URL like https://example.org")
    return raw.strip().rstrip("/")


def _redis_url(raw: str | None) -> str | None:
    if not raw or not raw.strip():
        return None
    if urlsplit(raw.strip()).scheme not in ("redis", "rediss", "unix"):
        raise ConfigError("REDIS_URL must start with redis://, rediss:// or unix://")
    return raw.strip()


def _digest_at(raw: str | None) -> time | None:
    """DIGEST_AT: a local HH:MM (default 18:00), or `off` for no daily digest."""
    if raw and raw.lower() == "off":
        return None
    return parse_clock("DIGEST_AT", raw) if raw else time(18, 0)


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
        redis_url=_redis_url(get("REDIS_URL")),
        public_base_url=_http_url("PUBLIC_BASE_URL", get("PUBLIC_BASE_URL")),
        twilio_account_sid=get("TWILIO_ACCOUNT_SID"),
        twilio_auth_token=get("TWILIO_AUTH_TOKEN"),
        twilio_from_number=get("TWILIO_FROM_NUMBER"),
        twilio_messaging_service_sid=get("TWILIO_MESSAGING_SERVICE_SID"),
        twilio_api_base_url=_http_url("TWILIO_API_BASE_URL", get("TWILIO_API_BASE_URL")) or "https://api.twilio.com",
        telegram_bot_token=get("TELEGRAM_BOT_TOKEN"),
        telegram_webhook_secret=get("TELEGRAM_WEBHOOK_SECRET"),
        telegram_api_base_url=_http_url("TELEGRAM_API_BASE_URL", get("TELEGRAM_API_BASE_URL"))
        or "https://api.telegram.org",
        sms_channel=sms_channel,
        android_gateway_url=_http_url("ANDROID_GATEWAY_URL", get("ANDROID_GATEWAY_URL")),
        android_gateway_user=get("ANDROID_GATEWAY_USER"),
        android_gateway_password=get("ANDROID_GATEWAY_PASSWORD"),
        android_gateway_signing_key=get("ANDROID_GATEWAY_SIGNING_KEY"),
        callgate_url=_http_url("CALLGATE_URL", get("CALLGATE_URL")),
        callgate_user=get("CALLGATE_USER"),
        callgate_password=get("CALLGATE_PASSWORD"),
        callgate_signing_key=get("CALLGATE_SIGNING_KEY"),
        escalation_step_seconds=_int(env, "ESCALATION_STEP_SECONDS", 600, minimum=1),
        escalation_max_repeats=_int(env, "ESCALATION_MAX_REPEATS", 3),
        escalation_resolve_remind_seconds=_int(env, "ESCALATION_RESOLVE_REMIND_SECONDS", 14400, minimum=1),
        followup_after_seconds=_int(env, "FOLLOWUP_AFTER_SECONDS", 86400, minimum=1),
        followup_max=_int(env, "FOLLOWUP_MAX", 3),
        followup_min_severity=_int(env, "FOLLOWUP_MIN_SEVERITY", 2, minimum=1),
        triage_remind_seconds=_int(env, "TRIAGE_REMIND_SECONDS", 7200, minimum=1),
        digest_at=_digest_at(digest_raw),
        quiet_hours=_quiet_hours(env),
        timezone=get("GATEWAY_TIMEZONE") or "Africa/Bamako",
        conversation_ttl_seconds=_int(env, "CONVERSATION_TTL_SECONDS", 1800, minimum=1),
        sweep_interval_seconds=_int(env, "SWEEP_INTERVAL_SECONDS", 15, minimum=1),
        outbox_stale_seconds=_int(env, "OUTBOX_STALE_SECONDS", 60, minimum=1),
        send_max_attempts=_int(env, "SEND_MAX_ATTEMPTS", 8, minimum=1),
        retry_backoff_seconds=_optional_seconds(env, "RETRY_BACKOFF_SECONDS"),
        provider_timeout_seconds=_optional_seconds(env, "PROVIDER_TIMEOUT_SECONDS"),
        meeting_reminder_hours=_hours_list(env, "MEETING_REMINDER_HOURS", (24.0, 2.0)),
        android_segments_per_minute=_int(env, "ANDROID_SEGMENTS_PER_MINUTE", 20, minimum=1),
        android_urgent_headroom=_int(env, "ANDROID_URGENT_HEADROOM", 5),
        log_level=(get("LOG_LEVEL") or "INFO").upper(),
        alert_merge_seconds=_int(env, "ALERT_MERGE_SECONDS", 600),
        discreet_delete_seconds=_int(env, "DISCREET_DELETE_SECONDS", 600, minimum=1),
        retention_days=_int(env, "RETENTION_DAYS", 180, minimum=1),
        unknown_retention_days=_int(env, "UNKNOWN_RETENTION_DAYS", 30, minimum=1),
        sender_reply_burst=_int(env, "SENDER_REPLY_BURST", 10, minimum=1),
        sender_reply_refill_seconds=_int(env, "SENDER_REPLY_REFILL_SECONDS", 60, minimum=1),
        loop_guard_count=_int(env, "LOOP_GUARD_COUNT", 5, minimum=2),
        loop_guard_seconds=_int(env, "LOOP_GUARD_SECONDS", 60, minimum=1),
        console_channel=(get("GATEWAY_CONSOLE_CHANNEL") or "").lower() in ("1", "true", "yes", "on"),
        secret_key=get("SECRET_KEY"),
        console_require_2fa=(get("CONSOLE_REQUIRE_2FA") or "admin").lower(),
        proxy_hops=_int(env, "PROXY_HOPS", 1),
        sms_segment_cost=_segment_cost(get("SMS_SEGMENT_COST")),
        pulse_min_answers=_int(env, "PULSE_MIN_ANSWERS", 3, minimum=1),
        metrics_token=get("METRICS_TOKEN"),
        media_max_bytes=_int(env, "MEDIA_MAX_BYTES", 20 * 1024 * 1024, minimum=1024),
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
    _check_timezone(settings.timezone)
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


def _segment_cost(raw: str | None) -> tuple[Decimal, str] | None:
    """SMS_SEGMENT_COST as (amount, currency): `25 XOF`, `0.0079 USD`."""
    if raw is None:
        return None
    amount, _, currency = raw.partition(" ")
    try:
        value = Decimal(amount.replace(",", "."))
    except InvalidOperation:
        value = None
    currency = currency.strip().upper()
    if value is None or not value.is_finite() or value < 0 or not currency.isalpha() or len(currency) > 5:
        raise ConfigError("SMS_SEGMENT_COST must be an amount and a currency, e.g. '25 XOF'")
    return value, currency


def _check_timezone(name: str) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"GATEWAY_TIMEZONE {name!r} is not a known time zone") from None
