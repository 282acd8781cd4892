"""The roadmap CSV import: the sample roadmap against the sample directory, every kind of bad line reported with its
number, nothing written unless all lines are valid, and a re-import that updates instead of adding."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from gateway.models import RoadmapItem, RoadmapStatusChange
from gateway.roadmaps.csv_import import RoadmapFileError, apply_rows, natural_key, read_rows, validate
from tests.gateway.roadmaps.support import HEADER, SAMPLE_ROADMAP, import_sample, import_text

pytestmark = pytest.mark.usefixtures("directory")
GOOD = "KORO,Bondo,Bondo,school,Réouverture de l'école de Bondo,Directeur du CAP,2027-03-15,in_progress"


def errors_of(runtime, *lines: str) -> list[str]:
    """The errors of a file made of the header and these lines."""
    with runtime.db.transaction() as session:
        return [str(e) for e in validate(session, read_rows(HEADER + "\n".join(lines) + "\n"))[1]]


def stored(runtime) -> list[tuple]:
    """Every item as (ref, commune, village, service, responsible, due, status)."""
    with runtime.db.transaction() as session:
        return [
            (i.id, i.commune, i.village, i.service, i.responsible, i.due and i.due.isoformat(), i.status)
            for i in session.scalars(select(RoadmapItem).order_by(RoadmapItem.id))
        ]


def history(runtime) -> list[tuple]:
    """Every history row as (item, previous, status, actor)."""
    with runtime.db.transaction() as session:
        rows = session.scalars(select(RoadmapStatusChange).order_by(RoadmapStatusChange.id))
        return [(c.item_id, c.previous, c.status, c.actor) for c in rows]


def test_the_sample_roadmap_imports_cleanly_and_once(runtime):
    first = import_sample(runtime)
    assert (first.created, first.updated, first.unchanged) == (66, 0, 0)
    assert first.unknown_communes == [], "every commune of the sample roadmap has leaders in the sample directory"
    again = import_sample(runtime)
    assert (again.created, again.updated, again.unchanged, again.status_changes) == (0, 0, 66, 0)
    with runtime.db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(RoadmapItem)) == 66
        bondo = session.scalars(select(RoadmapItem.service).where(RoadmapItem.commune == "Bondo")).all()
    assert len(set(bondo)) == 5
    assert len(history(runtime)) == 66 and {h[3] for h in history(runtime)} == {"import"}


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("ATLANTIS,Bondo,,school,Une école,CAP,,", "unknown district 'ATLANTIS' (known: BANDIAGARA, BANKASS, DJENNE,"),
        (",Bondo,,school,Une école,CAP,,", "unknown district ''"),
        ("KORO,,,school,Une école,CAP,,", "commune is empty"),
        ("KORO,Bondo,,school,,CAP,,", "commitment is empty"),
        ("KORO,Bondo,,hospital,Une école,CAP,,", "service 'hospital' is not one of school, health, security,"),
        ("KORO,Bondo,,school,Une école,CAP,15/03/2027,", "due '15/03/2027' is not a date YYYY-MM-DD"),
        ("KORO,Bondo,,school,Une école,CAP,2027-02-30,", "due '2027-02-30' is not a date YYYY-MM-DD"),
        ("KORO,Bondo,,school,Une école,CAP,2027-3-5,", "due '2027-3-5' is not a date YYYY-MM-DD"),
        ("KORO,Bondo,,school,Une école,CAP,,finished", "status 'finished' is not one of planned, in_progress, done,"),
        ("KORO,Bondo,,school,Une école,CAP,,,extra", "more cells than columns"),
        ("KORO," + "B" * 121 + ",,school,Une école,CAP,,", "commune is longer than 120 characters"),
    ],
)
def test_every_bad_line_is_reported_with_its_number(runtime, line, reason):
    [error] = errors_of(runtime, GOOD, line)
    assert error.startswith(f"line 3: {reason}"), error


def test_duplicates_are_found_whatever_the_case_accents_and_spaces(runtime):
    errors = errors_of(
        runtime,
        GOOD,
        "koro, BONDO ,bondo,School,Reouverture de l'ecole  de Bondo,Autre responsable,,done",
        "KORO,Bondo,,school,Réouverture de l'école de Bondo,,,",  # no village: another item
    )
    assert errors == ["line 3: same commitment as line 2 (duplicate)"]


def test_district_by_code_or_name_and_french_service_words(runtime):
    import_text(
        runtime,
        HEADER + "djenné,Djenné,,santé,Médecin de nuit,,,\n"
        "Djenne,Djenné,,Ecole,Cantine,,,In Progress\n"
        "DJENNE,Djenné,,marché,Foire,,,in-progress\n",
    )
    assert [row[3:] for row in stored(runtime)] == [
        ("health", None, None, "planned"), ("school", None, None, "in_progress"), ("market", None, None, "in_progress")
    ]  # fmt: skip


def test_nothing_is_written_unless_every_line_is_valid(runtime):
    with runtime.db.transaction() as session:
        valid, errors = validate(session, read_rows(HEADER + GOOD + "\nKORO,Bondo,,school,X,,demain,\n"))
    assert len(valid) == 1 and len(errors) == 1
    # The CLI and the console stop at the errors: see tests/gateway/cli/test_cli_roadmaps.py for the end to end.
    assert stored(runtime) == []


def test_a_reimport_updates_responsible_due_and_status_and_records_the_change(runtime):
    import_text(runtime, HEADER + GOOD + "\nKORO,Koro,,water,Forage réparé,Mairie,2027-01-01,stalled\n")
    report = import_text(
        runtime,
        HEADER + "KORO,Bondo,Bondo,school,Réouverture de l'école de Bondo,Préfet,2027-04-01,done\n"
        "KORO,Koro,,water,Forage réparé,Mairie,2027-01-01,\n"  # empty status: the stored one stays
        "KORO,Koro,,health,Infirmier,,,\n",
    )
    assert (report.created, report.updated, report.unchanged, report.status_changes) == (1, 1, 1, 1)
    assert stored(runtime) == [
        (1, "Bondo", "Bondo", "school", "Préfet", "2027-04-01", "done"),
        (2, "Koro", None, "water", "Mairie", "2027-01-01", "stalled"),
        (3, "Koro", None, "health", None, None, "planned"),
    ]
    assert history(runtime) == [
        (1, None, "in_progress", "import"), (2, None, "stalled", "import"), (1, "in_progress", "done", "import"),
        (3, None, "planned", "import")]  # fmt: skip


def test_the_directory_spelling_of_a_commune_wins_and_unknown_communes_are_reported(runtime):
    report = import_text(runtime, HEADER + "KORO,BONDO,,school,École,,,\nKORO,Nulle-Part,,water,Forage,,,\n")
    assert [row[1] for row in stored(runtime)] == ["Bondo", "Nulle-Part"]
    assert report.unknown_communes == ["Nulle-Part"]


def test_the_natural_key_folds_case_accents_and_spaces():
    assert natural_key("KORO", "Bondo", None, "school", "École  de Bondo") == natural_key(
        "koro", " BONDO", "", "SCHOOL", "ecole de bondo"
    )
    assert natural_key("KORO", "Bondo", "Bondo", "school", "x") != natural_key("KORO", "Bondo", None, "school", "x")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the file is empty"),
        ("district,commune,service\n", "missing column(s): village, commitment, responsible, due, status"),
        (HEADER.strip() + ",colour\n", "unknown column(s): colour"),
    ],
)
def test_a_file_with_wrong_columns_is_refused_whole(text, message):
    with pytest.raises(RoadmapFileError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_rows(text)


def test_semicolons_and_formula_marks_are_read_like_the_directory(runtime):
    text = HEADER.replace(",", ";") + "KORO;Bondo;;school;'=Réouverture;CAP;;\n"
    with runtime.db.transaction() as session:
        valid, errors = validate(session, read_rows(text))
        apply_rows(session, valid)
    assert not errors and valid[0].commitment == "=Réouverture"
    assert SAMPLE_ROADMAP.is_file()
