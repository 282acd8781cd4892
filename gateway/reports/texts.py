"""The bulletin's texts (French, the bulletin's language, and English): headings, column names, the words of the
service table; `texts/bulletin.<language>.json`, with the same keys in both (tests/gateway/reports checks it)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

TEXTS_DIR = Path(__file__).with_name("texts")
LANGUAGES = ("fr", "en")


@cache
def texts(language: str) -> dict[str, str]:
    """Every text of one language (empty when there is none)."""
    path = TEXTS_DIR / f"bulletin.{language}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def text(language: str, key: str, **params) -> str:
    """The text for `key` (French when the language lacks it), with `{params}` filled in; KeyError when unknown."""
    found = texts(language).get(key) or texts("fr")[key]
    return found.format(**params) if params else found
