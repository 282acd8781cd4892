"""The counts table of the fault suite: one row per case, filled in by the test as it counts, printed at the end of
the run and written to tests/faults/last_table.md for the README's reliability section."""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

TABLE_PATH = Path(__file__).resolve().parent / "last_table.md"
COLUMNS = ("case", "sent", "stored/delivered", "duplicates", "lost", "5xx", "time (s)", "result")


@dataclass
class Row:
    """One case's counts; every cell is free text so that a case can say what it counted."""

    nodeid: str
    case: str
    sent: str = "-"
    stored: str = "-"
    duplicates: str = "-"
    lost: str = "-"
    five_xx: str = "-"
    seconds: float | None = None
    outcome: str = "not run"

    def set(self, **cells) -> None:
        """Fill cells (numbers are formatted with thousands separators)."""
        for name, value in cells.items():
            setattr(self, name, f"{value:,}" if isinstance(value, int) else str(value))

    def cells(self) -> tuple[str, ...]:
        """The row, in COLUMNS order."""
        seconds = "-" if self.seconds is None else f"{self.seconds:.0f}"
        return (self.case, self.sent, self.stored, self.duplicates, self.lost, self.five_xx, seconds, self.outcome)


ROWS: list[Row] = []
_SESSION_START = time.monotonic()


def row_for(nodeid: str, case: str) -> Row:
    """The row of a test; the parametrized variants of one test function share one row (`nodeid` without [...])."""
    base = nodeid.split("[", 1)[0]
    for row in ROWS:
        if row.nodeid == base:
            return row
    row = Row(base, case)
    ROWS.append(row)
    return row


def record_outcome(nodeid: str, when: str, passed: bool, skipped: bool, duration: float) -> None:
    """Note a test phase's outcome and duration on its row: any failing phase fails the row."""
    for row in ROWS:
        if row.nodeid != nodeid.split("[", 1)[0]:
            continue
        row.seconds = (row.seconds or 0.0) + duration
        if not passed and not skipped:
            row.outcome = "FAIL"
        elif when == "call" and row.outcome != "FAIL":
            row.outcome = "pass"


def database_label() -> str:
    """Which database the run used."""
    url = os.environ.get("TEST_DATABASE_URL")
    return f"PostgreSQL ({make_url(url).database})" if url else "SQLite"


def render() -> str:
    """The table as Markdown, with a line saying on what it was measured."""
    lines = [
        f"Fault-injection suite on {database_label()}, Redis, gunicorn with 2 workers and RQ workers, "
        f"{os.cpu_count()} CPU cores; whole run {time.monotonic() - _SESSION_START:.0f} s.",
        "",
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "|".join("---" for _ in COLUMNS) + "|",
    ]
    lines += ["| " + " | ".join(cell.replace("|", "/") for cell in row.cells()) + " |" for row in ROWS]
    return "\n".join(lines) + "\n"


def write() -> str:
    """Write this run's table into last_table.md, keeping the other database's table of an earlier run (CI runs
    the suite on SQLite, then on PostgreSQL); the rendered text of this run."""
    text = render()
    label = database_label().split(" ")[0]
    begin, end = f"<!-- {label} -->", f"<!-- /{label} -->"
    old = TABLE_PATH.read_text(encoding="utf-8") if TABLE_PATH.exists() else ""
    kept = re.sub(rf"{re.escape(begin)}.*?{re.escape(end)}\n*", "", old, flags=re.S) if begin in old else old
    sections = [kept.strip()] if kept.strip().startswith("<!--") else []
    sections.append(f"{begin}\n{text}{end}")
    ordered = sorted(sections, key=lambda section: "PostgreSQL" in section[:20])
    TABLE_PATH.write_text("\n\n".join(ordered) + "\n", encoding="utf-8")
    return text
