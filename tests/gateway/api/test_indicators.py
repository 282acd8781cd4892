"""`GET /api/v1/indicators`: the access table (every role × a district in and out of its scope), DESIGN's objects
with counts null below PULSE_MIN_ANSWERS, and bad parameters answered 422 or 404 in the nested error shape."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from gateway.pulse.results import week_label
from tests.gateway.api.conftest import assert_error
from tests.gateway.pulse.factory import answers, district, leaders, pulse_round
from tests.staff_users import ROLES, SEES


@pytest.fixture
def rounds(runtime, directory) -> str:
    """This week: KORO/Bondo with three answers of four (school); MACINA/Kokry with one of three (health)."""
    week = week_label(datetime.now(ZoneInfo("Africa/Bamako")).date())
    with runtime.db.transaction() as db:
        koro, macina = district(db, "KORO"), district(db, "MACINA")
        bondo, kokry = leaders(db, koro, "Bondo", 4), leaders(db, macina, "Kokry", 3)
        answers(db, pulse_round(db, koro, "Bondo", week, ["school"], bondo), bondo, ["1", "2", "1"])
        answers(db, pulse_round(db, macina, "Kokry", week, ["health"], kokry), kokry, ["2"])
    return week


@pytest.mark.parametrize("role", list(ROLES))
def test_each_role_sees_its_districts(api, rounds, role):
    response = api("GET", "/indicators", role)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert set(body) == {"indicators", "next"} and body["next"] is None
    assert {row["district"] for row in body["indicators"]} == SEES[role]


CASES = [(role, code) for role in ROLES for code in ("KORO", "MACINA")]


@pytest.mark.parametrize(("role", "code"), CASES, ids=["-".join(c) for c in CASES])
def test_district_filter_in_and_out_of_scope(api, rounds, role, code):
    response = api("GET", f"/indicators?district={code.lower()}", role)
    if code not in SEES[role]:
        assert_error(response, 404, "not_found")
        return
    assert response.status_code == 200
    assert [row["district"] for row in response.get_json()["indicators"]] == [code]


def test_objects_have_design_shape_and_withhold_small_counts(api, rounds):
    rows = {r["district"]: r for r in api("GET", "/indicators", "observer").get_json()["indicators"]}
    koro, macina = rows["KORO"], rows["MACINA"]
    assert koro | {"round": 0} == {"district": "KORO", "commune": "Bondo", "service": "school", "round": 0,
                                   "week": rounds, "open": 2, "closed": 1, "partial": 0, "no_answer": 1,
                                   "response_rate": 0.75, "too_few": False}  # fmt: skip
    assert (macina["open"], macina["closed"], macina["partial"], macina["no_answer"]) == (None, None, None, None)
    assert macina["too_few"] is True and macina["response_rate"] == 0.3333


@pytest.mark.parametrize("query", ["weeks=0", "weeks=105", "weeks=abc", "weeks=-1", "weeks=%C2%B2"])
def test_bad_weeks_is_422(api, rounds, query):
    assert_error(api("GET", f"/indicators?{query}", "admin"), 422, "invalid")


def test_unknown_district_is_404_and_weeks_narrows(api, rounds):
    assert_error(api("GET", "/indicators?district=NOWHERE", "admin"), 404, "not_found")
    assert api("GET", "/indicators?weeks=1", "admin").get_json()["indicators"] != []
    by_name = api("GET", "/indicators?district=djenné", "admin")  # a name, folded: DJENNE, no round there
    assert by_name.status_code == 200 and by_name.get_json() == {"indicators": [], "next": None}


def test_no_token_is_401(api, rounds):
    assert_error(api("GET", "/indicators"), 401, "unauthorized")
