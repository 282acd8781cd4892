"""CSV cells that a spreadsheet cannot run: a cell beginning with `=`, `+`, `-`, `@`, a tab or a carriage return is
read as a formula by Excel and LibreOffice (CSV/formula injection, OWASP); every export of untrusted text goes
through `neutralise`, which prefixes such a cell with an apostrophe, as OWASP recommends."""

from __future__ import annotations

from collections.abc import Iterable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: object) -> str:
    """The cell as text that a spreadsheet shows as written, never evaluates (None → empty)."""
    text = "" if cell is None else str(cell)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def neutralise_row(cells: Iterable[object]) -> list[str]:
    """Every cell of a row neutralised."""
    return [neutralise(cell) for cell in cells]
