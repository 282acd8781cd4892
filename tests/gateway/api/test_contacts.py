"""`GET /api/v1/contacts`: every role × scope, identity fields (phone, telegram_id) only for admin and
coordinators, the observer refused (it never sees who is in the directory), filters, cursor pages, and bad
parameters answered in the nested error shape."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from gateway.models import Contact, District
from tests.gateway.api.conftest import assert_error, footprint
from tests.staff_users import PHONE_SEERS, ROLES, SEES


def everything(api, who: str, **args) -> list[dict]:
    """Every page of the list."""
    out, cursor = [], None
    while True:
        query = {**args, "limit": 200} if cursor is None else {"cursor": cursor}
        response = api("GET", "/contacts", who, query_string=query)
        assert response.status_code == 200, response.get_json()
        page = response.get_json()
        out += page["contacts"]
        cursor = page["next"]
        if cursor is None:
            return out


@pytest.mark.parametrize("who", list(ROLES))
def test_each_role_gets_its_scope_and_its_fields(api, runtime, directory, who):
    before = footprint(runtime)
    if who == "observer":
        error = assert_error(api("GET", "/contacts", who), 403, "forbidden")
        assert "directory" in error["message"]
        return
    for district in ("KORO", "MACINA"):
        response = api("GET", "/contacts", who, query_string={"district": district})
        if district not in SEES[who]:
            assert_error(response, 422, "invalid")
            continue
        contacts = response.get_json()["contacts"]
        assert contacts and {c["district"] for c in contacts} == {district}
        for contact in contacts:
            assert ("phone" in contact) == ("telegram_id" in contact) == (who in PHONE_SEERS)
    listed = everything(api, who)
    districts = {c["district"] for c in listed}
    assert {"KORO", "MACINA"} & districts == SEES[who]
    assert footprint(runtime) == before


def test_admin_gets_numbers_in_e164_and_every_contact(api, runtime, directory):
    listed = everything(api, "admin")
    with runtime.db.sessions() as db:
        stored = {c.id: c.phone for c in db.scalars(select(Contact))}
    assert {c["id"]: c["phone"] for c in listed} == stored
    ids = [c["id"] for c in listed]
    assert ids == sorted(ids) and len(ids) == len(set(ids))


def test_filters(api, runtime, directory):
    with runtime.db.transaction() as db:
        koro = db.scalar(select(District).where(District.code == "KORO"))
        leader = db.scalars(select(Contact).where(Contact.district_id == koro.id).order_by(Contact.id)).first()
        leader.opted_out = True
        leader.sms_unreachable, leader.sms_unreachable_reason = True, "21610"
        leader_id = leader.id
    [opted] = everything(api, "coord_mopti", opted_out="true")
    assert opted["id"] == leader_id and opted["sms_unreachable_reason"] == "21610"
    assert [c["id"] for c in everything(api, "admin", unreachable="sms")] == [leader_id]
    officers = everything(api, "admin", role="officer")
    assert officers and {c["role"] for c in officers} == {"officer"}
    telegram = everything(api, "admin", channel="telegram", language="bm")
    assert telegram and {(c["channel"], c["language"]) for c in telegram} == {("telegram", "bm")}
    commune = everything(api, "admin", commune="KORO")
    assert commune and {c["commune"] for c in commune} == {"Koro"}


def test_a_cursor_carries_its_filters(api, directory):
    first = api("GET", "/contacts", "admin", query_string={"district": "KORO", "limit": 5}).get_json()
    second = api("GET", "/contacts", "admin", query_string={"cursor": first["next"]}).get_json()
    assert len(first["contacts"]) == len(second["contacts"]) == 5
    assert {c["district"] for c in second["contacts"]} == {"KORO"}
    assert second["contacts"][0]["id"] > first["contacts"][-1]["id"]


BAD = {
    "district": ({"district": "NOWHERE"}, 422, "invalid"),
    "role": ({"role": "chief"}, 422, "invalid"),
    "language": ({"language": "de"}, 422, "invalid"),
    "channel": ({"channel": "fax"}, 422, "invalid"),
    "opted_out": ({"opted_out": "maybe"}, 422, "invalid"),
    "unreachable": ({"unreachable": "email"}, 422, "invalid"),
    "limit 0": ({"limit": "0"}, 422, "invalid"),
    "limit 201": ({"limit": "201"}, 422, "invalid"),
    "limit text": ({"limit": "ten"}, 422, "invalid"),
    "forged cursor": ({"cursor": "abc"}, 400, "bad_cursor"),
}


@pytest.mark.parametrize("name", list(BAD))
def test_bad_parameters_are_refused_in_the_nested_shape(api, runtime, directory, name):
    args, status, code = BAD[name]
    before = footprint(runtime)
    assert_error(api("GET", "/contacts", "admin", query_string=args), status, code)
    assert footprint(runtime) == before


def test_no_token_no_contacts(client, directory):
    assert_error(client.get("/api/v1/contacts"), 401, "unauthorized")
