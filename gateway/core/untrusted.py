"""Sender-supplied text made harmless where staff read it: terminal control characters and spreadsheet formulas.

Anyone can text the gateway, so a report may carry ANSI escape sequences (clear the screen, hide or rewrite lines
on an officer's terminal) or start with `=` (a formula when a CSV export is opened in a spreadsheet).
"""

from __future__ import annotations

import csv
import io
import re

# C0 controls except newline (tab is replaced by a space first), DEL, and the C1 controls (U+0080–U+009F, among them
# CSI U+009B, which some terminals obey like ESC [).
_CONTROLS = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")

# Cells a spreadsheet takes for a formula (or that Excel turns into one); a leading apostrophe makes them text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
NEUTRALISER = "'"


def for_terminal(text: str) -> str:
    """The text without control characters other than newline; tabs become spaces."""
    return _CONTROLS.sub("", text.replace("\t", " "))


def json_for_terminal(text: str) -> str:
    """JSON text (already ASCII-escaped for C0) with C1 controls and DEL escaped as \\u00XX: the same JSON value,
    nothing a terminal obeys."""
    return re.sub(r"[\x7f-\x9f]", lambda m: f"\\u{ord(m.group()):04x}", text)


def csv_cell(value: object) -> str:
    """A cell for a CSV file staff may open in a spreadsheet: prefixed with `'` when it would start a formula."""
    text = "" if value is None else str(value)
    return NEUTRALISER + text if text.startswith(FORMULA_STARTS) else text


def csv_row(cells) -> list[str]:
    """Every cell of a CSV row through `csv_cell`."""
    return [csv_cell(cell) for cell in cells]


def from_csv_cell(text: str, always: bool = False) -> str:
    """A cell read back from a CSV: the neutralising `'` of `csv_cell` removed (from any cell when `always`, as
    for phone numbers and Telegram ids, which never begin with an apostrophe)."""
    if text.startswith(NEUTRALISER) and (always or text[1:].startswith(FORMULA_STARTS)):
        return text[1:]
    return text


def read_csv_table(
    text: str, columns: tuple[str, ...], optional: tuple[str, ...] = (), error: type[Exception] = ValueError
) -> list[tuple[int, dict[str, str] | None]]:
    """A spreadsheet's CSV text (comma or semicolon separated, byte-order mark tolerated) as (line number, cells by
    lower-cased column) with its header checked; `error` with one reason when the file is empty or its columns are
    wrong; cells None for a line with more cells than columns. Cells are as written: the caller undoes csv_cell."""
    text = text.lstrip("\ufeff")
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    header = [(h or "").strip().lower() for h in (reader.fieldnames or [])]
    if not header or header == [""]:
        raise error("the file is empty: expected a header line with " + ", ".join(columns))
    missing = [c for c in columns if c not in header]
    unknown = [h for h in header if h not in columns + optional]
    if missing or unknown:
        parts = ["missing column(s): " + ", ".join(missing)] if missing else []
        parts += ["unknown column(s): " + ", ".join(unknown)] if unknown else []
        raise error("; ".join(parts) + " (expected: " + ", ".join(columns) + ")")
    reader.fieldnames = header
    return [(reader.line_num, None if None in raw else raw) for raw in reader]
