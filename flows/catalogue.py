"""Message texts by language. French is the reference and English is kept with it; Bambara, Fulfulde and any other
language are drafts whose entries are sent only once a speaker reviewed them (French is sent instead until then).

fr.json and en.json are flat `key → text` files. A draft language's file maps each key to
`{"text", "reviewed", "source"}`, where `source` is the hash of the French text the translator had before them: an
entry counts as reviewed only while it is flagged so *and* the French text still hashes to it, so rewording the
French un-reviews its translations. Imports (`gateway catalogue import`) are written to `<instance>/catalogues/`,
whose entries override the shipped ones key by key (a pip-installed package is read-only).
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

log = logging.getLogger(__name__)

CATALOGUES = Path(__file__).parent / "catalogues"
DEFAULT_LANGUAGE = "fr"
# Languages whose texts are written with the code, reviewed by whoever changes them: never drafts.
REFERENCE_LANGUAGES = ("fr", "en")
# Languages of the directory that may have no catalogue file yet, and the language they borrow.
FALLBACK = {"bm": "fr", "ff": "fr"}
# Suffix of the variants said to discreet contacts: the same answer without a word of what was reported.
DISCREET_SUFFIX = ".discreet"

_instance_folder: Path | None = None


@dataclass(frozen=True)
class Entry:
    """One draft-language text: what it says, whether a speaker approved it, and the French it translates."""

    text: str
    reviewed: bool
    source: str  # source_hash() of the French text the translation was made (or reviewed) from

    def as_json(self) -> dict:
        """The entry as its catalogue file holds it."""
        return {"text": self.text, "reviewed": self.reviewed, "source": self.source}


def use_folder(folder: Path | None) -> None:
    """Read imported catalogues from `folder` (the instance's `catalogues/`), or from nowhere when None."""
    global _instance_folder
    _instance_folder = Path(folder) if folder is not None else None


def source_hash(french: str) -> str:
    """A short fingerprint of a French text: a translation reviewed against it stays reviewed while it is unchanged."""
    return hashlib.sha256(french.encode("utf-8")).hexdigest()[:16]


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return (stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=64)
def _read(path: Path, stamp: tuple[int, int] | None) -> dict:
    if stamp is None:
        return {}
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        if path.parent == CATALOGUES:
            raise  # a broken shipped catalogue is a bug the tests catch
        # A hand-edited import that no longer parses must not stop every answer: its language falls back to French.
        log.error("catalogue %s is unreadable; its texts fall back to French", path.name)
        return {}
    return content if isinstance(content, dict) else {}


def _json(path: Path) -> dict:
    """A JSON file's content, re-read when it changes (an import while the gateway runs); {} when absent."""
    return _read(path, _stamp(path))


@dataclass(frozen=True)
class _Draft:
    entries: dict[str, Entry]
    sendable: dict[str, str]  # the reviewed entries' texts


@lru_cache(maxsize=32)
def _draft(language: str, paths: tuple[Path, ...], stamps: tuple) -> _Draft:
    if not paths:
        return _Draft({}, {})
    french = _read(paths[0], stamps[0])
    merged: dict[str, Entry] = {}
    for path, stamp in zip(paths[1:], stamps[1:], strict=True):
        for key, raw in _read(path, stamp).items():
            if isinstance(raw, dict) and isinstance(raw.get("text"), str):
                merged[key] = Entry(raw["text"], raw.get("reviewed") is True, str(raw.get("source") or ""))
    sendable = {
        key: entry.text
        for key, entry in merged.items()
        if entry.reviewed and key in french and entry.source == source_hash(french[key])
    }
    return _Draft(merged, sendable)


def _draft_of(language: str) -> _Draft:
    """A draft language's entries and what of it may be sent, rebuilt only when one of its files changed."""
    if not (language or "").isalpha():  # a code never names a path
        return _draft(language, (), ())
    paths = [CATALOGUES / f"{DEFAULT_LANGUAGE}.json", CATALOGUES / f"{language}.json"]
    if _instance_folder is not None:
        paths.append(_instance_folder / f"{language}.json")
    return _draft(language, tuple(paths), tuple(_stamp(p) for p in paths))


def entries(language: str) -> dict[str, Entry]:
    """Every entry of a draft language, shipped then imported (an import wins key by key); {} for fr and en."""
    if language in REFERENCE_LANGUAGES:
        return {}
    return dict(_draft_of(language).entries)


def is_reviewed(language: str, key: str) -> bool:
    """True when `key` may be sent in `language`: always for fr and en; for a draft language, when a speaker marked
    it reviewed against the French text as it is now."""
    return language in REFERENCE_LANGUAGES or key in _draft_of(language).sendable


def load(language: str) -> dict[str, str]:
    """The texts that may be sent in one language: the whole file for fr and en, the reviewed entries of a draft
    (empty when there is no catalogue for it)."""
    if language in REFERENCE_LANGUAGES:
        return _json(CATALOGUES / f"{language}.json")
    return _draft_of(language).sendable


def languages() -> list[str]:
    """Languages that have a catalogue file (shipped or imported)."""
    folders = [CATALOGUES] + ([_instance_folder] if _instance_folder is not None else [])
    return sorted({p.stem for folder in folders if folder.is_dir() for p in folder.glob("*.json")})


def draft_languages() -> list[str]:
    """Languages whose entries need a speaker's review."""
    return [language for language in languages() if language not in REFERENCE_LANGUAGES]


def text(language: str | None, key: str, *, discreet: bool = False, **params) -> str:
    """The text for `key` in `language` (or its fallback, then French), with `{params}` filled in; for a discreet
    contact, its `<key>.discreet` variant when there is one. A draft's unreviewed entry is never chosen."""
    chain = [c for c in (language, FALLBACK.get(language or ""), DEFAULT_LANGUAGE) if c]
    keys = (key + DISCREET_SUFFIX, key) if discreet else (key,)
    for wanted in keys:
        for candidate in chain:
            texts = load(candidate)
            if wanted in texts:
                return texts[wanted].format(**params)
    raise KeyError(f"no text {key!r} in any catalogue")


def for_contact(contact, key: str, **params) -> str:
    """The text for `key` as this directory contact reads it: their language, discreet when they asked for it."""
    return text(contact.language, key, discreet=bool(getattr(contact, "discreet", False)), **params)
