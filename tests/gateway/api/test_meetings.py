"""The meetings API: the access table (route × role × a meeting in and out of scope), the DESIGN bodies, cursor
pagination, bad input refused with the nested error and no side effect, and `segments` equal to what was queued."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from gateway.meetings.service import record_answer
from gateway.messaging.sms_text import count_segments
from gateway.models import (
    AuditEntry,
    Broadcast,
    Invitation,
    Meeting,
    MeetingReminder,
    Message,
    MessageStatus,
)
from tests.gateway.api.conftest import assert_error
from tests.staff_users import CONVENERS, PHONE_SEERS, ROLES, SEES


def ahead(days: int = 3, clock: str = "10:00") -> str:
    """`YYYY-MM-DD HH:MM` that many days ahead, in Bamako's time."""
    return f"{datetime.now(ZoneInfo('Africa/Bamako')) + timedelta(days=days):%Y-%m-%d} {clock}"


def footprint(runtime) -> dict:
    """Everything a meeting write would change."""
    with runtime.db.transaction() as session:
        tables = (Meeting, Invitation, Broadcast, Message, AuditEntry, MeetingReminder)
        out = {m.__name__: session.scalar(select(func.count()).select_from(m)) for m in tables}
        out["status"] = [(m.id, m.status) for m in session.scalars(select(Meeting).order_by(Meeting.id))]
    return out


def create(api, who: str, code: str, **fields):
    """POST /meetings as `who` for district `code` (fields override the body's)."""
    body = {"district": code, "at": ahead(), "place": "Mairie", "agenda": "Transhumance", **fields}
    return api("POST", "/meetings", who, body)


@pytest.fixture
def meetings(api) -> dict[str, int]:
    """A meeting ahead in KORO and one in MACINA, called by the admin: district → ref."""
    refs = {}
    for district in ("KORO", "MACINA"):
        response = create(api, "admin", district)
        assert response.status_code == 201, response.get_json()
        refs[district] = response.get_json()["ref"]
    return refs


ROUTES = {
    "show": ("GET", "/meetings/{ref}", 200, set(ROLES)),
    "cancel": ("POST", "/meetings/{ref}/cancel", 200, CONVENERS),
}
CASES = [(route, role, district) for route in ROUTES for role in ROLES for district in ("KORO", "MACINA")]


@pytest.mark.parametrize("route,role,district", CASES, ids=["-".join(case) for case in CASES])
def test_access_table(api, runtime, meetings, route, role, district):
    method, path, success, allowed = ROUTES[route]
    ref = meetings[district]
    before = footprint(runtime)
    response = api(method, path.format(ref=ref), role)
    status = 404 if district not in SEES[role] else (success if role in allowed else 403)
    if status >= 400:
        assert_error(response, status, {403: "forbidden", 404: "not_found"}[status])
        assert footprint(runtime) == before
        return
    assert response.status_code == status, response.get_json()
    body = response.get_json()
    assert body["ref"] == ref and body["district"] == district
    assert set(body["answers"]) == {"yes", "no", "none"} and body["invited"] == sum(body["answers"].values())
    if route == "show":
        assert ("invitees" in body) == (role != "observer")
        if role != "observer":
            assert all(("phone" in i) == (role in PHONE_SEERS) for i in body["invitees"])
            assert len(body["invitees"]) == body["invited"]
    else:
        assert body["status"] == "cancelled"
        assert footprint(runtime)["AuditEntry"] == before["AuditEntry"] + 1


CREATE_STATUS = {"admin": 201, "coord_mopti": 201, "fac_koro": 201, "coord_segou": 422, "fac_macina": 422}


@pytest.mark.parametrize("role", list(ROLES))
def test_who_may_call_a_meeting_in_koro(api, runtime, staff, role):
    before = footprint(runtime)
    response = create(api, role, "KORO")
    status = CREATE_STATUS.get(role, 403)
    if status != 201:
        error = assert_error(response, status)
        assert error["code"] == ("district_out_of_scope" if status == 422 else "forbidden")
        assert footprint(runtime) == before
        return
    assert response.status_code == 201
    body = response.get_json()
    assert set(body) == {"ref", "invited", "segments"}
    with runtime.db.transaction() as session:
        broadcast = session.scalar(select(Broadcast).where(Broadcast.meeting_id == body["ref"]))
        sms = session.scalars(
            select(Message).where(Message.broadcast_id == broadcast.id, Message.status == MessageStatus.QUEUED)
        ).all()
        queued = sum(count_segments(m.body).segments for m in sms if m.channel != "telegram")
        assert body["segments"] == broadcast.segments == queued > 0
        assert body["invited"] == broadcast.recipients == len(session.get(Meeting, body["ref"]).invitations)
        entry = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert (entry.action, entry.target, entry.actor) == ("meeting_create", f"meeting #{body['ref']}",
                                                              staff.emails[role])  # fmt: skip


