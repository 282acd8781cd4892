"""Status changes and meeting links at the domain level: every move but to the current status is allowed and
appended to the history; of two people moving an item at the same moment the second is refused; meetings link
within the item's district only; who may edit (admin, the region's coordinator, the district's facilitator)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from gateway.models import Meeting, RoadmapItem, RoadmapStatusChange, utcnow
from gateway.roadmaps.changes import RoadmapError, link_meeting, may_edit, set_status, unlink_meeting
from tests.gateway.roadmaps.support import HEADER, import_text
from tests.staff_users import ROLES, scope_of

pytestmark = pytest.mark.usefixtures("directory")
ROADMAP = HEADER + "KORO,Bondo,,school,École de Bondo,CAP,2026-12-01,\nMACINA,Kokry,,health,Infirmier,,,\n"
MOVES = ["in_progress", "stalled", "in_progress", "done", "reversed", "planned", "done"]


def history(runtime, item_id: int = 1) -> list[tuple]:
    """(previous, status, note, actor) of an item's history, oldest first."""
    with runtime.db.transaction() as session:
        rows = session.scalars(
            select(RoadmapStatusChange).where(RoadmapStatusChange.item_id == item_id).order_by(RoadmapStatusChange.id)
        )
        return [(c.previous, c.status, c.note, c.actor) for c in rows]


def test_every_move_but_to_the_current_status_is_recorded(runtime):
    import_text(runtime, ROADMAP)
    for status in MOVES:
        with runtime.db.transaction() as session:
            set_status(session, session.get(RoadmapItem, 1), status, f"  vers {status} ", "awa@example.org")
    steps = history(runtime)
    assert steps[0] == (None, "planned", None, "import")
    assert [s[:2] for s in steps[1:]] == list(zip(["planned", *MOVES[:-1]], MOVES, strict=True))
    assert steps[-1][2:] == ("vers done", "awa@example.org")


@pytest.mark.parametrize(
    ("status", "note", "code"),
    [("planned", None, "same_status"), ("finished", None, "unknown_status"), ("DONE", None, "unknown_status"),
     ("done", "x" * 1001, "note_too_long")],
)  # fmt: skip
def test_refused_moves_write_nothing(runtime, status, note, code):
    import_text(runtime, ROADMAP)
    with pytest.raises(RoadmapError) as refused:
        with runtime.db.transaction() as session:
            set_status(session, session.get(RoadmapItem, 1), status, note, "cli")
    assert refused.value.code == code and str(refused.value)
    assert len(history(runtime)) == 1
    with runtime.db.transaction() as session:
        assert session.get(RoadmapItem, 1).status == "planned"


def test_of_two_simultaneous_moves_the_second_is_refused(runtime):
    import_text(runtime, ROADMAP)
    with pytest.raises(RoadmapError) as refused:
        with runtime.db.transaction() as session:
            item = session.get(RoadmapItem, 1)
            assert item.status == "planned"  # what the second person's form was built from
            with runtime.db.transaction() as other:
                set_status(other, other.get(RoadmapItem, 1), "done", None, "first@example.org")
            set_status(session, item, "stalled", None, "second@example.org")
    assert refused.value.code == "changed_meanwhile"
    assert [h[1:] for h in history(runtime)] == [("planned", None, "import"), ("done", None, "first@example.org")]


def test_meetings_link_once_and_only_within_the_district(runtime):
    import_text(runtime, ROADMAP)
    with runtime.db.transaction() as session:
        koro, macina = session.get(RoadmapItem, 1), session.get(RoadmapItem, 2)
        when = utcnow() + timedelta(days=2)
        here = Meeting(district_id=koro.district_id, starts_at=when, place="Bondo")
        there = Meeting(district_id=macina.district_id, starts_at=when, place="Kokry")
        session.add_all([here, there])
        session.flush()
        link_meeting(session, koro, here)
        assert [m.place for m in koro.meetings] == ["Bondo"]
        for refused, code in ((lambda: link_meeting(session, koro, here), "already_linked"),
                              (lambda: link_meeting(session, koro, there), "other_district"),
                              (lambda: unlink_meeting(session, koro, there), "not_linked")):  # fmt: skip
            with pytest.raises(RoadmapError) as caught:
                refused()
            assert caught.value.code == code
        unlink_meeting(session, koro, here)
        assert koro.meetings == []


EDITS = {"admin": {1, 2}, "coord_mopti": {1}, "coord_segou": {2}, "fac_koro": {1}, "fac_macina": {2},
         "officer_koro": set(), "observer": set()}  # fmt: skip


@pytest.mark.parametrize("role", list(ROLES))
def test_who_may_edit(runtime, role):
    import_text(runtime, ROADMAP)
    scope = scope_of(runtime, role)
    with runtime.db.transaction() as session:
        items = session.scalars(select(RoadmapItem).order_by(RoadmapItem.id)).all()
        assert {i.id for i in items if may_edit(scope, i)} == EDITS[role]


def test_an_unchanged_item_keeps_its_updated_at_when_a_move_is_refused(runtime):
    import_text(runtime, ROADMAP)
    with runtime.db.transaction() as session:
        session.execute(update(RoadmapItem).values(updated_at=utcnow() - timedelta(days=1)))
    with runtime.db.transaction() as session:
        before = session.get(RoadmapItem, 1).updated_at
    with pytest.raises(RoadmapError), runtime.db.transaction() as session:
        set_status(session, session.get(RoadmapItem, 1), "planned", None, "cli")
    with runtime.db.transaction() as session:
        assert session.get(RoadmapItem, 1).updated_at == before
