"""The roadmaps in the console: every page and form × every role × a district in and out of the role's scope, with
the status a user gets; the status form only for those who may edit; a refused or CSRF-less write changes nothing."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from gateway.models import AuditEntry, Meeting, RoadmapItem, RoadmapMeetingLink, RoadmapStatusChange, utcnow
from tests.gateway.console.meetings_support import token_of
from tests.gateway.roadmaps.support import HEADER, import_text
from tests.staff_users import ROLES, SEES, logged_in

EDITORS = {"admin", "coord_mopti", "coord_segou", "fac_koro", "fac_macina"}
ROADMAP = HEADER + (
    "KORO,Bondo,Bondo,school,Réouverture de l'école de Bondo,Directeur du CAP,2020-01-15,planned\n"
    "MACINA,Kokry,,health,Infirmier au CSCom de Kokry,District sanitaire,2099-01-01,\n"
    "KORO,Koro,,water,<b>Forage</b> réparé,Mairie,,done\n"
)
REFS = {"KORO": "R1", "MACINA": "R2"}
# route → (method, path, success status, roles allowed on what they see)
ROUTES = {
    "district": ("GET", "/console/roadmaps/{code}", 200, set(ROLES)),
    "item": ("GET", "/console/roadmaps/item/{ref}", 200, set(ROLES)),
    "status": ("POST", "/console/roadmaps/item/{ref}/status", 302, EDITORS),
    "link": ("POST", "/console/roadmaps/item/{ref}/meetings", 302, EDITORS),
}
CASES = [(route, role, district) for route in ROUTES for role in ROLES for district in ("KORO", "MACINA")]


@pytest.fixture
def roadmap(runtime, directory) -> dict[str, int]:
    """The roadmap above and one meeting in each district: district → meeting ref."""
    import_text(runtime, ROADMAP)
    meetings = {}
    with runtime.db.transaction() as session:
        for code in ("KORO", "MACINA"):
            item = session.get(RoadmapItem, int(REFS[code][1:]))
            meeting = Meeting(
                district_id=item.district_id, starts_at=utcnow() - timedelta(days=3), place=f"Mairie {code}"
            )
            session.add(meeting)
            session.flush()
            meetings[code] = meeting.id
    return meetings


def footprint(runtime) -> tuple:
    """Statuses, history, links and audit rows."""
    with runtime.db.transaction() as session:
        statuses = [(i.id, i.status) for i in session.scalars(select(RoadmapItem).order_by(RoadmapItem.id))]
        rest = [session.scalar(select(func.count()).select_from(m)) for m in
                (RoadmapStatusChange, RoadmapMeetingLink, AuditEntry)]  # fmt: skip
    return statuses, rest


def expected(route: str, role: str, district: str) -> int:
    """404 out of scope (before anything else), 403 for a role that may not, else the route's success."""
    _, _, success, allowed = ROUTES[route]
    if district not in SEES[role]:
        return 404
    return success if role in allowed else 403


@pytest.mark.parametrize("route,role,district", CASES, ids=["-".join(case) for case in CASES])
def test_roadmap_routes(runtime, app, roadmap, route, role, district):
    client = logged_in(runtime, app, role)
    method, path, _, _ = ROUTES[route]
    data = {"csrf_token": token_of(client)}
    if route == "status":
        data |= {"status": "in_progress", "note": "enseignants arrivés"}
    if route == "link":
        data |= {"action": "link", "meeting": str(roadmap[district])}
    before = footprint(runtime)
    response = client.open(path.format(code=district, ref=REFS[district]), method=method, data=data)
    status = expected(route, role, district)
    assert response.status_code == status, response.get_data(as_text=True)[:400]
    if status >= 400:
        assert footprint(runtime) == before, "a refused write changes nothing"
        return
    page = response.get_data(as_text=True)
    if route == "district":
        assert re.findall(r'<tr data-ref="(R\d+)"', page) == (["R1", "R3"] if district == "KORO" else ["R2"])
    if route == "item":
        assert ('id="form-status"' in page) == (role in EDITORS), "the form only for those who may edit"
        assert ('id="form-link"' in page) == (role in EDITORS)
    if status == 302:
        assert response.headers["Location"] == f"/console/roadmaps/item/{REFS[district]}"
        after = footprint(runtime)
        assert after[1][2] == before[1][2] + 1, "audited"
        if route == "status":
            assert after[1][0] == before[1][0] + 1, "one history row"
            shown = client.get(response.headers["Location"]).get_data(as_text=True)
            assert "enseignants arrivés" in shown and "en cours" in shown


