"""A translator's file checked and written to the instance's catalogue, all or nothing; and how far each language
is: translated, reviewed, reviewed against a French text that has changed since (stale)."""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from flows import catalogue
from gateway.catalogues import budget
from gateway.catalogues.files import Row

# A catalogue text is one line of printable text: it is sent by SMS and printed on staff's terminals.
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@dataclass
class Checked:
    """What an import would write, why it cannot, and what deserves a word."""

    entries: dict[str, catalogue.Entry] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def importable(language: str) -> str | None:
    """Why texts of `language` cannot be imported, or None."""
    if language == catalogue.DEFAULT_LANGUAGE:
        return "French is the source: change flows/catalogues/fr.json"
    if language in catalogue.REFERENCE_LANGUAGES:
        return f"{language} is kept with the code: change flows/catalogues/{language}.json"
    if not language.isascii() or not language.isalpha() or not 2 <= len(language) <= 3:
        return f"{language!r} is not a language code (bm, ff…)"
    return None


def check_rows(rows: list[Row], allow_ucs2: bool = False) -> Checked:
    """Every row against the French source: a known key once, the same placeholders, the SMS budget of its key once
    transliterated, no UCS-2 unless allowed. A row whose French changed since the export is kept unreviewed."""
    french = catalogue.load(catalogue.DEFAULT_LANGUAGE)
    out, seen = Checked(), set()
    for row in rows:
        problem = row.error or _problem(row, french, seen, allow_ucs2)
        seen.add(row.key)
        if problem:
            out.errors.append(f"line {row.line}: {row.key + ': ' if row.key else ''}{problem}")
            continue
        if not row.text:
            continue  # not translated: the French is sent
        if row.source != french[row.key]:
            out.warnings.append(
                f"line {row.line}: {row.key}: the French text changed since the export; kept unreviewed"
            )
        out.entries[row.key] = catalogue.Entry(row.text, row.reviewed, catalogue.source_hash(row.source))
    return out


def _problem(row: Row, french: dict[str, str], seen: set[str], allow_ucs2: bool) -> str | None:
    if not row.key:
        return "no key"
    if row.key not in french:
        return "unknown key"
    if row.key in seen:
        return "appears twice"
    if not row.text:
        return "marked reviewed but has no text" if row.reviewed else None
    if _CONTROLS.search(row.text):
        return "control characters or line breaks in the text"
    try:
        found = budget.placeholders(row.text)
    except ValueError as exc:
        return f"bad braces ({exc})"
    wanted = budget.placeholders(french[row.key])
    if found != wanted:
        return f"placeholders {_names(found)} differ from the French {_names(wanted)}"
    fit = budget.check(row.key, row.text, allow_ucs2)
    return None if fit.ok else fit.reason


def _names(names: set[str]) -> str:
    return " ".join(f"{{{n}}}" for n in sorted(names)) or "(none)"


def write(folder: Path, language: str, entries: dict[str, catalogue.Entry]) -> Path:
    """Merge `entries` into the instance's catalogue of `language` (written whole, then renamed into place)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{language}.json"
    current = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    current.update({key: entry.as_json() for key, entry in entries.items()})
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{language}.", suffix=".tmp")
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        json.dump(current, out, ensure_ascii=False, indent=2, sort_keys=True)
        out.write("\n")
    os.replace(temporary, path)
    return path


def coverage() -> list[dict]:
    """One row a language: keys of the French source, translated, reviewed, stale and missing, and the share
    reviewed."""
    french = catalogue.load(catalogue.DEFAULT_LANGUAGE)
    rows = []
    for language in catalogue.languages():
        states = [state(language, key) for key in french]
        reviewed = states.count("reviewed")
        rows.append({
            "language": language,
            "keys": len(french),
            "translated": len(french) - states.count("missing"),
            "reviewed": reviewed,
            "draft": states.count("draft"),
            "stale": states.count("stale"),
            "missing": states.count("missing"),
            "coverage": f"{100 * reviewed // max(len(french), 1)} %",
        })  # fmt: skip
    return rows


def unreviewed(language: str) -> list[dict]:
    """The keys of `language` that are not sent in it, and why (missing, draft or stale)."""
    french = catalogue.load(catalogue.DEFAULT_LANGUAGE)
    rows = []
    for key, source in french.items():
        why = state(language, key)
        if why != "reviewed":
            rows.append({"key": key, "state": why, "source": source})
    return rows


def state(language: str, key: str) -> str:
    """`reviewed` (sent), `stale` (reviewed against an older French text), `draft` (not reviewed) or `missing`."""
    if language in catalogue.REFERENCE_LANGUAGES:
        return "reviewed" if key in catalogue.load(language) else "missing"
    entry = catalogue.entries(language).get(key)
    if entry is None:
        return "missing"
    if catalogue.is_reviewed(language, key):
        return "reviewed"
    return "stale" if entry.reviewed else "draft"
