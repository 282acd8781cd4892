"""The admin keeps a contact from its page: edits checked like a CSV line and audited with the names of the
fields changed (never a full number), deactivate / reactivate (never a delete), a Telegram link code with its QR
code; and every reason a contact cannot be reached, explained in words."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from gateway.directory.telegram_identity import LINK_CODE_KEY
from gateway.models import AuditEntry, Contact
from tests.gateway.console.contacts_support import first_leader, footprint, form_post
from tests.staff_users import logged_in


@pytest.fixture
def admin(runtime, directory, app):
    return logged_in(runtime, app, "admin")


def form_of(contact: Contact, **changes) -> dict:
    base = {"name": contact.name, "phone": contact.phone, "role": contact.role, "district": "KORO",
            "commune": contact.commune or "", "village": contact.village or "", "language": contact.language,
            "channel": contact.channel, "escalation_level": ""}  # fmt: skip
    return {**base, **changes}


def edit(browser, contact: Contact, **changes):
    path = f"/console/contacts/{contact.id}"
    return form_post(browser, path + "/edit", form_of(contact, **changes), token_from=path,
                     headers={"Accept-Language": "en"})  # fmt: skip


def audit(runtime, action: str) -> list[AuditEntry]:
    with runtime.db.sessions() as db:
        return list(db.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def stored(runtime, contact_id: int) -> Contact:
    with runtime.db.sessions() as db:
        contact = db.get(Contact, contact_id)
        db.expunge(contact)
        return contact


def test_an_edit_is_saved_and_audited_with_the_fields_changed(runtime, admin):
    leader = first_leader(runtime, "KORO")
    response = edit(admin, leader, name="Awa Traoré", phone="76 55 44 33", language="bm", discreet="1")
    assert response.status_code == 302
    contact = stored(runtime, leader.id)
    assert (contact.name, contact.phone, contact.language, contact.discreet) == ("Awa Traoré", "+22376554433",
                                                                                "bm", True)  # fmt: skip
    [entry] = audit(runtime, "contact_edit")
    assert entry.target == f"contact #{leader.id}" and entry.actor == "admin@example.org"
    assert entry.detail == "name, phone, language, discreet (phone now +*********33)"
    assert "76554433" not in entry.detail and leader.phone not in entry.detail
    page = admin.get(f"/console/contacts/{leader.id}").get_data(as_text=True)
    assert "Saved: name, phone, language, discreet." in page, "the flash, in the language of the edit"


def test_a_new_number_clears_what_the_provider_said_of_the_old_one_but_not_a_stop(runtime, admin):
    leader = first_leader(runtime, "KORO")
    with runtime.db.transaction() as db:
        contact = db.get(Contact, leader.id)
        contact.sms_unreachable, contact.sms_unreachable_reason, contact.opted_out = True, "21614", True
    assert edit(admin, leader, name=leader.name + " B").status_code == 302
    assert stored(runtime, leader.id).sms_unreachable is True, "a change of name leaves it"
    assert edit(admin, leader, name=leader.name + " B", phone="+22376554433").status_code == 302
    contact = stored(runtime, leader.id)
    assert (contact.sms_unreachable, contact.sms_unreachable_reason, contact.opted_out) == (False, None, True)
    assert audit(runtime, "contact_edit")[-1].detail == "phone (phone now +*********33); SMS reachable again"


def test_an_edit_that_changes_nothing_writes_nothing(runtime, admin):
    leader = first_leader(runtime, "KORO")
    before = footprint(runtime)
    assert edit(admin, leader).status_code == 302
    assert footprint(runtime) == before


def test_moving_a_contact_to_another_district_takes_its_region(runtime, admin):
    leader = first_leader(runtime, "KORO")
    assert edit(admin, leader, district="MACINA").status_code == 302
    contact = stored(runtime, leader.id)
    assert contact.region == "Ségou"
    assert audit(runtime, "contact_edit")[0].detail == "district"


BAD_EDITS = {
    "bad phone": ({"phone": "12"}, "This phone number is not valid"),
    "letters for a phone": ({"phone": "=1+2"}, "This phone number is not valid"),
    "empty phone": ({"phone": ""}, "This phone number is not valid"),
    "phone of another contact": ({"phone": "other"}, "already belongs to another contact"),
    "unknown district": ({"district": "NOWHERE"}, "Unknown district"),
    "leader without district": ({"district": ""}, "needs a district"),
    "empty name": ({"name": "   "}, "The name is empty"),
    "unknown role": ({"role": "chief"}, "Unknown role"),
    "unknown language": ({"language": "de"}, "Unknown language"),
    "unknown channel": ({"channel": "whatsapp"}, "Unknown channel"),
    "level for a leader": ({"escalation_level": "1"}, "Only officers have an escalation level"),
    "level 4": ({"role": "officer", "escalation_level": "4"}, "1, 2 or 3"),
    "name too long": ({"name": "x" * 201}, "too long"),
}


@pytest.mark.parametrize("name", list(BAD_EDITS))
def test_a_bad_edit_is_refused_with_its_reason_and_writes_nothing(runtime, admin, name):
    changes, message = BAD_EDITS[name]
    leader = first_leader(runtime, "KORO")
    if changes.get("phone") == "other":
        changes = {"phone": first_leader(runtime, "MACINA").phone}
    before = footprint(runtime)
    response = edit(admin, leader, **changes)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page and 'id="edit-error"' in page
    assert footprint(runtime) == before


def test_deactivate_and_reactivate_never_delete(runtime, admin):
    leader = first_leader(runtime, "KORO")
    path = f"/console/contacts/{leader.id}"
    assert form_post(admin, path + "/active", {"active": "0"}, token_from=path).status_code == 302
    assert stored(runtime, leader.id).active is False
    page = admin.get(path).get_data(as_text=True)
    assert "Contact désactivé" in page and 'id="contact-active"' in page
    listed = admin.get("/console/contacts", query_string={"q": leader.name}).get_data(as_text=True)
    assert f'data-contact="{leader.id}"' not in listed, "the list shows active contacts by default"
    inactive = admin.get("/console/contacts", query_string={"q": leader.name, "active": "inactive"})
    assert f'data-contact="{leader.id}"' in inactive.get_data(as_text=True)
    before = footprint(runtime)
    assert form_post(admin, path + "/active", {"active": "0"}, token_from=path).status_code == 302
    assert footprint(runtime) == before, "deactivating twice writes nothing"
    assert form_post(admin, path + "/active", {"active": "1"}, token_from=path).status_code == 302
    assert stored(runtime, leader.id).active is True
    assert [e.action for e in audit(runtime, "contact_deactivate") + audit(runtime, "contact_reactivate")] == [
        "contact_deactivate",
        "contact_reactivate",
    ]
    assert form_post(admin, path + "/active", {"active": "maybe"}, token_from=path).status_code == 400


def test_a_telegram_link_code_with_its_qr_code(runtime, admin):
    leader = first_leader(runtime, "KORO")
    path = f"/console/contacts/{leader.id}"
    response = form_post(admin, path + "/telegram-link", {}, token_from=path)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    code = re.search(r'id="link-command">/start ([0-9a-f]+)<', page).group(1)
    assert runtime.redis.get(LINK_CODE_KEY + code) == str(leader.id).encode()
    assert re.search(r'<img src="data:image/svg\+xml;charset=utf-8,%3Csvg[^"]+" alt=', page), (
        "the QR code is a data: URI (CSP)"
    )
    assert "style=" not in page.split("<main>")[1]
    [entry] = audit(runtime, "telegram_link_code")
    assert entry.target == f"contact #{leader.id}" and code not in (entry.detail or "")
    assert leader.phone not in (entry.detail or "")


REASONS = {
    "opted out": ({"opted_out": True}, "A envoyé STOP"),
    "21610": ({"sms_unreachable": True, "sms_unreachable_reason": "21610"}, "désabonné chez l&#39;opérateur"),
    "21614": ({"sms_unreachable": True, "sms_unreachable_reason": "21614"}, "pas un mobile"),
    "other code": ({"sms_unreachable": True, "sms_unreachable_reason": "30007"}, "message filtered by the carrier"),
    "blocked": ({"telegram_unreachable": True, "telegram_unreachable_reason": "telegram:forbidden"}, "A bloqué le bot"),
}


@pytest.mark.parametrize("name", list(REASONS))
def test_why_a_contact_is_unreachable_is_explained(runtime, directory, app, name):
    values, words = REASONS[name]
    leader = first_leader(runtime, "KORO")
    with runtime.db.transaction() as db:
        contact = db.get(Contact, leader.id)
        for key, value in values.items():
            setattr(contact, key, value)
    browser = logged_in(runtime, app, "fac_koro")  # read by a facilitator too
    page = browser.get(f"/console/contacts/{leader.id}").get_data(as_text=True)
    assert words in page.split('id="reachability"')[1]
    assert "<form" not in page.split("<main>")[1], "no edit form for a facilitator"
