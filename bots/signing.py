"""The webhook signature of capcom6's Android apps (SMS Gateway for Android and its companion CallGate): hex
HMAC-SHA256 of the raw body followed by the `X-Timestamp` text, within ±5 minutes of now."""

from __future__ import annotations

import hashlib
import hmac
import time

TIMESTAMP_TOLERANCE_SECONDS = 300


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
