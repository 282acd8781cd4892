"""The roadmap routes of the API: the access table (route × role × an item in and out of the role's scope), the
list's filters and pages, the item's history, meetings and alerts, and every refusal with its code and no change."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from gateway.models import (
    Alert,
    AlertSource,
    AlertStatus,
    AuditEntry,
    Meeting,
    RoadmapItem,
    RoadmapStatusChange,
    utcnow,
)
from gateway.roadmaps.changes import link_meeting
from tests.gateway.api.conftest import assert_error
from tests.gateway.roadmaps.support import HEADER, import_text
from tests.staff_users import ROLES, SEES

EDITORS = {"admin", "coord_mopti", "coord_segou", "fac_koro", "fac_macina"}  # of the items they see
ROUTES = {
    "list": ("GET", "/roadmaps", None, 200),
    "show": ("GET", "/roadmaps/{ref}", None, 200),
    "status": ("POST", "/roadmaps/{ref}/status", {"status": "in_progress", "note": "le directeur est arrivé"}, 200),
}
ROADMAP = HEADER + (
    "KORO,Bondo,Bondo,school,Réouverture de l'école de Bondo,Directeur du CAP,2020-01-15,planned\n"
    "MACINA,Kokry,,health,Infirmier au CSCom de Kokry,District sanitaire,2099-01-01,\n"
    "KORO,Koro,,water,Forage réparé,Mairie,,done\n"
)


@pytest.fixture
def items(runtime, directory) -> dict[str, str]:
    """The roadmap above: district → reference of its first item (KORO's overdue)."""
    import_text(runtime, ROADMAP)
    return {"KORO": "R1", "MACINA": "R2"}


def footprint(runtime) -> tuple:
    """What a status change writes: statuses, history rows, audit rows."""
    with runtime.db.transaction() as session:
        statuses = [(i.id, i.status) for i in session.scalars(select(RoadmapItem).order_by(RoadmapItem.id))]
        history = session.scalar(select(func.count()).select_from(RoadmapStatusChange))
        audit = session.scalar(select(func.count()).select_from(AuditEntry))
    return statuses, history, audit


def expected(route: str, role: str, district: str) -> int:
    """404 out of scope (nothing tells it from unknown), then 403 for a role that may not change the item."""
    if route != "list" and district not in SEES[role]:
        return 404
    if route == "status" and role not in EDITORS:
        return 403
    return ROUTES[route][3]


CASES = [(route, role, district) for route in ROUTES for role in ROLES for district in ("KORO", "MACINA")]


@pytest.mark.parametrize("route,role,district", CASES, ids=["-".join(case) for case in CASES])
def test_access_table(api, runtime, staff, items, route, role, district):
    method, path, body, _ = ROUTES[route]
    before = footprint(runtime)
    response = api(method, path.format(ref=items[district]), role, body)
    status = expected(route, role, district)
    if status >= 400:
        assert_error(response, status, {403: "forbidden", 404: "not_found"}[status])
        assert footprint(runtime) == before, "a refused request changes nothing"
        return
    assert response.status_code == status, response.get_json()
    answer = response.get_json()
    if route == "list":
        assert {i["district"] for i in answer["roadmaps"]} == SEES[role], "each role reads its scope, observer too"
        return
    assert answer["ref"] == items[district] and answer["district"] == district
    if route == "status":
        assert answer["status"] == "in_progress"
        assert answer["history"][-1] | {"at": None} == {
            "at": None, "status": "in_progress", "previous": "planned", "note": "le directeur est arrivé",
            "actor": staff.emails[role]}  # fmt: skip
        statuses, history, audit = footprint(runtime)
        assert history == before[1] + 1 and audit == before[2] + 1, "recorded in the history and audited"


def test_list_filters_and_overdue_marks(api, items):
    everything = api("GET", "/roadmaps", "admin").get_json()
    assert [(i["ref"], i["overdue"]) for i in everything["roadmaps"]] == [("R1", True), ("R2", False), ("R3", False)]
    assert everything["roadmaps"][0] == {
        "ref": "R1", "district": "KORO", "commune": "Bondo", "village": "Bondo", "service": "school",
        "commitment": "Réouverture de l'école de Bondo", "responsible": "Directeur du CAP", "due": "2020-01-15",
        "status": "planned", "overdue": True}  # fmt: skip
    refs = {
        "?district=koro": ["R1", "R3"],
        "?district=Ségou": [],  # the district of Ségou, by its name: no item
        "?district=macina&status=planned": ["R2"],
        "?status=done": ["R3"],
        "?overdue=1": ["R1"],
        "?overdue=0": ["R1", "R2", "R3"],
    }
    for query, expected_refs in refs.items():
        response = api("GET", "/roadmaps" + query, "observer")
        if expected_refs is None:
            assert_error(response, 422)
            continue
        assert [i["ref"] for i in response.get_json()["roadmaps"]] == expected_refs, query
    for bad in ("?status=finished", "?overdue=yes", "?district=NOWHERE", "?limit=0"):
        assert_error(api("GET", "/roadmaps" + bad, "admin"), 422)


def test_pages_follow_the_cursor_with_its_filters(api, items):
    first = api("GET", "/roadmaps?district=KORO&limit=1", "admin").get_json()
    assert [i["ref"] for i in first["roadmaps"]] == ["R1"] and first["next"]
    second = api("GET", f"/roadmaps?cursor={first['next']}&district=MACINA", "admin").get_json()
    assert [i["ref"] for i in second["roadmaps"]] == ["R3"] and second["next"] is None, "the cursor keeps KORO"
    assert_error(api("GET", "/roadmaps?cursor=forged", "admin"), 400, "bad_cursor")


def test_an_item_shows_its_meetings_and_the_service_disruptions_of_its_place(api, runtime, items):
    with runtime.db.transaction() as session:
        item = session.get(RoadmapItem, 1)
        meeting = Meeting(district_id=item.district_id, starts_at=utcnow() + timedelta(days=2), place="Mairie de Bondo")
        session.add(meeting)
        session.flush()
        link_meeting(session, item, meeting)
        base = dict(district_id=item.district_id, source=AlertSource.FREETEXT, status=AlertStatus.NEW, channel="sms")
        older = Alert(
            commune="bondo",
            village="BONDO",
            category="service_disruption",
            created_at=utcnow() - timedelta(days=1),
            **base,
        )
        newer = Alert(commune="Bondo", village="Bondo", category="service_disruption", **base)
        elsewhere = Alert(commune="Bondo", village="Toroli", category="service_disruption", **base)
        other_kind = Alert(commune="Bondo", village="Bondo", category="security_forces", **base)
        session.add_all([older, newer, elsewhere, other_kind])
        session.flush()
        wanted = [newer.id, older.id]
    detail = api("GET", "/roadmaps/r1", "fac_koro").get_json()
    assert [m["place"] for m in detail["meetings"]] == ["Mairie de Bondo"]
    assert [a["ref"] for a in detail["alerts"]] == wanted, "this service in this place, newest first"
    assert [h["actor"] for h in detail["history"]] == ["import"]
    assert api("GET", "/roadmaps/%23R1", "observer").get_json()["alerts"] == detail["alerts"]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"status": "finished"}, 422, "unknown_status"),
        ({"status": 3}, 422, "unknown_status"),
        ({}, 422, "unknown_status"),
        ({"status": "planned"}, 409, "same_status"),
        ({"status": "done", "note": 12}, 422, None),
        ({"status": "done", "note": "x" * 1001}, 422, "note_too_long"),
    ],
)
def test_bad_status_changes_are_refused_and_change_nothing(api, runtime, items, body, status, code):
    before = footprint(runtime)
    assert_error(api("POST", "/roadmaps/R1/status", "fac_koro", body), status, code)
    assert footprint(runtime) == before


def test_malformed_bodies_and_unknown_items(api, runtime, items):
    before = footprint(runtime)
    assert_error(api("POST", "/roadmaps/R1/status", "admin", data="{", content_type="application/json"), 400)
    assert_error(api("POST", "/roadmaps/R1/status", "admin", data="status=done"), 415)
    assert_error(api("POST", "/roadmaps/R99/status", "admin", {"status": "done"}), 404)
    assert_error(api("GET", "/roadmaps/S1", "admin"), 404)
    assert_error(api("GET", "/roadmaps", None), 401)
    assert footprint(runtime) == before


def test_the_observer_reads_the_history_without_notes_or_names(api, staff, items):
    api("POST", "/roadmaps/R1/status", "fac_koro", {"status": "stalled", "note": "le chef de village refuse"})
    seen = {who: api("GET", "/roadmaps/R1", who).get_json()["history"][-1] for who in ("observer", "coord_mopti")}
    assert seen["coord_mopti"]["note"] == "le chef de village refuse"
    assert seen["coord_mopti"]["actor"] == staff.emails["fac_koro"]
    assert (seen["observer"]["status"], seen["observer"]["note"], seen["observer"]["actor"]) == ("stalled", None, None)
