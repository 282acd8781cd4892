"""The directory CSV through the real `gateway contacts import|export` commands (DESIGN.md, "External interface"):
the sample imports cleanly, phones are stored E.164, re-imports are idempotent, and a file with any bad line
writes nothing."""

from __future__ import annotations

import csv
import io
import logging
import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import func, select

from gateway.cli import main
from gateway.models import Contact, District
from tests.conftest import SAMPLE_DIRECTORY

HEADER = SAMPLE_DIRECTORY.read_text(encoding="utf-8").splitlines()[0]
LEADER = "Awa Traoré,+22376123456,,leader,Mopti,MOPTI,Konna,Kotaka,fr,sms,"
OFFICER = "Ali Cissé,+22365000001,1234567,officer,Mopti,KORO,Koro,,fr,telegram,1"
OTHER_OFFICER = OFFICER.replace("5000001,1234567", "5000002,7654321")
SUMMARY = re.compile(r"(\d+) new, (\d+) updated, (\d+) unchanged")


@pytest.fixture(autouse=True)
def _drop_cli_log_handler():
    """The CLI logs to CliRunner's temporary stderr; remove that handler once the test is over."""
    yield
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "_gateway", False)]:
        root.removeHandler(handler)


def gateway(env: dict[str, str], *args: str) -> Result:
    """Run the `gateway` command in-process with the test settings."""
    return CliRunner().invoke(main, list(args), env=env)


def write_csv(tmp_path: Path, *lines: str, name: str = "directory.csv", encoding: str = "utf-8") -> Path:
    """A directory file made of the sample header and the given lines."""
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding=encoding)
    return path


def sample_rows() -> list[dict[str, str]]:
    """The sample directory, read with the csv module."""
    return list(csv.DictReader(io.StringIO(SAMPLE_DIRECTORY.read_text(encoding="utf-8"))))


def summary(result: Result) -> tuple[int, int, int]:
    """The (new, updated, unchanged) counts an import printed."""
    match = SUMMARY.search(result.stdout)
    assert match, result.output
    return tuple(int(n) for n in match.groups())


def count(runtime, model) -> int:
    """Number of stored rows of a model."""
    with runtime.db.transaction() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_sample_directory_imports_cleanly(env, runtime):
    rows = sample_rows()
    assert len(rows) == 197
    result = gateway(env, "contacts", "import", str(SAMPLE_DIRECTORY))
    assert result.exit_code == 0, result.output
    assert summary(result) == (197, 0, 0)
    with runtime.db.transaction() as session:
        districts = {d.code: (d.name, d.region) for d in session.scalars(select(District))}
        contacts = {c.phone: c for c in session.scalars(select(Contact))}
        levels = {c.name: c.escalation_level for c in contacts.values() if c.role == "officer"}
        stored_districts = {c.phone: c.district.code if c.district else "" for c in contacts.values()}
    assert {code: region for code, (_, region) in districts.items()} == {
        **dict.fromkeys(["MOPTI", "KORO", "BANDIAGARA", "BANKASS", "DJENNE"], "Mopti"),
        **dict.fromkeys(["MACINA", "SEGOU"], "Ségou"),
    }
    assert districts["DJENNE"][0] == "Djenné"
    assert len(contacts) == 197 and all(re.fullmatch(r"\+\d{8,15}", phone) for phone in contacts)
    assert sorted(stored_districts.values()) == sorted(r["district"] for r in rows)
    officers = {r["name"]: int(r["escalation_level"]) for r in rows if r["role"] == "officer"}
    assert levels == officers and set(officers.values()) == {1, 2, 3}


@pytest.mark.parametrize("raw", ["+223 76 12 34 56", "76123456", "0022376123456", "76.12.34.56", "+22376123456"])
def test_phone_is_stored_e164(env, runtime, tmp_path, raw):
    path = write_csv(tmp_path, LEADER.replace("+22376123456", raw))
    result = gateway(env, "contacts", "import", str(path))
    assert result.exit_code == 0, result.output
    with runtime.db.transaction() as session:
        assert session.scalars(select(Contact.phone)).all() == ["+22376123456"]


