"""Message texts by language. French is the reference; Bambara and Fulfulde fall back to it until translated."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

CATALOGUES = Path(__file__).parent / "catalogues"
DEFAULT_LANGUAGE = "fr"
# Languages of the directory whose texts are not written yet, and the language they borrow.
FALLBACK = {"bm": "fr", "ff": "fr"}


@cache
def load(language: str) -> dict[str, str]:
    """The catalogue of one language (empty when there is no file for it)."""
    path = CATALOGUES / f"{language}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def languages() -> list[str]:
    """Languages that have a catalogue file."""
    return sorted(p.stem for p in CATALOGUES.glob("*.json"))


# Suffix of the variants said to discreet contacts: the same answer without a word of what was reported.
DISCREET_SUFFIX = ".discreet"


def text(language: str | None, key: str, *, discreet: bool = False, **params) -> str:
    """The text for `key` in `language` (or its fallback, then French), with `{params}` filled in; for a discreet
    contact, its `<key>.discreet` variant when there is one."""
    chain = [c for c in (language, FALLBACK.get(language or ""), DEFAULT_LANGUAGE) if c]
    keys = (key + DISCREET_SUFFIX, key) if discreet else (key,)
    for wanted in keys:
        for candidate in chain:
            if wanted in load(candidate):
                return load(candidate)[wanted].format(**params)
    raise KeyError(f"no text {key!r} in any catalogue")


def for_contact(contact, key: str, **params) -> str:
    """The text for `key` as this directory contact reads it: their language, discreet when they asked for it."""
    return text(contact.language, key, discreet=bool(getattr(contact, "discreet", False)), **params)
