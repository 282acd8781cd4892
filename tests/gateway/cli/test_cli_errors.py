"""The `gateway` command as a user runs it (`python -m gateway …` in a real process): every failure exits non-zero,
never shows a traceback, and ends in one `Error:` line; per-line reports of a directory file each start with the
file name."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from gateway.models import Contact
from tests.conftest import SAMPLE_DIRECTORY
from tests.processes import subprocess_env

HEADER = SAMPLE_DIRECTORY.read_text(encoding="utf-8").splitlines()[0]
LEADER = "Awa Traoré,{phone},,leader,Mopti,MOPTI,Konna,Kotaka,fr,sms,"

pytestmark = pytest.mark.slow  # every test starts the command as a real process


def run_gateway(env: dict[str, str], net_log: Path, *args: str) -> subprocess.CompletedProcess:
    """Run `python -m gateway ARGS` as a real process with the test settings."""
    return subprocess.run(
        [sys.executable, "-m", "gateway", *args],
        env=subprocess_env(env, net_log),
        capture_output=True,
        text=True,
        timeout=60,
    )


def error_lines(result: subprocess.CompletedProcess) -> list[str]:
    """The non-empty lines the command wrote to standard error."""
    return [line for line in result.stderr.splitlines() if line.strip()]


def assert_clean_failure(result: subprocess.CompletedProcess) -> str:
    """Non-zero exit, no traceback, exactly one `Error:` line and it is the last; return that line."""
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stdout + result.stderr
    lines = error_lines(result)
    errors = [line for line in lines if line.startswith("Error:")]
    assert len(errors) == 1 and lines[-1] == errors[0], result.stderr
    return errors[0]


def write_file(tmp_path: Path, text: str) -> Path:
    """A CSV file in tmp_path."""
    path = tmp_path / "directory.csv"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "no such file"),
        (HEADER.replace("phone,", "") + "\n", r"missing(?:(?!expected).)*\bphone\b"),
        (HEADER.replace("name,", "nom,") + "\n", r"\bnom\b"),
        ("", "empty"),
    ],
    ids=["missing-file", "missing-column", "unknown-column", "empty-file"],
)
def test_unusable_file_is_a_single_error_line(env, net_log, tmp_path, content, expected):
    path = tmp_path / "nonexistent.csv" if content is None else write_file(tmp_path, content)
    result = run_gateway(env, net_log, "contacts", "import", str(path))
    line = assert_clean_failure(result)
    assert error_lines(result) == [line]
    assert str(path) in line and re.search(expected, line.lower()), line


def test_invalid_numbers_are_reported_per_line_then_one_error(env, net_log, tmp_path, runtime):
    phones = ["+22376123456", "12345", "+22365000001", "not a number"]
    path = write_file(tmp_path, "\n".join([HEADER, *(LEADER.format(phone=p) for p in phones)]) + "\n")
    result = run_gateway(env, net_log, "contacts", "import", str(path))
    line = assert_clean_failure(result)
    reports = error_lines(result)[:-1]
    assert [r.split(": ", 1)[0] for r in reports] == [str(path)] * 2, result.stderr
    assert "line 3" in reports[0] and "12345" in reports[0]
    assert "line 5" in reports[1] and "not a number" in reports[1]
    assert re.search(r"\b2\b", line) and str(path) in line
    assert contact_count(runtime) == 0


def contact_count(runtime) -> int:
    """Number of contacts stored."""
    with runtime.db.transaction() as session:
        return session.scalar(select(func.count()).select_from(Contact))


@pytest.mark.parametrize(
    ("args", "named"),
    [(["frobnicate"], "frobnicate"), (["contacts", "frobnicate"], "frobnicate"), (["contacts", "import"], "FILE")],
    ids=["top-level", "contacts-sub-command", "missing-argument"],
)
def test_usage_errors_exit_non_zero_with_one_error_line(env, net_log, args, named):
    result = run_gateway(env, net_log, *args)
    line = assert_clean_failure(result)
    assert named in line


def test_success_prints_no_error(env, net_log, tmp_path, runtime):
    path = write_file(tmp_path, "\n".join([HEADER, LEADER.format(phone="76 12 34 56")]) + "\n")
    result = run_gateway(env, net_log, "contacts", "import", str(path))
    assert result.returncode == 0, result.stderr
    assert "Error:" not in result.stderr and "1 new" in result.stdout
    assert contact_count(runtime) == 1
