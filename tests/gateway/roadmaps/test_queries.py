"""The roadmap queries other parts build on: references, the overdue list (due before the local day, not done) and
the progress counts of a district (each item once; past due and not done counts as overdue)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from gateway.models import District
from gateway.roadmaps.items import local_today, overdue_items, parse_ref, progress_counts, ref, tracked_services
from tests.gateway.roadmaps.support import HEADER, import_text

pytestmark = pytest.mark.usefixtures("directory")

KORO_ROADMAP = HEADER + (
    "KORO,Bondo,,school,École de Bondo rouverte,CAP,2026-12-01,in_progress\n"
    "KORO,Bondo,,health,Infirmier au CSCom,District sanitaire,2026-12-07,planned\n"
    "KORO,Bondo,,security,Patrouille conjointe,Brigade,2026-11-20,done\n"
    "KORO,Koro,,water,Forage réparé,Mairie,,stalled\n"
    "KORO,Koro,,market,Foire rouverte,Mairie,2026-12-06,reversed\n"
    "MOPTI,Konna,,justice,Juge de paix présent,Tribunal,2026-01-01,\n"
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("R12", 12), ("r12", 12), ("#R12", 12), ("12", 12), ("#12", 12), (" R 7 ", 7), ("R", None), ("S12", None),
     ("12a", None), ("", None), (None, None), ("-3", None)],
)  # fmt: skip
def test_references_are_read_with_or_without_r_and_hash(text, expected):
    assert parse_ref(text) == expected
    if expected:
        assert ref(expected) == f"R{expected}"


def test_overdue_means_due_before_the_local_day_and_not_done(runtime):
    import_text(runtime, KORO_ROADMAP)
    today = date(2026, 12, 7)
    with runtime.db.transaction() as session:
        koro = session.scalar(select(District).where(District.code == "KORO"))
        late = [(i.commune, i.service) for i in overdue_items(session, today, district_ids=[koro.id])]
        everywhere = [(i.commune, i.service) for i in overdue_items(session, today)]
    # due today is not late yet; done is never late; no due date is never late; oldest due date first
    assert late == [("Bondo", "school"), ("Koro", "market")]
    assert everywhere == [("Konna", "justice"), ("Bondo", "school"), ("Koro", "market")]


def test_progress_counts_each_item_once(runtime):
    import_text(runtime, KORO_ROADMAP)
    with runtime.db.transaction() as session:
        koro = session.scalar(select(District).where(District.code == "KORO"))
        counts = progress_counts(session, koro.id, date(2026, 12, 7))
        later = progress_counts(session, koro.id, date(2026, 12, 8))
        mopti = session.scalar(select(District).where(District.code == "MOPTI"))
        assert progress_counts(session, mopti.id, date(2025, 12, 31)) == {
            "done": 0, "in_progress": 0, "stalled": 0, "overdue": 0, "planned": 1, "reversed": 0}  # fmt: skip
    assert counts == {"done": 1, "in_progress": 0, "stalled": 1, "overdue": 2, "planned": 1, "reversed": 0}
    assert later == {"done": 1, "in_progress": 0, "stalled": 1, "overdue": 3, "planned": 0, "reversed": 0}


def test_the_local_day_is_the_districts_day():
    # 23:30 UTC on 6 December is already 7 December in a zone ahead of UTC, still the 6th in Bamako.
    moment = datetime(2026, 12, 6, 23, 30, tzinfo=UTC)
    assert local_today("Africa/Bamako", moment) == date(2026, 12, 6)
    assert local_today("Africa/Addis_Ababa", moment) == date(2026, 12, 7)


def test_tracked_services_per_commune_in_the_pulse_order(runtime):
    import_text(runtime, KORO_ROADMAP + "KORO,Bondo,Bondo,school,Cantine de Bondo,Mairie,,\n")
    with runtime.db.transaction() as session:
        koro = session.scalar(select(District).where(District.code == "KORO"))
        mopti = session.scalar(select(District).where(District.code == "MOPTI"))
        assert tracked_services(session, [koro.id]) == {
            (koro.id, "Bondo"): ["school", "health", "security"],
            (koro.id, "Koro"): ["water", "market"],
        }
        assert tracked_services(session)[(mopti.id, "Konna")] == ["justice"]