@pytest.mark.parametrize("role", list(ROLES))
def test_the_overview_lists_the_districts_of_the_scope_with_counts(runtime, app, roadmap, role):
    client = logged_in(runtime, app, role)
    page = client.get("/console/roadmaps").get_data(as_text=True)
    listed = set(re.findall(r'<tr data-district="(\w+)"', page))
    expected_districts = {"admin": 7, "observer": 7, "coord_mopti": 5, "coord_segou": 2}.get(role, 1)
    assert len(listed) == expected_districts and SEES[role] <= listed
    assert 'href="/console/roadmaps"' in page, "in the menu"
    if "KORO" in listed:
        koro = page.split('<tr data-district="KORO">')[1].split("</tr>")[0]
        cells = dict(re.findall(r'data-count="(\w+)"[^>]*>(\d+)<', koro))
        assert cells == {"total": "2", "planned": "1", "in_progress": "0", "done": "1", "stalled": "0",
                         "reversed": "0", "overdue": "1"}  # fmt: skip


def test_overdue_rows_are_marked_and_staff_text_is_escaped(runtime, app, roadmap):
    page = logged_in(runtime, app, "fac_koro").get("/console/roadmaps/koro").get_data(as_text=True)
    r1 = page.split('data-ref="R1"')[1].split("</tr>")[0]
    r3 = page.split('data-ref="R3"')[1].split("</tr>")[0]
    assert "overdue-mark" in r1 and "overdue-mark" not in r3
    assert "&lt;b&gt;Forage&lt;/b&gt;" in page and "<b>Forage</b>" not in page


@pytest.mark.parametrize(
    ("data", "status", "reason"),
    [
        ({"status": "planned"}, 409, "déjà dans cet état"),
        ({"status": "finished"}, 422, "État inconnu"),
        ({"status": "done", "note": "x" * 1001}, 422, "dépasse 1000"),
    ],
)
def test_refused_status_changes_show_the_reason_and_change_nothing(runtime, app, roadmap, data, status, reason):
    client = logged_in(runtime, app, "fac_koro")
    before = footprint(runtime)
    response = client.post("/console/roadmaps/item/R1/status", data={"csrf_token": token_of(client), **data})
    assert response.status_code == status and reason in response.get_data(as_text=True)
    assert footprint(runtime) == before


def test_meetings_link_and_unlink_only_within_the_district(runtime, app, roadmap):
    client = logged_in(runtime, app, "admin")
    token = token_of(client)
    before = footprint(runtime)
    other = client.post("/console/roadmaps/item/R1/meetings",
                        data={"csrf_token": token, "action": "link", "meeting": str(roadmap["MACINA"])})  # fmt: skip
    assert other.status_code == 422 and "pas dans le cercle" in other.get_data(as_text=True)
    assert footprint(runtime) == before
    path, meeting = "/console/roadmaps/item/R1/meetings", str(roadmap["KORO"])
    assert client.post(path, data={"csrf_token": token, "action": "link", "meeting": meeting}).status_code == 302
    page = client.get("/console/roadmaps/item/R1").get_data(as_text=True)
    assert f'<li data-ref="{meeting}">' in page and "Mairie KORO" in page
    assert client.post(path, data={"csrf_token": token, "action": "link", "meeting": meeting}).status_code == 409
    assert client.post(path, data={"csrf_token": token, "action": "unlink", "meeting": meeting}).status_code == 302
    assert client.post(path, data={"csrf_token": token, "action": "unlink", "meeting": meeting}).status_code == 409
    assert client.post(path, data={"csrf_token": token, "action": "drop", "meeting": meeting}).status_code == 400


def test_a_form_without_its_csrf_token_changes_nothing(runtime, app, roadmap):
    client = logged_in(runtime, app, "admin")
    before = footprint(runtime)
    response = client.post("/console/roadmaps/item/R1/status", data={"status": "done"})
    assert response.status_code in (400, 403)
    assert footprint(runtime) == before


def test_unknown_pages_are_not_found(runtime, app, roadmap):
    client = logged_in(runtime, app, "admin")
    for path in ("/console/roadmaps/ATLANTIS", "/console/roadmaps/item/R99", "/console/roadmaps/item/abc"):
        assert client.get(path).status_code == 404, path
    assert app.test_client().get("/console/roadmaps").status_code == 302, "a login first"


def test_the_observer_sees_statuses_but_no_note_or_name(runtime, app, roadmap):
    editor = logged_in(runtime, app, "fac_koro")
    editor.post("/console/roadmaps/item/R1/status",
                data={"csrf_token": token_of(editor), "status": "stalled", "note": "le chef refuse"})  # fmt: skip
    assert "le chef refuse" in editor.get("/console/roadmaps/item/R1").get_data(as_text=True)
    page = logged_in(runtime, app, "observer").get("/console/roadmaps/item/R1").get_data(as_text=True)
    assert "bloqué" in page and "le chef refuse" not in page and "fac_koro@" not in page
