"""Sender-supplied text made harmless where staff read it: terminal control characters and spreadsheet formulas.

Anyone can text the gateway, so a report may carry ANSI escape sequences (clear the screen, hide or rewrite lines
on an officer's terminal) or start with `=` (a formula when a CSV export is opened in a spreadsheet).
"""

from __future__ import annotations

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
