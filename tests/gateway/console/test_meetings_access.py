"""The meetings' access table in the console: every page and form × every role × a meeting in and out of the
role's scope, with the status a user gets; a refused write changes nothing (rows, outbox, audit)."""

from __future__ import annotations

import re

import pytest

from tests.gateway.console.meetings_support import ahead, footprint, make_meeting, token_of
from tests.staff_users import CONVENERS, ROLES, SEES, logged_in

READERS = set(ROLES) - {"observer"}  # the attendance list has names: never for the observer

# route → (method, path, success status, roles allowed on a meeting they see)
ROUTES = {
    "page": ("GET", "/console/meetings/{ref}", 200, set(ROLES)),
    "answers": ("GET", "/console/meetings/{ref}/answers", 200, set(ROLES)),
    "attendance": ("GET", "/console/meetings/{ref}/attendance.csv", 200, READERS),
    "last_call_preview": ("GET", "/console/meetings/{ref}/last-call", 200, CONVENERS),
    "last_call": ("POST", "/console/meetings/{ref}/last-call", 302, CONVENERS),
    "reschedule": ("POST", "/console/meetings/{ref}/reschedule", 302, CONVENERS),
    "cancel": ("POST", "/console/meetings/{ref}/cancel", 302, CONVENERS),
}
CASES = [(route, role, district) for route in ROUTES for role in ROLES for district in ("KORO", "MACINA")]


@pytest.fixture
def meetings(runtime, directory) -> dict[str, int]:
    """One meeting ahead in KORO (Mopti) and one in MACINA (Ségou): district code → ref."""
    return {"KORO": make_meeting(runtime, "KORO"), "MACINA": make_meeting(runtime, "MACINA")}


def expected(route: str, role: str, district: str) -> int:
    """404 out of scope (before anything else), 403 for a role that may not, else the route's success."""
    _, _, success, allowed = ROUTES[route]
    if district not in SEES[role]:
        return 404
    return success if role in allowed else 403


@pytest.mark.parametrize("route,role,district", CASES, ids=["-".join(case) for case in CASES])
def test_meeting_routes(runtime, app, meetings, route, role, district):
    client = logged_in(runtime, app, role)
    method, path, _, _ = ROUTES[route]
    ref = meetings[district]
    data = {"csrf_token": token_of(client)}
    if route == "reschedule":
        data["date"], data["time"] = ahead(5, 9)
    before = footprint(runtime)
    response = client.open(path.format(ref=ref), method=method, data=data if method == "POST" else None)
    status = expected(route, role, district)
    assert response.status_code == status, response.get_data(as_text=True)[:400]
    if method == "POST" and status >= 400:
        assert footprint(runtime) == before, "a refused write changes nothing"
    if status == 302:
        assert response.headers["Location"] == f"/console/meetings/{ref}"
        after = footprint(runtime)
        assert after["AuditEntry"] == before["AuditEntry"] + 1, "every change is audited"
        assert after["Broadcast"] == before["Broadcast"] + 1, "each change is one sending followed on the page"
    if route == "page" and status == 200:
        assert f"#{ref}" in response.get_data(as_text=True)


@pytest.mark.parametrize("role", list(ROLES))
def test_the_list_and_the_calendar_show_exactly_the_scope(runtime, app, meetings, role):
    client = logged_in(runtime, app, role)
    page = client.get("/console/meetings").get_data(as_text=True)
    listed = {int(ref) for ref in re.findall(r'<tr data-ref="(\d+)"', page)}
    assert listed == {meetings[d] for d in SEES[role]}
    day = ahead(3)[0]
    calendar = client.get(f"/console/meetings?month={day[:7]}").get_data(as_text=True)
    shown = {int(ref) for ref in re.findall(r'class="calendar-meeting[^"]*" data-ref="(\d+)"', calendar)}
    assert shown == {meetings[d] for d in SEES[role]}
    assert ("/console/meetings/new" in page) == (role in CONVENERS)


@pytest.mark.parametrize("role", list(ROLES))
def test_the_new_meeting_form_is_for_conveners_only(runtime, app, directory, role):
    client = logged_in(runtime, app, role)
    response = client.get("/console/meetings/new")
    assert response.status_code == (200 if role in CONVENERS else 403)


# Who may call a meeting in KORO (Mopti): admin, Mopti's coordinator, KORO's facilitator; the other conveners are
# refused for the district (422), officer and observer for their role (403).
CREATE_STATUS = {"admin": 302, "coord_mopti": 302, "fac_koro": 302, "coord_segou": 422, "fac_macina": 422}


@pytest.mark.parametrize("step", ["preview", "create"])
@pytest.mark.parametrize("role", list(ROLES))
def test_calling_a_meeting_in_koro(runtime, app, directory, role, step):
    client = logged_in(runtime, app, role)
    day, clock = ahead(6)
    form = {"csrf_token": token_of(client), "district": "KORO", "date": day, "time": clock, "place": "Mairie"}
    before = footprint(runtime)
    response = client.post("/console/meetings/preview" if step == "preview" else "/console/meetings", data=form)
    status = CREATE_STATUS.get(role, 403)
    if step == "preview" and status == 302:
        status = 200
    assert response.status_code == status, response.get_data(as_text=True)[:400]
    if status != 302:
        assert footprint(runtime) == before, "a preview or a refusal writes nothing"
    else:
        assert footprint(runtime)["Meeting"] == before["Meeting"] + 1


def test_an_unknown_meeting_and_one_out_of_scope_look_the_same(runtime, app, meetings):
    client = logged_in(runtime, app, "fac_koro")
    outside = client.get(f"/console/meetings/{meetings['MACINA']}")
    unknown = client.get("/console/meetings/99999")
    garbage = client.get("/console/meetings/abc")
    assert outside.status_code == unknown.status_code == garbage.status_code == 404
    assert outside.get_data() == unknown.get_data() == garbage.get_data()


def test_a_form_without_its_csrf_token_changes_nothing(runtime, app, meetings):
    client = logged_in(runtime, app, "fac_koro")
    before = footprint(runtime)
    response = client.post(f"/console/meetings/{meetings['KORO']}/cancel", data={})
    assert response.status_code in (400, 403)
    assert footprint(runtime) == before