def test_reimport_is_idempotent_and_a_changed_name_is_an_update(env, runtime, tmp_path):
    assert gateway(env, "contacts", "import", str(SAMPLE_DIRECTORY)).exit_code == 0
    again = gateway(env, "contacts", "import", str(SAMPLE_DIRECTORY))
    assert again.exit_code == 0, again.output
    assert summary(again) == (0, 0, 197)
    assert count(runtime, Contact) == 197
    rows = sample_rows()
    rows[5]["name"] = "Nouveau Nom"
    changed = tmp_path / "changed.csv"
    with changed.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    result = gateway(env, "contacts", "import", str(changed))
    assert result.exit_code == 0, result.output
    assert summary(result) == (0, 1, 196)
    assert count(runtime, Contact) == 197
    with runtime.db.transaction() as session:
        names = session.scalars(select(Contact.name).where(Contact.name == "Nouveau Nom")).all()
    assert names == ["Nouveau Nom"]


def test_dry_run_writes_nothing(env, runtime):
    result = gateway(env, "contacts", "import", "--dry-run", str(SAMPLE_DIRECTORY))
    assert result.exit_code == 0, result.output
    assert "would import" in result.stdout and summary(result) == (197, 0, 0)
    assert count(runtime, Contact) == 0 and count(runtime, District) == 0


BAD_ROWS = [
    ("invalid-number", LEADER.replace("+22376123456", "12345"), ["phone", "12345"]),
    ("unknown-role", LEADER.replace("leader", "chief"), ["role", "chief"]),
    ("unknown-language", LEADER.replace(",fr,", ",xx,"), ["language", "xx"]),
    ("unknown-channel", LEADER.replace(",sms,", ",whatsapp,"), ["channel", "whatsapp"]),
    ("duplicate-phone", OFFICER.replace("+22365000001", "65 00 00 01"), ["same phone", "line 2"]),
    ("duplicate-telegram", LEADER.replace(",,leader", ",1234567,leader"), ["telegram_id", "line 2"]),
    ("level-on-leader", LEADER + "1", ["escalation_level"]),
    ("level-1-without-district", OTHER_OFFICER.replace("KORO", ""), ["district"]),
    ("leader-without-district", LEADER.replace("MOPTI", ""), ["district"]),
]


@pytest.mark.parametrize(("bad", "reason"), [c[1:] for c in BAD_ROWS], ids=[c[0] for c in BAD_ROWS])
def test_a_bad_line_is_reported_and_nothing_is_written(env, runtime, tmp_path, bad, reason):
    path = write_csv(tmp_path, OFFICER, bad)
    result = gateway(env, "contacts", "import", str(path))
    assert result.exit_code != 0
    reports = [line for line in result.stderr.splitlines() if "line 3" in line]
    assert len(reports) == 1, result.output
    assert all(word in reports[0] for word in reason), reports[0]
    assert "line 2:" not in result.stderr
    assert count(runtime, Contact) == 0 and count(runtime, District) == 0


@pytest.mark.parametrize(
    ("header", "pattern"),
    [
        (HEADER.replace("phone,", ""), r"missing(?:(?!expected).)*\bphone\b"),
        (HEADER + ",email", r"\bemail\b"),
    ],
    ids=["missing-phone", "extra-email"],
)
def test_wrong_columns_are_one_clear_error(env, runtime, tmp_path, header, pattern):
    path = tmp_path / "columns.csv"
    path.write_text(header + "\n" + LEADER + "\n", encoding="utf-8")
    result = gateway(env, "contacts", "import", str(path))
    assert result.exit_code != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error:"), result.stderr
    assert re.search(pattern, lines[0]), lines[0]
    assert count(runtime, Contact) == 0


