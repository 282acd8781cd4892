"""`gateway catalogue export|import|status` as a translation coordinator runs them: the CSV and PO a speaker gets,
an import of what they reviewed, every refusal as one `Error:` line with nothing written, and the coverage."""

from __future__ import annotations

import csv
import io
import json

import polib
import pytest
from click.testing import CliRunner
from sqlalchemy import select

from flows import catalogue
from gateway.cli import main
from gateway.models import AuditEntry

HEADER = "key,source,text,max_length,reviewed"


@pytest.fixture(autouse=True)
def no_imports_after():
    """The catalogue's instance folder belongs to the test that set it."""
    yield
    catalogue.use_folder(None)


@pytest.fixture
def run(env, runtime):
    """Invoke the real `gateway` command with the test environment (stdout and stderr apart)."""
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(main, list(args), env=env, catch_exceptions=False)

    return invoke


@pytest.fixture
def imported(runtime):
    """The instance's imported Bambara catalogue file."""
    return runtime.settings.instance_path / "catalogues" / "bm.json"


def exported(run, language: str = "bm") -> list[dict]:
    result = run("catalogue", "export", "--language", language)
    assert result.exit_code == 0, result.output
    return list(csv.DictReader(io.StringIO(result.stdout)))


def write_csv(tmp_path, rows: list[dict], name: str = "bm.csv") -> str:
    path = tmp_path / name
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=HEADER.split(","))
        writer.writeheader()
        writer.writerows(rows)
    return str(path)


def assert_one_line_error(result, *fragments: str) -> str:
    assert result.exit_code != 0, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines and lines[-1].startswith("Error: "), result.stderr
    assert "Traceback" not in result.output + result.stderr
    assert all(f in result.stderr for f in fragments), result.stderr
    return lines[-1]


def test_csv_export_has_every_french_text_with_the_draft_unreviewed(run):
    result = run("catalogue", "export", "--language", "bm")
    assert result.stdout.splitlines()[0] == HEADER
    rows = {row["key"]: row for row in csv.DictReader(io.StringIO(result.stdout))}
    assert set(rows) == set(catalogue.load("fr"))
    assert rows["help"]["source"] == catalogue.load("fr")["help"]
    assert rows["help"]["text"] == catalogue.entries("bm")["help"].text
    assert {row["reviewed"] for row in rows.values()} == {"no"}
    assert rows["help"]["max_length"] == "160"
    assert int(rows["alert.where"]["max_length"]) < 160, "a long place name takes room"
    assert int(rows["escalation.alert"]["max_length"]) > 300, "two segments for the officers' notice"
    assert rows["triage.more"]["text"] == "", "not drafted yet"


def test_po_export_carries_keys_as_context_and_drafts_as_fuzzy(run, tmp_path):
    target = tmp_path / "bm.po"
    result = run("catalogue", "export", "--language", "bm", "--format", "po", "-o", str(target))
    assert result.exit_code == 0 and result.stdout == ""
    po = polib.pofile(str(target))
    assert po.metadata["Language"] == "bm"
    entry = po.find("help", by="msgctxt")
    assert entry.msgid == catalogue.load("fr")["help"] and "fuzzy" in entry.flags
    assert "max_length: 160" in entry.comment
    assert len(po) == len(catalogue.load("fr"))


def test_english_exports_reviewed_and_french_is_refused(run):
    assert {row["reviewed"] for row in exported(run, "en")} == {"yes"}
    assert_one_line_error(run("catalogue", "export", "--language", "fr"), "French is the source")


def test_import_of_reviewed_rows_makes_them_sendable_and_is_audited(run, runtime, tmp_path, imported):
    rows = exported(run)
    for row in rows:
        if row["key"] in ("report.received", "alert.done"):
            row["reviewed"] = "yes"
    result = run("catalogue", "import", write_csv(tmp_path, rows))
    assert result.exit_code == 0, result.output
    assert result.stdout == "imported bm: 37 texts, 2 reviewed\n"
    assert catalogue.is_reviewed("bm", "report.received") and not catalogue.is_reviewed("bm", "help")
    assert json.loads(imported.read_text())["alert.done"]["reviewed"] is True
    with runtime.db.transaction() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "catalogue_import")).one()
    assert entry.target == "catalogue bm" and "2 reviewed" in entry.detail


def test_po_import_reads_the_language_from_its_header(run, tmp_path):
    target = tmp_path / "relu.po"
    run("catalogue", "export", "--language", "bm", "--format", "po", "-o", str(target))
    po = polib.pofile(str(target))
    entry = po.find("help", by="msgctxt")
    entry.flags.remove("fuzzy")  # the speaker approved it in their PO editor
    po.save(str(target))
    result = run("catalogue", "import", str(target))
    assert result.exit_code == 0, result.output
    assert result.stdout == "imported bm: 37 texts, 1 reviewed\n"
    assert catalogue.is_reviewed("bm", "help")


def test_a_row_reviewed_against_an_older_french_text_stays_unreviewed(run, tmp_path):
    rows = exported(run)
    for row in rows:
        if row["key"] == "help":
            row["reviewed"], row["source"] = "yes", "ALERTE: signaler. (an older French text)"
    result = run("catalogue", "import", write_csv(tmp_path, rows))
    assert result.exit_code == 0, result.output
    assert "help: the French text changed since the export" in result.stderr
    assert not catalogue.is_reviewed("bm", "help")
    status = run("catalogue", "status", "--language", "bm", "--format", "json")
    states = {row["key"]: row["state"] for row in json.loads(status.stdout)["unreviewed"]}
    assert states["help"] == "stale" and states["alert.where"] == "draft" and states["triage.more"] == "missing"


def _with(rows, key, **cells):
    return [dict(row, **cells) if row["key"] == key else row for row in rows]


