"""What capcom6's Android apps (SMS Gateway for Android and its companion CallGate) share: the settings both
channels take, and the webhook signature: hex HMAC-SHA256 of the raw body followed by the `X-Timestamp` text,
within ±5 minutes of now."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass, field

TIMESTAMP_TOLERANCE_SECONDS = 300


@dataclass(frozen=True, kw_only=True)
class PhoneAppConfig:
    """The settings of a channel on one of these apps: its credentials, signing key and timeout (each channel's
    config adds the phone's address and whatever else it needs)."""

    normalise_phone: Callable[[str], str] = field(repr=False)  # any written form → E.164; ValueError if not a phone
    user: str | None = None  # Basic auth; None: the app's default user name
    password: str | None = field(default=None, repr=False)
    signing_key: str | None = field(default=None, repr=False)
    timeout_seconds: float | None = None  # per call; None: the channel's default


def signature_valid(
    key: str | None, raw_body: bytes, signature: str | None, timestamp: str | None, now: float | None = None
) -> bool:
    """True when `signature` is the app's HMAC of this body and timestamp under `key`, and the timestamp is fresh.
    Never raises: anything missing or malformed is simply not valid."""
    if not key or not signature or not timestamp or not (timestamp.isascii() and timestamp.isdigit()):
        return False
    if not signature.isascii():
        return False
    if abs((time.time() if now is None else now) - int(timestamp)) > TIMESTAMP_TOLERANCE_SECONDS:
        return False
    expected = hmac.new(key.encode(), raw_body + timestamp.encode(), hashlib.sha256).hexdigest()
    # Constant-time: a byte-by-byte comparison would tell an attacker how much of a guess was right.
    return hmac.compare_digest(expected.encode(), signature.strip().lower().encode())