@pytest.mark.parametrize(("delimiter", "encoding"), [(";", "utf-8"), (",", "utf-8-sig")], ids=["semicolon", "bom"])
def test_spreadsheet_variants_import(env, runtime, tmp_path, delimiter, encoding):
    rows = sample_rows()[:12]
    path = tmp_path / "excel.csv"
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), delimiter=delimiter)
        writer.writeheader()
        writer.writerows(rows)
    result = gateway(env, "contacts", "import", str(path))
    assert result.exit_code == 0, result.output
    assert summary(result) == (len(rows), 0, 0)
    with runtime.db.transaction() as session:
        assert sorted(session.scalars(select(Contact.name))) == sorted(r["name"] for r in rows)


def test_latin1_file_is_a_clear_error(env, runtime, tmp_path):
    path = write_csv(tmp_path, LEADER, encoding="latin-1")
    result = gateway(env, "contacts", "import", str(path))
    assert result.exit_code != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "UTF-8" in lines[0], result.stderr
    assert count(runtime, Contact) == 0


def test_missing_file_is_reported(env, tmp_path):
    result = gateway(env, "contacts", "import", str(tmp_path / "nope.csv"))
    assert result.exit_code != 0
    assert "no such file" in result.stderr.lower()


def test_export_round_trip(env, runtime, tmp_path):
    assert gateway(env, "contacts", "import", str(SAMPLE_DIRECTORY)).exit_code == 0
    exported = tmp_path / "export.csv"
    result = gateway(env, "contacts", "export", "--output", str(exported))
    assert result.exit_code == 0, result.output
    text = exported.read_text(encoding="utf-8")
    assert text.splitlines()[0] == HEADER
    assert len(text.splitlines()) == 198
    stdout_export = gateway(env, "contacts", "export")
    assert stdout_export.exit_code == 0 and stdout_export.stdout == text
    again = gateway(env, "contacts", "import", str(exported))
    assert again.exit_code == 0, again.output
    assert summary(again) == (0, 0, 197)


def test_telegram_id_of_a_stored_contact_is_refused(env, runtime, tmp_path):
    first = write_csv(tmp_path, OFFICER, name="first.csv")
    assert gateway(env, "contacts", "import", str(first)).exit_code == 0
    thief = OFFICER.replace("+22365000001", "+22365000002").replace("Ali Cissé", "Autre Personne")
    second = write_csv(tmp_path, LEADER, thief, name="second.csv")
    result = gateway(env, "contacts", "import", str(second))
    assert result.exit_code != 0
    assert re.search(r"line 3\b.*telegram", result.stderr), result.output
    with runtime.db.transaction() as session:
        assert session.scalars(select(Contact.phone)).all() == ["+22365000001"]


# The optional last column `discreet`: the cell → the stored setting, for a new contact and for one already discreet
# (an empty cell, or a file without the column, never undoes a leader's own DISCRET).
DISCREET_CELLS = [
    ("yes", True, True),
    ("oui", True, True),
    ("YES", True, True),
    ("Oui", True, True),
    ("no", False, False),
    ("non", False, False),
    ("", False, True),
]


@pytest.mark.parametrize(("cell", "new", "was_discreet"), DISCREET_CELLS, ids=[c[0] or "empty" for c in DISCREET_CELLS])
def test_discreet_column(env, runtime, tmp_path, cell, new, was_discreet):
    path = write_csv(tmp_path, LEADER + "," + cell)
    assert gateway(env, "contacts", "import", str(path)).exit_code == 0
    with runtime.db.transaction() as session:
        assert session.scalar(select(Contact.discreet)) is new
        session.execute(Contact.__table__.update().values(discreet=True))
    again = gateway(env, "contacts", "import", str(path))
    assert again.exit_code == 0, again.output
    with runtime.db.transaction() as session:
        assert session.scalar(select(Contact.discreet)) is was_discreet


