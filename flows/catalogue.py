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


def text(language: str | None, key: str, **params) -> str:
    """The text for `key` in `language` (or its fallback, then French), with `{params}` filled in."""
    for candidate in (language, FALLBACK.get(language or ""), DEFAULT_LANGUAGE):
        if candidate and key in load(candidate):
            return load(candidate)[key].format(**params)
    raise KeyError(f"no text {key!r} in any catalogue")
