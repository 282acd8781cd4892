"""SMS text: keep French, Bambara and Fulfulde in the GSM-7 alphabet (160 characters a segment) and count what a text
costs."""

from __future__ import annotations

import math
from dataclasses import dataclass

# GSM 03.38 basic character set (one septet each).
GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Extension table: two septets each (escape + character).
GSM7_EXTENDED = set("^{}\\[~]|€\f")

# French characters outside GSM-7, and the punctuation phones and keyboards put in French text.
# `ç` is deliberately here: GSM's 0x09 is a capital Ç, and handsets disagree about the small one.
FRENCH_TRANSLITERATION = {
    "â": "a", "ê": "e", "ë": "e", "î": "i", "ï": "i", "ô": "o", "û": "u", "ÿ": "y", "ç": "c",
    "œ": "oe", "Œ": "OE", "À": "A", "Â": "A", "È": "E", "Ê": "E", "Ë": "E", "Î": "I", "Ï": "I",
    "Ô": "O", "Ù": "U", "Û": "U", "Ÿ": "Y", "’": "'", "‘": "'", "´": "'", "«": '"', "»": '"',
    "“": '"', "”": '"', "…": "...", "–": "-", "—": "-", "\u00a0": " ", "\u202f": " ",
}  # fmt: skip

# Letters of Bambara and Fulfulde outside GSM-7, replaced the way people type them on basic phones: ɛ and ɔ as the
# older orthography's è and ò (in GSM-7, and still telling ɛ from e), ɲ and ŋ as ny and ng, the hooked ɓ ɗ ƴ plain.
# GSM-7 has no capital È or Ò, so capital Ɛ and Ɔ lose their accent.
MALIAN_TRANSLITERATION = {
    "ɛ": "è", "Ɛ": "E", "ɔ": "ò", "Ɔ": "O", "ɲ": "ny", "Ɲ": "Ny", "ŋ": "ng", "Ŋ": "Ng",
    "ɓ": "b", "Ɓ": "B", "ɗ": "d", "Ɗ": "D", "ƴ": "y", "Ƴ": "Y",
}  # fmt: skip
# Everything `to_gsm7` replaces.
TRANSLITERATION = {**FRENCH_TRANSLITERATION, **MALIAN_TRANSLITERATION}

GSM7_SEGMENT, GSM7_PART = 160, 153
UCS2_SEGMENT, UCS2_PART = 70, 67


def is_gsm7(text: str) -> bool:
    """True when every character of the text exists in GSM-7 (basic or extension table)."""
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENDED for ch in text)


def to_gsm7(text: str) -> str:
    """Transliterate French, Bambara and Fulfulde characters so the text stays GSM-7; texts with other non-GSM
    characters are kept as they are (they are UCS-2 anyway, so the accents cost nothing more)."""
    converted = "".join(TRANSLITERATION.get(ch, ch) for ch in text)
    return converted if is_gsm7(converted) else text


@dataclass(frozen=True)
class SegmentCount:
    """How an SMS text is encoded and how many segments it takes."""

    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets for GSM-7, UTF-16 code units for UCS-2
    segments: int


def count_segments(text: str) -> SegmentCount:
    """Segments needed to send `text` as one SMS (concatenated parts carry a 6-octet header)."""
    if is_gsm7(text):
        units = sum(2 if ch in GSM7_EXTENDED else 1 for ch in text)
        single, part, encoding = GSM7_SEGMENT, GSM7_PART, "GSM-7"
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, part, encoding = UCS2_SEGMENT, UCS2_PART, "UCS-2"
    segments = 1 if units <= single else math.ceil(units / part)
    return SegmentCount(encoding=encoding, units=units, segments=max(segments, 1))
