"""Parsers of single environment values for the settings: each turns one raw variable into a typed value or raises
ConfigError with one line that names the variable, never its secret value."""

from __future__ import annotations

import re
from datetime import time
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError


class ConfigError(ValueError):
    """A configuration value is unusable; the message names the variable, never its secret value."""


def parse_int(env: dict[str, str], name: str, default: int, minimum: int = 0) -> int:
    """A whole number of at least `minimum`; `default` when unset or empty."""
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


def parse_seconds(env: dict[str, str], name: str) -> float | None:
    """A positive number of seconds; None when unset or empty."""
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


def parse_hours_list(env: dict[str, str], name: str, default: tuple[float, ...]) -> tuple[float, ...]:
    """Comma-separated positive hours (`24,2`), largest first and without repeats; `default` when unset."""
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


def parse_quiet_hours(env: dict[str, str]) -> tuple[time, time] | None:
    """QUIET_HOURS as (start, end): 21:00-07:00 when unset, None when set empty."""
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


def parse_http_url(name: str, raw: str | None) -> str | None:
    """An http(s) URL without its trailing slash; None when unset."""
    if not raw:
        return None
    parts = urlsplit(raw.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"{name} must be an http(s) URL like https://example.org")
    return raw.strip().rstrip("/")


def parse_redis_url(raw: str | None) -> str | None:
    """REDIS_URL (redis://, rediss:// or unix://); None when unset: the embedded Redis."""
    if not raw or not raw.strip():
        return None
    if urlsplit(raw.strip()).scheme not in ("redis", "rediss", "unix"):
        raise ConfigError("REDIS_URL must start with redis://, rediss:// or unix://")
    return raw.strip()


def parse_digest_at(raw: str | None) -> time | None:
    """DIGEST_AT: a local HH:MM (default 18:00), or `off` for no daily digest."""
    if raw and raw.lower() == "off":
        return None
    return parse_clock("DIGEST_AT", raw) if raw else time(18, 0)


def parse_segment_cost(raw: str | None) -> tuple[Decimal, str] | None:
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


def check_timezone(name: str) -> None:
    """Refuse a GATEWAY_TIMEZONE that is not a known IANA time zone."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"GATEWAY_TIMEZONE {name!r} is not a known time zone") from None