@pytest.mark.parametrize("role", list(ROLES))
def test_the_list_shows_exactly_the_scope(api, meetings, role):
    page = api("GET", "/meetings", role).get_json()
    assert page["next"] is None
    assert {m["ref"] for m in page["meetings"]} == {meetings[d] for d in SEES[role]}
    assert all(m["at"].endswith(" 10:00") for m in page["meetings"]), "local time, as it was given"


def test_pages_follow_the_cursor(api, runtime, staff):
    refs = [create(api, "admin", "KORO", at=ahead(d)).get_json()["ref"] for d in (2, 3, 4)]
    first = api("GET", "/meetings?limit=2", "admin").get_json()
    assert [m["ref"] for m in first["meetings"]] == refs[::-1][:2] and first["next"]
    second = api("GET", f"/meetings?cursor={first['next']}", "admin").get_json()
    assert [m["ref"] for m in second["meetings"]] == [refs[0]] and second["next"] is None
    assert_error(api("GET", "/meetings?cursor=forged", "admin"), 400, "bad_cursor")
    assert_error(api("GET", "/meetings?limit=0", "admin"), 422)


BAD = {
    "past": ({"at": "2020-01-01 10:00"}, 422, "past"),
    "malformed_date": ({"at": "05/12/2026 10h"}, 422, "bad_date"),
    "not_a_text_date": ({"at": 20261205}, 422, "bad_date"),
    "unknown_district": ({"district": "ATLANTIS"}, 422, "unknown_district"),
    "out_of_scope": ({"district": "MACINA"}, 422, "district_out_of_scope"),
    "empty_place": ({"place": "  "}, 422, "place"),
    "no_place": ({"place": None}, 422, "place"),
    "long_place": ({"place": "x" * 201}, 422, "place_too_long"),
    "long_agenda": ({"agenda": "x" * 1001}, 422, "agenda_too_long"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_is_refused_and_writes_nothing(api, runtime, staff, case):
    fields, status, code = BAD[case]
    before = footprint(runtime)
    assert_error(create(api, "fac_koro", "KORO", **fields), status, code)
    assert footprint(runtime) == before


def test_bodies_that_are_not_json_objects(api, runtime, staff):
    before = footprint(runtime)
    assert_error(api("POST", "/meetings", "fac_koro", data="district=KORO", content_type="text/plain"), 415)
    assert_error(api("POST", "/meetings", "fac_koro", data="{", content_type="application/json"), 400)
    assert_error(api("POST", "/meetings", "fac_koro", data="[1]", content_type="application/json"), 400)
    assert_error(api("POST", "/meetings", "observer", body={"district": "KORO"}), 403)
    assert_error(api("POST", "/meetings", None, body={"district": "KORO"}), 401)
    assert footprint(runtime) == before


def test_answers_and_cancel_twice(api, runtime, meetings):
    ref = meetings["KORO"]
    with runtime.db.transaction() as session:
        first, second = session.scalars(select(Invitation).where(Invitation.meeting_id == ref)).all()[:2]
        record_answer(first, True)
        record_answer(second, False)
    shown = api("GET", f"/meetings/%23{ref}", "fac_koro").get_json()
    assert shown["answers"]["yes"] == 1 and shown["answers"]["no"] == 1
    assert len(shown["tally"]["coming"]) == 1 and shown["status"] == "scheduled"
    assert api("POST", f"/meetings/{ref}/cancel", "fac_koro").status_code == 200
    before = footprint(runtime)
    assert_error(api("POST", f"/meetings/{ref}/cancel", "fac_koro"), 409, "already_cancelled")
    assert footprint(runtime) == before
    assert_error(api("GET", "/meetings/abc", "fac_koro"), 404, "not_found")