@pytest.mark.parametrize("cell", ["maybe", "1", "true", "y"])
def test_a_bad_discreet_cell_is_that_lines_error(env, runtime, tmp_path, cell):
    path = write_csv(tmp_path, OFFICER, LEADER + "," + cell)
    result = gateway(env, "contacts", "import", str(path))
    assert result.exit_code != 0
    [report] = [line for line in result.stderr.splitlines() if "line 3" in line]
    assert "discreet" in report and repr(cell) in report, report
    assert "line 2:" not in result.stderr
    assert count(runtime, Contact) == 0


def test_a_file_without_the_discreet_column_imports_and_keeps_the_setting(env, runtime, tmp_path):
    old_header = HEADER.replace(",discreet", "")
    assert old_header != HEADER, "the sample has the column"
    path = tmp_path / "old.csv"
    path.write_text(old_header + "\n" + LEADER + "\n", encoding="utf-8")
    assert gateway(env, "contacts", "import", str(path)).exit_code == 0
    with runtime.db.transaction() as session:
        assert session.scalar(select(Contact.discreet)) is False
        session.execute(Contact.__table__.update().values(discreet=True))
    again = gateway(env, "contacts", "import", str(path))
    assert summary(again) == (0, 0, 1)
    with runtime.db.transaction() as session:
        assert session.scalar(select(Contact.discreet)) is True


def test_discreet_is_exported_and_reimported_unchanged(env, runtime, tmp_path):
    assert gateway(env, "contacts", "import", str(SAMPLE_DIRECTORY)).exit_code == 0
    exported = gateway(env, "contacts", "export")
    rows = list(csv.DictReader(io.StringIO(exported.stdout)))
    assert sorted(r["name"] for r in rows if r["discreet"] == "yes") == ["Rokia Poudiougou", "Yacouba Keïta"]
    assert {r["discreet"] for r in rows} == {"yes", ""}
    path = tmp_path / "export.csv"
    path.write_text(exported.stdout, encoding="utf-8")
    assert summary(gateway(env, "contacts", "import", str(path))) == (0, 0, 197)


def test_export_neutralises_formulas_and_still_reimports(env, runtime, tmp_path):
    """Cells that a spreadsheet would run as formulas start with `'`; the export re-imports to the same contacts."""
    hostile = '=HYPERLINK("http://x";"Awa"),+22376123456,,leader,Mopti,MOPTI,@SUM(A1),-Kotaka,fr,sms,'
    path = write_csv(tmp_path, hostile, OFFICER)
    assert gateway(env, "contacts", "import", str(path)).exit_code == 0
    exported = gateway(env, "contacts", "export").stdout
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert [r["phone"] for r in rows] == ["'+22376123456", "'+22365000001"]
    assert rows[0]["name"].startswith("'=HYPERLINK") and rows[0]["commune"] == "'@SUM(A1)"
    assert rows[0]["village"] == "'-Kotaka" and rows[1]["telegram_id"] == "1234567"
    starts = ("=", "+", "-", "@", "\t", "\r")
    assert not any(cell.startswith(starts) for r in rows for cell in r.values()), "a live formula cell"

    again = tmp_path / "again.csv"
    again.write_text(exported, encoding="utf-8")
    result = gateway(env, "contacts", "import", str(again))
    assert result.exit_code == 0, result.output
    assert summary(result) == (0, 0, 2), "the neutralised file is the same directory"
    with runtime.db.transaction() as session:
        awa = session.scalars(select(Contact).where(Contact.phone == "+22376123456")).one()
        assert (awa.name, awa.commune, awa.village) == ('=HYPERLINK("http://x";"Awa")', "@SUM(A1)", "-Kotaka")


def test_an_apostrophe_before_a_number_or_telegram_id_is_accepted(env, runtime, tmp_path):
    """Spreadsheet users type '+223… or '1234567 to keep a number as text: the import takes the number."""
    path = write_csv(tmp_path, OFFICER.replace(",+22365000001,1234567,", ",'+22365000001,'1234567,"))
    result = gateway(env, "contacts", "import", str(path))
    assert result.exit_code == 0, result.output
    with runtime.db.transaction() as session:
        assert session.execute(select(Contact.phone, Contact.telegram_id)).all() == [("+22365000001", 1234567)]
