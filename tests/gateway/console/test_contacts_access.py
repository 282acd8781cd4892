"""The directory's access table: every page and form × every staff role × a contact in and out of the role's
scope, with the status a user gets; numbers in full only for admin and coordinators; a refused write changes
nothing (contacts, districts, audit)."""

from __future__ import annotations

import io

import pytest

from gateway.core.privacy import mask_address
from tests.gateway.console.contacts_support import SEES, csv_text, first_leader, footprint, form_post
from tests.staff_users import PHONE_SEERS, ROLES, logged_in

ADMIN_ONLY = {"admin"}
READERS = set(ROLES) - {"observer"}

# route → (method, path, form, success status, roles allowed on a contact they see)
ROUTES = {
    "show": ("GET", "/console/contacts/{id}", None, 200, READERS),
    "edit": ("POST", "/console/contacts/{id}/edit", "edit", 302, ADMIN_ONLY),
    "deactivate": ("POST", "/console/contacts/{id}/active", {"active": "0"}, 302, ADMIN_ONLY),
    "telegram_link": ("POST", "/console/contacts/{id}/telegram-link", {}, 200, ADMIN_ONLY),
}


def expected(route: str, who: str, district: str) -> int:
    """403 for the observer on every directory page; 404 out of scope (like an unknown contact); 403 for a role
    that may not; else the route's success."""
    _, _, _, success, allowed = ROUTES[route]
    if who == "observer":
        return 403
    if district not in SEES[who]:
        return 404
    return success if who in allowed else 403


CASES = [(route, who, district) for route in ROUTES for who in ROLES for district in ("KORO", "MACINA")]


def edit_form(contact) -> dict:
    return {"name": contact.name + " Jr", "phone": contact.phone, "role": "leader",
            "district": contact.district_code, "commune": contact.commune or "", "village": contact.village or "",
            "language": contact.language, "channel": contact.channel, "escalation_level": ""}  # fmt: skip


@pytest.mark.parametrize("route,who,district", CASES, ids=["-".join(case) for case in CASES])
def test_contact_routes_table(runtime, directory, app, route, who, district):
    method, path, form, _, _ = ROUTES[route]
    contact = first_leader(runtime, district)
    contact.district_code = district
    browser = logged_in(runtime, app, who)
    before = footprint(runtime)
    url = path.format(id=contact.id)
    if method == "GET":
        response = browser.get(url)
    else:
        data = edit_form(contact) if form == "edit" else form
        response = form_post(browser, url, data, token_from="/console/account")
    status = expected(route, who, district)
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:300])
    page = response.get_data(as_text=True)
    if status >= 400:
        assert contact.name not in page and contact.phone not in page
        assert footprint(runtime) == before, "a refused request changes nothing"
        return
    after = footprint(runtime)
    if method == "POST":
        assert after["audit"] == before["audit"] + 1, "every change is audited"
        assert after["contacts"] != before["contacts"] or route == "telegram_link"
    if route == "show":
        assert contact.name in page
        if who in PHONE_SEERS:
            assert contact.phone in page
        else:
            assert contact.phone not in page and mask_address(contact.phone) in page


LIST_CASES = [(who, path) for who in ROLES for path in ("/console/contacts", "/console/contacts/export.csv")]


@pytest.mark.parametrize("who,path", LIST_CASES, ids=["-".join(case) for case in LIST_CASES])
def test_list_and_export_show_exactly_the_scope(runtime, directory, app, who, path):
    browser = logged_in(runtime, app, who)
    koro, macina = first_leader(runtime, "KORO"), first_leader(runtime, "MACINA")
    before = footprint(runtime)
    for contact, district in ((koro, "KORO"), (macina, "MACINA")):
        response = browser.get(path, query_string={"q": contact.name})
        page = response.get_data(as_text=True)
        if who == "observer":
            assert response.status_code == 403 and f'data-contact="{contact.id}"' not in page
            continue
        assert response.status_code == 200
        listed = contact.name in page if path.endswith(".csv") else f'data-contact="{contact.id}"' in page
        assert listed == (district in SEES[who]), (who, district)
    after = footprint(runtime)
    exports = 2 if path.endswith(".csv") and who != "observer" else 0
    assert after == {**before, "audit": before["audit"] + exports}, "reading writes nothing; an export is audited"


IMPORT_CASES = [(who, method) for who in ROLES for method in ("GET", "POST", "CONFIRM")]


@pytest.mark.parametrize("who,method", IMPORT_CASES, ids=["-".join(case) for case in IMPORT_CASES])
def test_the_import_is_for_the_admin_only(runtime, directory, app, who, method):
    browser = logged_in(runtime, app, who)
    before = footprint(runtime)
    line = "Awa Traoré,+22376123456,,leader,Mopti,KORO,Konna,Kotaka,fr,sms,,"
    if method == "GET":
        response = browser.get("/console/contacts/import")
    elif method == "POST":
        upload = {"file": (io.BytesIO(csv_text(line).encode()), "new.csv")}
        response = form_post(browser, "/console/contacts/import", upload, token_from="/console/account")
    else:
        response = form_post(browser, "/console/contacts/import/confirm", {"token": "x" * 24}, "/console/account")
    if who != "admin":
        assert response.status_code == 403
    elif method == "CONFIRM":
        assert response.status_code == 410, "an unknown token imports nothing"
    else:
        assert response.status_code == 200
    assert footprint(runtime) == before, "showing the form or a preview writes nothing"
