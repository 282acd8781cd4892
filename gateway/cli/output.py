"""Listings for the terminal: an aligned table or JSON (`--format table|json`)."""

from __future__ import annotations

import json
from collections.abc import Sequence

import click

FORMAT_OPTION = click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True, help="Output format."
)


def emit(rows: Sequence[dict], columns: Sequence[str], fmt: str, empty: str = "nothing to show") -> None:
    """Print rows as JSON (all fields) or as a table of `columns`."""
    if fmt == "json":
        click.echo(json.dumps(list(rows), ensure_ascii=False, indent=2, default=str))
        return
    if not rows:
        click.echo(empty)
        return
    cells = [[_cell(row.get(c)) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    click.echo("  ".join(c.upper().ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip())
    for row in cells:
        click.echo("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())


def emit_record(record: dict, fmt: str) -> None:
    """Print one record as JSON or as `key: value` lines."""
    if fmt == "json":
        click.echo(json.dumps(record, ensure_ascii=False, indent=2, default=str))
        return
    width = max(len(k) for k in record)
    for key, value in record.items():
        click.echo(f"{key.ljust(width)}  {_cell(value, limit=None)}")


def _cell(value, limit: int | None = 40) -> str:
    text = "" if value is None else str(value).replace("\n", " ")
    return text if limit is None or len(text) <= limit else text[: limit - 1] + "…"
