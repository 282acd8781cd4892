"""Phone numbers: any common Malian or international form → E.164, Mali the default region."""

from __future__ import annotations

import phonenumbers

DEFAULT_REGION = "ML"


class InvalidPhone(ValueError):
    """The text is not a valid phone number."""


def to_e164(raw: str, region: str = DEFAULT_REGION) -> str:
    """Normalise `+223 76 12 34 56`, `76123456`, `0022376123456`… to `+22376123456`; raise InvalidPhone."""
    text = (raw or "").strip()
    if not text:
        raise InvalidPhone("phone number is empty")
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise InvalidPhone("not a phone number") from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone("not a valid phone number") from None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
