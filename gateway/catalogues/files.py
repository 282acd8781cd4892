"""A language's texts as a file for its translators, CSV or PO (gettext, read by Poedit, Weblate and the like), and
such a file read back as rows; the PO side is polib's."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

import polib

from flows import catalogue
from gateway.catalogues import budget
from gateway.core.untrusted import csv_row, from_csv_cell, read_csv_table

CSV_COLUMNS = ("key", "source", "text", "max_length", "reviewed")
REQUIRED_COLUMNS = ("key", "source", "text", "reviewed")
YES, NO = "yes", "no"
REVIEWED_VALUES = {"yes": True, "oui": True, "y": True, "1": True, "true": True, "x": True,
                   "no": False, "non": False, "n": False, "0": False, "false": False, "": False}  # fmt: skip
# A file named bm.csv, catalogue-bm.po, ff_relu.csv… says its language.
_NAMED_LANGUAGE = re.compile(r"(?:^|[-_.])([a-z]{2,3})(?:$|[-_.])")


class CatalogueFileError(Exception):
    """A file that cannot be read as a catalogue at all (one reason for the whole file)."""


@dataclass(frozen=True)
class Row:
    """One text of a translator's file."""

    line: int
    key: str
    source: str
    text: str
    reviewed: bool
    error: str | None = None  # why the line could not be read


@dataclass(frozen=True)
class ExportRow:
    """One text as a translator gets it."""

    key: str
    source: str
    text: str
    max_length: int
    reviewed: bool


def export_rows(language: str) -> list[ExportRow]:
    """Every French text with its translation in `language` (empty when there is none) and whether it is reviewed."""
    french = catalogue.load(catalogue.DEFAULT_LANGUAGE)
    reference = catalogue.load(language) if language in catalogue.REFERENCE_LANGUAGES else {}
    drafts = catalogue.entries(language)
    rows = []
    for key, source in french.items():
        text = reference.get(key, drafts[key].text if key in drafts else "")
        rows.append(ExportRow(key, source, text, budget.max_length(key, source), catalogue.is_reviewed(language, key)))
    return rows


def to_csv(rows: list[ExportRow]) -> str:
    """The rows as CSV with the header `key,source,text,max_length,reviewed`."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow(csv_row([row.key, row.source, row.text, row.max_length, YES if row.reviewed else NO]))
    return out.getvalue()


def to_po(language: str, rows: list[ExportRow]) -> str:
    """The rows as a PO file: the key is the context, French the msgid; an unreviewed translation is `fuzzy`."""
    po = polib.POFile(wrapwidth=0)
    po.metadata = {"Project-Id-Version": "community-gateway", "Language": language,
                   "MIME-Version": "1.0", "Content-Type": "text/plain; charset=UTF-8",
                   "Content-Transfer-Encoding": "8bit"}  # fmt: skip
    for row in rows:
        flags = ["python-brace-format"] + (["fuzzy"] if row.text and not row.reviewed else [])
        po.append(polib.POEntry(msgctxt=row.key, msgid=row.source, msgstr=row.text, flags=flags,
                                comment=f"max_length: {row.max_length} (one SMS once filled)"))  # fmt: skip
    return str(po)


def language_of(path: str, text: str, given: str | None) -> str:
    """The file's language: `--language`, else a PO file's `Language` header, else its name (bm.csv)."""
    named = None
    if path.lower().endswith(".po"):
        named = (read_po_language(text) or "").strip().lower() or None
    if named is None:
        found = _NAMED_LANGUAGE.findall(Path(path).stem.lower())
        named = next((code for code in found if code in catalogue.draft_languages() + ["en", "fr"]), None)
    if given and named and given != named:
        raise CatalogueFileError(f"the file is for {named!r}, not {given!r}")
    language = given or named
    if not language:
        raise CatalogueFileError("which language? give --language L (or name the file bm.csv)")
    return language


def read_po_language(text: str) -> str | None:
    """A PO file's `Language` header."""
    return _po(text).metadata.get("Language")


def _po(text: str) -> polib.POFile:
    try:
        return polib.pofile(text)
    except (OSError, ValueError) as exc:
        raise CatalogueFileError(f"not a PO file ({str(exc)[:80]})") from None


def read_rows(path: str, text: str) -> list[Row]:
    """The file's texts, CSV or PO by its name."""
    return _read_po(text) if path.lower().endswith(".po") else _read_csv(text)


def _read_csv(text: str) -> list[Row]:
    table = read_csv_table(text, REQUIRED_COLUMNS, optional=("max_length",), error=CatalogueFileError)
    rows = []
    for line, cells in table:
        if cells is None:
            rows.append(Row(line, "", "", "", False, "more cells than columns (a comma in a text needs quotes)"))
            continue
        cell = {name: from_csv_cell((cells.get(name) or "").strip()) for name in REQUIRED_COLUMNS}
        reviewed = REVIEWED_VALUES.get(cell["reviewed"].lower())
        error = None if reviewed is not None else f"reviewed {cell['reviewed']!r} is not yes, no or empty"
        rows.append(Row(line, cell["key"], cell["source"], cell["text"], bool(reviewed), error))
    return rows


def _read_po(text: str) -> list[Row]:
    rows = []
    for entry in _po(text):
        if entry.obsolete:
            continue
        reviewed = bool(entry.msgstr) and "fuzzy" not in entry.flags
        error = None if entry.msgctxt else "no msgctxt: every text needs its key as context"
        rows.append(Row(entry.linenum, entry.msgctxt or "", entry.msgid, entry.msgstr, reviewed, error))
    return rows
