"""The access table: every alert route × every role × an alert in and out of the role's scope, with the status
a user would get; a refused write changes nothing."""

from __future__ import annotations

import pytest

from tests.gateway.api.conftest import KORO_LEADER, MACINA_LEADER, assert_error, footprint
from tests.staff_users import ROLES, SEES

DESK = {"admin", "coord_mopti", "coord_segou", "fac_koro", "fac_macina", "officer_koro"}
RESPONDERS = {"admin", "coord_mopti", "coord_segou", "officer_koro"}  # take, resolve, false alarm
REVEALERS = {"admin", "coord_mopti", "coord_segou"}  # the reporter's identity, of an alert of their region

# route → (method, path, body, success status, roles allowed to do it on an alert they see)
ROUTES = {
    "show": ("GET", "/alerts/{ref}", None, 200, set(ROLES)),
    "triage": ("POST", "/alerts/{ref}/triage", {"category": "security_forces", "severity": 2}, 200, DESK),
    "take": ("POST", "/alerts/{ref}/status", {"status": "acknowledged"}, 200, RESPONDERS),
    "verify": ("POST", "/alerts/{ref}/status", {"status": "verified", "note": "vu sur place"}, 200, DESK),
    "resolve": ("POST", "/alerts/{ref}/status", {"status": "resolved", "note": "calme revenu"}, 200, RESPONDERS),
    "reply": ("POST", "/alerts/{ref}/reply", {"text": "Merci, nous suivons la situation."}, 202, DESK),
    "reveal": ("POST", "/alerts/{ref}/reveal", {"reason": "menace contre le leader"}, 200, REVEALERS),
}
REPORTERS = {"KORO": ("Abdoulaye Tangara", KORO_LEADER), "MACINA": ("Aminata Sow", MACINA_LEADER)}


def expected(route: str, role: str, district: str) -> int:
    """The status the table promises: 404 out of scope (before anything else), 403 for a role that may not."""
    _, _, _, success, allowed = ROUTES[route]
    if district not in SEES[role]:
        return 404
    return success if role in allowed else 403


CASES = [(route, role, district) for route in ROUTES for role in ROLES for district in ("KORO", "MACINA")]


@pytest.mark.parametrize("route,role,district", CASES, ids=["-".join(case) for case in CASES])
def test_access_table(api, runtime, reports, route, role, district):
    method, path, body, _, _ = ROUTES[route]
    ref = reports[district]
    before = footprint(runtime)
    response = api(method, path.format(ref=ref), role, body)
    status = expected(route, role, district)
    if status >= 400:
        assert_error(response, status, {403: "forbidden", 404: "not_found"}[status])
        assert footprint(runtime) == before, "a refused request changes nothing"
        return
    assert response.status_code == status, response.get_json()
    answer = response.get_json()
    if route == "reply":
        assert answer["message_id"] > 0 and answer["segments"] == 1
    elif route == "reveal":
        name, phone = REPORTERS[district]
        assert answer == {"ref": ref, "reporter": {"name": name, "phone": phone}}
    else:
        assert answer["ref"] == ref and answer["district"] == district
    if method == "POST":
        after = footprint(runtime)
        assert after["AuditEntry"] == before["AuditEntry"] + 1, "every write is audited"


@pytest.mark.parametrize("role", list(ROLES))
def test_list_shows_exactly_the_scope(api, reports, role):
    response = api("GET", "/alerts", role)
    assert response.status_code == 200
    page = response.get_json()
    assert page["next"] is None
    assert {a["district"] for a in page["alerts"]} == SEES[role]
    assert all(a["category"] is None for a in page["alerts"]), "untriaged reports are listed (category null)"
    assert {a["ref"] for a in page["alerts"]} == {reports[d] for d in SEES[role]}


def test_out_of_scope_and_unknown_give_the_same_404(api, reports):
    outside = api("GET", f"/alerts/{reports['MACINA']}", "fac_koro")
    unknown = api("GET", "/alerts/9999", "fac_koro")
    garbage = api("GET", "/alerts/abc", "fac_koro")
    assert outside.status_code == unknown.status_code == garbage.status_code == 404
    assert outside.get_data() == unknown.get_data() == garbage.get_data()
    write_outside = api("POST", f"/alerts/{reports['MACINA']}/reply", "fac_koro", {"text": "x"})
    write_unknown = api("POST", "/alerts/9999/reply", "fac_koro", {"text": "x"})
    assert write_outside.get_data() == write_unknown.get_data() == outside.get_data()


def test_list_filter_on_another_district_is_empty_not_a_leak(api, reports):
    response = api("GET", "/alerts?district=MACINA", "fac_koro")
    assert response.status_code == 200 and response.get_json()["alerts"] == []


def test_a_reference_may_be_written_with_its_hash(api, reports):
    response = api("GET", f"/alerts/%23{reports['KORO']}", "fac_koro")
    assert response.status_code == 200 and response.get_json()["ref"] == reports["KORO"]
