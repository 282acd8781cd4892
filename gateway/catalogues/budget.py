"""The SMS budget of each catalogue text: filled with the longest realistic values and transliterated as it is sent,
a text must stay GSM-7 and fit its segments (one, two for the officers' escalation notices)."""

from __future__ import annotations

import re
import string
from dataclasses import dataclass

from gateway.messaging.sms_text import GSM7_PART, GSM7_SEGMENT, UCS2_PART, UCS2_SEGMENT, count_segments, to_gsm7

# The longest realistic value of each placeholder: five-digit references, a long place name, a long person's name.
WORST_CASE = {
    "ref": "99999", "place": "Mairie de Dourou-Tanga", "severity": "3", "max": "8", "min": "1",
    "district": "Bandiagara", "commune": "Dourou-Tanga", "category": "école/santé/service fermé",
    "description": "",  # filled by gateway.escalation.notify as far as two segments allow
    "level": "3", "officer": "Souleymane Ongoïba Traoré", "who": "Souleymane Ongoïba Traoré #99999",
    "refs": "#99999 #99998 #99997", "when": "mer. 30 sept. 10h30", "yes": "26", "no": "26", "pending": "26",
    "invitees": "120", "segments": "120", "minutes": "60", "count": "120", "day": "mer.", "d": "30",
    "month": "sept.", "clock": "10h30", "hour": "10", "minute": "30", "where": "Dourou-Tanga", "total": "120",
    "s3": "40", "s2": "40", "s1": "40", "s0": "40", "open": "12", "meetings": "7", "week": "53",
    "services": "ecole? sante? gendarmerie? prefet?", "digits": "4", "example": "1131", "service": "gendarmerie",
    "presence": "partiel", "before": "partiel", "week_label": "2026-W49", "scope": "Tous les cercles",
    "closed": "12", "returned": "12", "overdue": "120", "alerts": "120", "rate": "100 %", "chosen": "bamanankan",
    "name": "Souleymane Ongoïba Traoré", "village": "Dourou-Tanga",
}  # fmt: skip
# A placeholder this table does not know yet is counted as this long.
UNKNOWN_PLACEHOLDER = "x" * 25
# Texts allowed more than one segment (the officers' escalation notices: two).
SEGMENT_ALLOWANCE = {"escalation.alert": 2, "escalation.notice": 2}

_FORMATTER = string.Formatter()


def placeholders(text: str) -> set[str]:
    """The `{names}` a text is filled with; ValueError when its braces are not a valid template."""
    names = set()
    for _literal, field, _spec, _conversion in _FORMATTER.parse(text):
        if field is not None:
            if not re.fullmatch(r"\w+", field):
                raise ValueError(f"placeholder {{{field}}} is not a name")
            names.add(field)
    return names


def worst_fill(text: str) -> str:
    """The text with every placeholder at its longest realistic value."""
    return text.format(**{name: WORST_CASE.get(name, UNKNOWN_PLACEHOLDER) for name in placeholders(text)})


def allowance(key: str) -> int:
    """How many SMS segments the text of `key` may take."""
    return SEGMENT_ALLOWANCE.get(key, 1)


def max_length(key: str, text: str) -> int:
    """Characters (GSM-7) the raw text of `key` may have, its placeholders written as they are, so that it fits its
    segments once filled: what a translator is told."""
    segments = allowance(key)
    room = GSM7_SEGMENT if segments == 1 else GSM7_PART * segments
    # A placeholder may grow ({place}: a long village name) or shrink ({count}: three digits) once filled.
    return room - (len(worst_fill(text)) - len(text))


@dataclass(frozen=True)
class Fit:
    """How a text is sent: its encoding and segments, and whether that is within its key's budget."""

    encoding: str
    units: int
    segments: int
    ok: bool
    reason: str


def check(key: str, text: str, allow_ucs2: bool = False) -> Fit:
    """Whether `text`, filled at its longest and transliterated as it is sent, fits the budget of `key`."""
    count = count_segments(to_gsm7(worst_fill(text)))
    limit = allowance(key)
    if count.encoding != "GSM-7" and not allow_ucs2:
        odd = sorted({ch for ch in to_gsm7(text) if count_segments(ch).encoding != "GSM-7"})
        return Fit(
            count.encoding,
            count.units,
            count.segments,
            False,
            f"would be sent as UCS-2 (70 characters an SMS) because of {' '.join(odd)}",
        )
    if count.segments > limit:
        room = (
            (GSM7_SEGMENT if limit == 1 else GSM7_PART * limit)
            if count.encoding == "GSM-7"
            else (UCS2_SEGMENT if limit == 1 else UCS2_PART * limit)
        )
        return Fit(
            count.encoding,
            count.units,
            count.segments,
            False,
            f"too long: {count.units} characters once filled, {room} fit in {limit} SMS",
        )
    return Fit(count.encoding, count.units, count.segments, True, "")
