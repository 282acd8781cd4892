"""`gateway roadmaps import|list|set-status` as an administrator runs them: what each prints, what it records (the
history with actor `cli`, the audit log), and one clear `Error:` line and a non-zero exit for every refusal."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from gateway.cli import main
from gateway.models import AuditEntry, Meeting, RoadmapItem, RoadmapStatusChange, utcnow
from tests.gateway.roadmaps.support import HEADER, SAMPLE_ROADMAP

pytestmark = pytest.mark.usefixtures("directory")


@pytest.fixture
def run(env):
    """Invoke the real `gateway` command with the test environment (stdout and stderr apart)."""
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(main, list(args), env=env, catch_exceptions=False)

    return invoke


def write(tmp_path, text: str, name: str = "roadmap.csv") -> str:
    """Write a CSV file in the test's folder; its path."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def counts(runtime) -> tuple[int, int, int]:
    """(items, history rows, audit rows)."""
    with runtime.db.transaction() as session:
        return tuple(
            session.scalar(select(func.count()).select_from(model))
            for model in (RoadmapItem, RoadmapStatusChange, AuditEntry)
        )


def assert_one_line_error(result, *fragments: str) -> str:
    """Non-zero exit, no traceback, one `Error:` line holding every fragment; return it."""
    assert result.exit_code != 0, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines and lines[-1].startswith("Error: "), result.stderr
    assert "Traceback" not in result.output + result.stderr
    assert all(f in lines[-1] for f in fragments), lines[-1]
    return lines[-1]


def test_import_dry_run_then_import_then_again(run, runtime):
    dry = run("roadmaps", "import", str(SAMPLE_ROADMAP), "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert dry.stdout == "would import 66 items: 66 new, 0 updated, 0 unchanged; 0 status change(s)\n"
    assert counts(runtime) == (0, 0, 0), "a dry run writes nothing, not even an audit row"
    done = run("roadmaps", "import", str(SAMPLE_ROADMAP))
    assert done.stdout == "imported 66 items: 66 new, 0 updated, 0 unchanged; 0 status change(s)\n"
    assert counts(runtime) == (66, 66, 1)
    again = run("roadmaps", "import", str(SAMPLE_ROADMAP))
    assert again.stdout == "imported 66 items: 0 new, 0 updated, 66 unchanged; 0 status change(s)\n"
    assert counts(runtime) == (66, 66, 2)


def test_a_file_with_bad_lines_lists_them_all_and_writes_nothing(run, runtime, tmp_path):
    path = write(
        tmp_path,
        HEADER + "KORO,Bondo,,school,École,CAP,2027-01-01,\n"
        "ATLANTIS,Bondo,,school,École,CAP,,\n"
        "KORO,Bondo,,school,Cantine,CAP,demain,\n"
        "KORO,Bondo,,school,École,Autre,,\n",
    )
    result = run("roadmaps", "import", path)
    assert_one_line_error(result, "3 invalid line(s); nothing was written")
    lines = result.stderr.splitlines()
    assert lines[0].startswith(f"{path}: line 3: unknown district 'ATLANTIS'")
    assert lines[1] == f"{path}: line 4: due 'demain' is not a date YYYY-MM-DD"
    assert lines[2] == f"{path}: line 5: same commitment as line 2 (duplicate)"
    assert counts(runtime) == (0, 0, 0)


@pytest.mark.parametrize(
    ("content", "fragment"),
    [(None, "no such file"), (b"\xff\xfe\x00", "not UTF-8 text"), (b"name,phone\n", "missing column(s)")],
)
def test_unusable_files(run, runtime, tmp_path, content, fragment):
    path = tmp_path / "roadmap.csv"
    if content is not None:
        path.write_bytes(content)
    assert_one_line_error(run("roadmaps", "import", str(path)), fragment)
    assert counts(runtime) == (0, 0, 0)


def test_unknown_communes_are_warned_about(run, tmp_path):
    result = run("roadmaps", "import", write(tmp_path, HEADER + "KORO,Nulle-Part,,water,Forage,,,\n"))
    assert result.exit_code == 0
    assert "no leader of the directory lives in Nulle-Part" in result.stderr


def test_list_marks_overdue_items_and_filters(run, tmp_path):
    run(
        "roadmaps",
        "import",
        write(
            tmp_path,
            HEADER + "KORO,Bondo,,school,École de Bondo,CAP,2020-01-01,stalled\n"
            "KORO,Koro,,water,Forage,,,done\n"
            "MACINA,Kokry,,health,Infirmier,,2099-01-01,\n",
        ),
    )
    table = run("roadmaps", "list", "--district", "koro").stdout.splitlines()
    assert table[0].split() == ["REF", "DISTRICT", "COMMUNE", "VILLAGE", "SERVICE", "COMMITMENT", "DUE", "STATUS",
                                "LATE"]  # fmt: skip
    assert table[1].split() == ["R1", "KORO", "Bondo", "school", "École", "de", "Bondo", "2020-01-01", "stalled",
                                "OVERDUE"]  # fmt: skip
    assert table[2].split() == ["R2", "KORO", "Koro", "water", "Forage", "done"]
    rows = json.loads(run("roadmaps", "list", "--format", "json").stdout)
    assert [(r["ref"], r["overdue"]) for r in rows] == [("R1", True), ("R2", False), ("R3", False)]
    assert [
        r["ref"] for r in json.loads(run("roadmaps", "list", "--status", "planned", "--format", "json").stdout)
    ] == ["R3"]
    assert run("roadmaps", "list", "--status", "reversed").stdout == "no roadmap items\n"
    assert_one_line_error(run("roadmaps", "list", "--district", "ATLANTIS"), "unknown district 'ATLANTIS'", "KORO")
    assert_one_line_error(run("roadmaps", "list", "--status", "fini"), "unknown status 'fini'", "in_progress")


def test_set_status_records_history_with_actor_cli_and_audits(run, runtime, tmp_path):
    run("roadmaps", "import", write(tmp_path, HEADER + "KORO,Bondo,,school,École,CAP,,\n"))
    with runtime.db.transaction() as session:
        item = session.get(RoadmapItem, 1)
        meeting = Meeting(district_id=item.district_id, starts_at=utcnow() - timedelta(days=1), place="Mairie")
        session.add(meeting)
    result = run("roadmaps", "set-status", "#r1", "in_progress", "--note", "enseignants arrivés", "--meeting", "#1")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "R1: planned -> in_progress (meeting #1 linked)\n"
    with runtime.db.transaction() as session:
        item = session.get(RoadmapItem, 1)
        last = item.history[-1]
        assert (last.previous, last.status, last.note, last.actor) == (
            "planned", "in_progress", "enseignants arrivés", "cli")  # fmt: skip
        assert [m.place for m in item.meetings] == ["Mairie"]
        actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions[-2:] == ["roadmap_status", "roadmap_meeting_link"]


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("R9", "done"), "no roadmap item 'R9'"),
        (("S1", "done"), "no roadmap item 'S1'"),
        (("R1", "finished"), "unknown status 'finished'"),
        (("R1", "planned"), "R1 is already planned"),
        (("R1", "done", "--meeting", "77"), "no meeting '77'"),
        (("R1", "done", "--note", "x" * 1001), "the note is longer than 1000 characters"),
    ],
)
def test_set_status_refusals_change_nothing(run, runtime, tmp_path, args, fragment):
    run("roadmaps", "import", write(tmp_path, HEADER + "KORO,Bondo,,school,École,CAP,,\n"))
    before = counts(runtime)
    assert_one_line_error(run("roadmaps", "set-status", *args), fragment)
    assert counts(runtime) == before
