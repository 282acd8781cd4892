"""Listings for the terminal: an aligned table or JSON (`--format table|json`); sender-supplied text is printed
without control characters (gateway/core/untrusted.py) by every helper here. Also what every CSV import command
shares: reading the file, reporting its bad lines, rolling a dry run back."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import click

from gateway.core.untrusted import for_terminal, json_for_terminal

FORMAT_OPTION = click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True, help="Output format."
)


def say(text: object = "", **kwargs) -> None:
    """click.echo for a line that may hold sender-supplied text: control characters removed."""
    click.echo(for_terminal(str(text)), **kwargs)


def emit_json(value) -> None:
    """Print a value as indented JSON, with nothing in it that a terminal would obey."""
    click.echo(json_for_terminal(json.dumps(value, ensure_ascii=False, indent=2, default=str)))


def emit(rows: Sequence[dict], columns: Sequence[str], fmt: str, empty: str = "nothing to show") -> None:
    """Print rows as JSON (all fields) or as a table of `columns`."""
    if fmt == "json":
        emit_json(list(rows))
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
        emit_json(record)
        return
    width = max(len(k) for k in record)
    for key, value in record.items():
        say(f"{key.ljust(width)}  {_cell(value, limit=None)}")


def _cell(value, limit: int | None = 40) -> str:
    text = "" if value is None else for_terminal(str(value)).replace("\n", " ")
    return text if limit is None or len(text) <= limit else text[: limit - 1] + "…"


# An import shows at most this many bad lines; the rest are counted.
MAX_ERRORS_SHOWN = 50


class DryRun(Exception):
    """Raised inside an import's transaction to roll a dry run back."""


def read_csv_file(path: str) -> str:
    """A CSV file's text (UTF-8, with or without a byte-order mark), or one clear error line."""
    file = Path(path)
    if not file.is_file():
        raise click.ClickException(f"{path}: no such file")
    try:
        return file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise click.ClickException(f"{path}: not UTF-8 text (save the CSV as UTF-8)") from None


def fail_with_errors(file: str, errors: list) -> None:
    """Print an import's bad lines to standard error and stop: nothing was written."""
    for error in errors[:MAX_ERRORS_SHOWN]:
        click.echo(for_terminal(f"{file}: {error}"), err=True)
    more = len(errors) - MAX_ERRORS_SHOWN
    if more > 0:
        click.echo(f"{file}: … and {more} more", err=True)
    raise click.ClickException(f"{file}: {len(errors)} invalid line(s); nothing was written")
