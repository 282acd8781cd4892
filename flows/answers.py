"""Tolerant yes/no answers in French, English, Bambara and Fulfulde ("oui je viens", "Non.", "awɔ", "ayi", "eey",
"alaa", 1/2)."""

from __future__ import annotations

from flows.keywords import normalise

YES_WORDS = ("oui", "ouii", "ouai", "ouais", "yes", "yep", "y", "o", "1", "ok", "awo", "awa", "owo", "ayo", "eey", "ee")
NO_WORDS = ("non", "nn", "no", "nope", "n", "2", "ayi", "ayii", "aye", "alaa", "ala")


def yes_or_no(text: str) -> bool | None:
    """True for yes, False for no, None when the first word is neither."""
    words = normalise(text).split()
    if not words:
        return None
    first = words[0]
    if first in YES_WORDS:
        return True
    if first in NO_WORDS:
        return False
    return None
