"""Masking of phone numbers and secrets, so that logs and errors never hold them in full."""

from __future__ import annotations

import re

# Phone-like runs, even glued to letters (`From=%2B223…`, `contact_223…`): an international number (+ or 00
# then 8–15 digits, spaces/dots/dashes allowed), a local number written in pairs (`76 12 34 56`), or any
# unbroken run of 8+ digits (which also covers Telegram ids). Dates and times (`2026-12-05 10:00`) are left alone.
_PHONE_RUN = re.compile(r"(?<!\d)(?:(?:\+|00)\d(?:[ .\-]?\d){7,14}|\d{2}(?:[ .\-]\d{2}){3}|\d{8,})(?!\d)")


def mask_digits(value: str) -> str:
    """Mask every digit but the last two: `+22376123456` → `+*********56`."""
    digits = sum(ch.isdigit() for ch in value)
    seen = 0
    out = []
    for ch in value:
        if ch.isdigit():
            seen += 1
            out.append(ch if seen > digits - 2 else "*")
        else:
            out.append(ch)
    return "".join(out)


def mask_address(address: str | int | None) -> str:
    """A phone number or chat id with all but its last two digits masked."""
    if address is None:
        return "-"
    return mask_digits(str(address))


def mask_phone_numbers(text: str) -> str:
    """Mask every phone-number-like run of digits inside a free text."""
    return _PHONE_RUN.sub(lambda m: mask_digits(m.group(0)), text)


def redact_secrets(text: str, secrets: tuple[str, ...]) -> str:
    """Replace every occurrence of a secret value by `***`."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    return text
