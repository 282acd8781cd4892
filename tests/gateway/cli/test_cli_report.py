"""`gateway report bulletin` as an operator runs it: a district's bulletin by code or name as HTML or PDF, all
districts' with --all, the last complete week by default; every mistake is one `Error:` line and a non-zero exit,
with nothing written."""

from __future__ import annotations

import subprocess
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from gateway.cli import main
from gateway.reports.weeks import IsoWeek
from tests.gateway.reports.support import REPORTER_NAME, SECRET, koro_week


@pytest.fixture
def run(env):
    """Invoke the real `gateway` command with the test environment (stdout and stderr apart)."""
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(main, list(args), env=env, catch_exceptions=False)

    return invoke


@pytest.fixture
def koro(runtime, directory):
    """Koro's week 49 (tests/gateway/reports/support.py)."""
    return koro_week(runtime)


def test_html_of_a_district_by_name(run, koro, tmp_path):
    out = tmp_path / "koro.html"
    result = run("report", "bulletin", "--district", "koro", "--week", "2026-W49", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"{out}: Koro, 2026-W49"
    page = out.read_text(encoding="utf-8")
    assert "Bulletin hebdomadaire — Koro — semaine 2026-W49" in page and "fermeture signalée" in page
    assert REPORTER_NAME not in page and SECRET not in page


def test_pdf_of_all_districts(run, koro, tmp_path):
    out = tmp_path / "tous.PDF"
    result = run("report", "bulletin", "--all", "--week", "2026w49", "--out", str(out))
    assert result.exit_code == 0, result.output
    text = subprocess.run(["pdftotext", str(out), "-"], check=True, capture_output=True, text=True).stdout
    assert "Tous les cercles" in " ".join(text.split()) and "Konna" in text


def test_the_last_complete_week_by_default(run, runtime, directory, tmp_path):
    out = tmp_path / "b.html"
    result = run("report", "bulletin", "--district", "DJENNE", "--out", str(out))
    assert result.exit_code == 0, result.output
    week = IsoWeek.last_complete(datetime.now(ZoneInfo("Africa/Bamako")).date())
    assert f"semaine {week.label}" in out.read_text(encoding="utf-8") and "Djenné" in result.stdout


MISTAKES = [
    (("--district", "NOWHERE", "--out", "{tmp}/b.pdf"), "unknown district 'NOWHERE' (known: BANDIAGARA, BANKASS"),
    (("--district", "KORO", "--week", "2026-49", "--out", "{tmp}/b.pdf"), "is not an ISO week: expected YYYY-Www"),
    (("--district", "KORO", "--week", "2025-W53", "--out", "{tmp}/b.pdf"), "the year 2025 has no week 53"),
    (("--district", "KORO", "--out", "{tmp}/b.docx"), "the file must end in .pdf or .html"),
    (("--district", "KORO", "--out", "{tmp}/missing/b.pdf"), "cannot write there"),
    (("--district", "KORO", "--out", "{tmp}"), "the file must end in .pdf or .html"),
    (("--district", "KORO", "--all", "--out", "{tmp}/b.pdf"), "give either --district D or --all"),
    (("--out", "{tmp}/b.pdf"), "give either --district D or --all"),
]


@pytest.mark.parametrize(("args", "reason"), MISTAKES, ids=[m[1][:30] for m in MISTAKES])
def test_mistakes_are_one_line_and_write_nothing(run, directory, tmp_path, args, reason):
    folder = tmp_path / "out"
    folder.mkdir()
    result = run("report", "bulletin", *[a.format(tmp=folder) for a in args])
    assert result.exit_code != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert reason in lines[-1] and lines[-1].startswith("Error:"), result.stderr
    assert "Traceback" not in result.output and list(folder.iterdir()) == [], "nothing written"


def test_a_folder_that_cannot_be_written(run, directory, tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    try:
        result = run("report", "bulletin", "--district", "KORO", "--out", str(locked / "b.pdf"))
    finally:
        locked.chmod(0o700)
    if result.exit_code == 0:  # root writes anywhere: then the file must really be there
        assert (locked / "b.pdf").read_bytes().startswith(b"%PDF")
    else:
        assert "cannot write there" in result.stderr and not (locked / "b.pdf").exists()
