"""The directory list: search by name (and by number for the roles that see numbers), each filter, pages, and a
filter value that cannot be (400 naming it); numbers masked for facilitators and officers."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from gateway.core.privacy import mask_address
from gateway.models import Contact, District
from tests.gateway.console.contacts_support import first_leader, footprint
from tests.gateway.directory.search_support import meetings_with_answers
from tests.staff_users import logged_in


def listed(response) -> set[int]:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return {int(n) for n in re.findall(r'data-contact="(\d+)"', response.get_data(as_text=True))}


def ids(runtime, **where) -> set[int]:
    """Active contacts matching column values (district given as a code)."""
    with runtime.db.sessions() as db:
        query = select(Contact.id).where(Contact.active.is_(True))
        if "district" in where:
            code = where.pop("district")
            query = query.where(Contact.district_id == db.scalar(select(District.id).where(District.code == code)))
        for column, value in where.items():
            query = query.where(getattr(Contact, column) == value)
        return set(db.scalars(query))


@pytest.fixture
def coordinator(runtime, directory, app):
    return logged_in(runtime, app, "coord_mopti")


def test_search_by_name_and_by_number(runtime, coordinator):
    leader = first_leader(runtime, "KORO")
    assert listed(coordinator.get("/console/contacts", query_string={"q": leader.name.upper()})) == {leader.id}
    assert listed(coordinator.get("/console/contacts", query_string={"q": leader.phone[-8:]})) == {leader.id}


def test_search_ignores_accents_and_case(runtime, directory, app):
    admin = logged_in(runtime, app, "admin")
    with runtime.db.sessions() as db:
        toure = set(db.scalars(select(Contact.id).where(Contact.name.like("%Touré%"), Contact.active.is_(True))))
    assert toure
    assert listed(admin.get("/console/contacts", query_string={"q": "TOURE"})) >= toure
    assert listed(admin.get("/console/contacts", query_string={"q": "touré"})) >= toure


def test_a_facilitator_sees_masked_numbers_and_cannot_search_by_them(runtime, directory, app):
    leader = first_leader(runtime, "KORO")
    facilitator = logged_in(runtime, app, "fac_koro")
    page = facilitator.get("/console/contacts", query_string={"q": leader.name}).get_data(as_text=True)
    assert mask_address(leader.phone) in page and leader.phone not in page
    assert listed(facilitator.get("/console/contacts", query_string={"q": leader.phone[-8:]})) == set()


FILTERS = {
    "district": ({"district": "KORO"}, {"district": "KORO"}),
    "role": ({"role": "officer"}, {"role": "officer"}),
    "language": ({"language": "ff", "district": "KORO"}, {"language": "ff", "district": "KORO"}),
    "channel": ({"channel": "telegram"}, {"channel": "telegram"}),
    "commune": ({"commune": "dinangourou"}, {"commune": "Dinangourou"}),
}


@pytest.mark.parametrize("name", list(FILTERS))
def test_each_filter(runtime, directory, app, name):
    admin = logged_in(runtime, app, "admin")
    args, where = FILTERS[name]
    expected = ids(runtime, **where)
    assert expected and len(expected) <= 50
    assert listed(admin.get("/console/contacts", query_string=args)) == expected


def test_flags_opted_out_unreachable_and_telegram(runtime, directory, app):
    koro = first_leader(runtime, "KORO")
    macina = first_leader(runtime, "MACINA")
    with runtime.db.transaction() as db:
        db.get(Contact, koro.id).opted_out = True
        contact = db.get(Contact, macina.id)
        contact.sms_unreachable, contact.sms_unreachable_reason = True, "21610"
    admin = logged_in(runtime, app, "admin")
    assert listed(admin.get("/console/contacts?opted_out=yes")) == {koro.id}
    assert listed(admin.get("/console/contacts?unreachable=sms")) == {macina.id}
    assert listed(admin.get("/console/contacts?unreachable=any")) == {macina.id}
    assert listed(admin.get("/console/contacts?unreachable=telegram")) == set()
    with runtime.db.sessions() as db:
        koro_id = db.scalar(select(District.id).where(District.code == "KORO"))
        in_koro = select(Contact.id).where(Contact.district_id == koro_id, Contact.active.is_(True))
        linked = set(db.scalars(in_koro.where(Contact.telegram_id.is_not(None))))
        unlinked = set(db.scalars(in_koro.where(Contact.telegram_id.is_(None))))
    assert linked and listed(admin.get("/console/contacts?telegram=yes&district=KORO")) == linked
    assert unlinked and listed(admin.get("/console/contacts?telegram=no&district=KORO")) == unlinked


def test_no_answer_to_the_last_notices(runtime, directory, app):
    silent, answered = meetings_with_answers(runtime, "KORO", 3)
    admin = logged_in(runtime, app, "admin")
    assert listed(admin.get("/console/contacts?silent=3")) == silent
    assert answered and not answered & silent


def test_pages_of_fifty(runtime, directory, app):
    admin = logged_in(runtime, app, "admin")
    everyone = ids(runtime)
    seen, page = set(), 1
    while True:
        response = admin.get("/console/contacts", query_string={"page": page})
        found = listed(response)
        assert len(found) <= 50 and not found & seen
        seen |= found
        if 'rel="next"' not in response.get_data(as_text=True):
            break
        page += 1
    assert seen == everyone and page == (len(everyone) + 49) // 50


BAD = {
    "district": "NOWHERE",
    "role": "chief",
    "language": "de",
    "channel": "whatsapp",
    "opted_out": "maybe",
    "unreachable": "email",
    "telegram": "2",
    "silent": "4",
    "active": "deleted",
}


@pytest.mark.parametrize("name", list(BAD))
def test_a_bad_filter_value_answers_400_naming_it(runtime, directory, app, name):
    admin = logged_in(runtime, app, "admin")
    before = footprint(runtime)
    response = admin.get("/console/contacts", query_string={name: BAD[name]}, headers={"Accept-Language": "en"})
    assert response.status_code == 400
    assert "unknown value, ignored" in response.get_data(as_text=True)
    assert footprint(runtime) == before


def test_a_district_outside_the_scope_is_a_bad_filter(runtime, directory, app):
    facilitator = logged_in(runtime, app, "fac_koro")
    assert facilitator.get("/console/contacts?district=MACINA").status_code == 400
    assert facilitator.get("/console/contacts?page=0").status_code == 400
    assert facilitator.get("/console/contacts?page=x").status_code == 400