# (what the speaker's file does wrong, how its rows are changed, what the error says)
BAD_ROWS = [
    ("unknown key", lambda rows: rows + [dict(rows[0], key="no.such.key")], "no.such.key: unknown key"),
    ("key twice", lambda rows: rows + [rows[0]], "help: appears twice"),
    ("placeholder renamed", lambda rows: _with(rows, "alert.done", text="Alerte #{reff} sɛbɛnna."), "{reff} differ"),
    ("placeholder dropped", lambda rows: _with(rows, "alert.done", text="Alerte sɛbɛnna."), "(none) differ"),
    ("bad braces", lambda rows: _with(rows, "alert.done", text="Alerte #{ref sɛbɛnna."), "bad braces"),
    ("too long", lambda rows: _with(rows, "help", text="ɛ" * 161), "too long: 161 characters"),
    ("too long once filled", lambda rows: _with(rows, "alert.where", text="{place} " + "a" * 140), "too long"),
    ("UCS-2 letter", lambda rows: _with(rows, "hint.text", text="Cikan ŝ lankolon"), "UCS-2 (70 characters"),
    ("N'Ko script", lambda rows: _with(rows, "cancel.done", text="ߓߊ߬ߙߏ ߖߏ߬ߙߊ߫"), "UCS-2"),
    ("control characters", lambda rows: _with(rows, "cancel.done", text="Baro \x1b[2Jjora"), "control characters"),
    ("reviewed, no text", lambda rows: _with(rows, "triage.more", reviewed="yes"), "reviewed but has no text"),
    ("reviewed typo", lambda rows: _with(rows, "help", reviewed="peut-être"), "is not yes, no or empty"),
]


@pytest.mark.parametrize(("case", "change", "message"), BAD_ROWS, ids=[c for c, _, _ in BAD_ROWS])
def test_a_bad_row_refuses_the_whole_file(run, tmp_path, imported, case, change, message):
    rows = [dict(row, reviewed="yes") if row["text"] else row for row in exported(run)]
    result = run("catalogue", "import", write_csv(tmp_path, change(rows)))
    assert_one_line_error(result, message, "nothing was written")
    assert not imported.exists()
    assert not catalogue.is_reviewed("bm", "help")


BAD_FILES = [
    ("missing column", "bm.csv", "key,text,reviewed\nhelp,x,yes\n", [], "missing column(s): source"),
    ("empty", "bm.csv", "", [], "the file is empty"),
    ("no language", "relu.csv", HEADER + "\n", [], "which language?"),
    ("French", "relu.csv", HEADER + "\n", ["--language", "fr"], "French is the source"),
    ("English", "en.csv", HEADER + "\n", [], "en is kept with the code"),
    ("two languages", "ff.csv", HEADER + "\n", ["--language", "bm"], "the file is for 'ff', not 'bm'"),
    ("no rows", "bm.csv", HEADER + "\n", [], "no texts in the file"),
    ("not a PO", "bm.po", 'msgid "x\nmsgstr', [], "not a PO file"),
    ("extra cell", "bm.csv", HEADER + "\nhelp,a,b,160,no,extra\n", [], "more cells than columns"),
]


@pytest.mark.parametrize(("case", "name", "content", "options", "message"), BAD_FILES, ids=[c[0] for c in BAD_FILES])
def test_a_bad_file_is_one_error_line(run, tmp_path, imported, case, name, content, options, message):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    assert_one_line_error(run("catalogue", "import", str(path), *options), message)
    assert not imported.exists()


def test_missing_and_non_utf8_files(run, tmp_path):
    assert_one_line_error(run("catalogue", "import", str(tmp_path / "bm.csv")), "no such file")
    latin = tmp_path / "bm.csv"
    latin.write_bytes((HEADER + "\nhelp,é,é,160,no\n").encode("latin-1"))
    assert_one_line_error(run("catalogue", "import", str(latin)), "not UTF-8")


def test_ucs2_is_accepted_only_when_allowed(run, tmp_path, imported):
    rows = _with(exported(run), "cancel.done", text="Baro jora ŝ.")
    assert_one_line_error(run("catalogue", "import", write_csv(tmp_path, rows)), "UCS-2")
    result = run("catalogue", "import", write_csv(tmp_path, rows), "--allow-ucs2")
    assert result.exit_code == 0, result.output
    assert json.loads(imported.read_text())["cancel.done"]["text"] == "Baro jora ŝ."


def test_status_counts_each_language_as_table_and_json(run, tmp_path):
    rows = _with(exported(run), "help", reviewed="yes")
    run("catalogue", "import", write_csv(tmp_path, rows))
    table = run("catalogue", "status")
    assert table.exit_code == 0
    assert table.stdout.splitlines()[0].split() == [
        "LANGUAGE", "KEYS", "TRANSLATED", "REVIEWED", "DRAFT", "STALE", "MISSING", "COVERAGE"
    ]  # fmt: skip
    data = {
        row["language"]: row for row in json.loads(run("catalogue", "status", "--format", "json").stdout)["languages"]
    }
    total = len(catalogue.load("fr"))
    assert set(data) == {"fr", "en", "bm", "ff"}
    assert data["fr"]["reviewed"] == data["en"]["reviewed"] == total
    assert (data["bm"]["reviewed"], data["bm"]["draft"], data["bm"]["missing"]) == (1, 36, total - 37)
    assert data["ff"]["reviewed"] == 0 and data["ff"]["draft"] == len(catalogue.entries("ff"))
    listing = run("catalogue", "status", "--language", "bm")
    assert "help" not in [line.split()[0] for line in listing.stdout.splitlines()[1:]]
    assert_one_line_error(run("catalogue", "status", "--language", "xx"), "no catalogue for 'xx'")
