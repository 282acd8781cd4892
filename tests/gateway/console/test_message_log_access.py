"""The message log's access: admins see every message, a coordinator its region's directory contacts only (never
numbers outside the directory), everyone else 403; numbers and names masked; a reveal needs a reason, is audited
without the number, shows the number of that message only, and is not found outside the coordinator's region."""

from __future__ import annotations

import pytest

from tests.gateway.console.auth_support import audit_rows, csrf_token
from tests.gateway.console.message_log_support import (
    MOPTI_LEADER,
    UNKNOWN_NUMBER,
    add_message,
    browser_for,
    contact_by_phone,
    first_leader_of,
)


@pytest.fixture
def messages(runtime, directory):
    """A message of a MOPTI leader (Mopti region), one of a SEGOU leader (Ségou), one of an unknown number, and the
    answer to the MOPTI leader; their ids by name."""
    mopti, segou = contact_by_phone(runtime, MOPTI_LEADER), first_leader_of(runtime, "SEGOU")
    return {
        "mopti_in": add_message(runtime, "bagarre au marche de Konna", mopti),
        "segou_in": add_message(runtime, "tension a Segou", segou),
        "unknown_in": add_message(runtime, "qui etes vous", address=UNKNOWN_NUMBER),
        "mopti_out": add_message(runtime, "Merci, message recu", mopti, direction="out", kind="alert_confirmation"),
        "segou_name": segou.name,
        "segou_phone": segou.phone,
    }


def listed(page: str) -> set[str]:
    """The bodies the page lists (the tests' bodies are all distinct)."""
    bodies = ("bagarre au marche de Konna", "tension a Segou", "qui etes vous", "Merci, message recu")
    return {body for body in bodies if body in page}


def test_an_admin_sees_every_message(runtime, app, messages):
    page = browser_for(runtime, app, "admin").get("/console/messages")
    assert page.status_code == 200
    assert listed(page.get_data(as_text=True)) == {
        "bagarre au marche de Konna",
        "tension a Segou",
        "qui etes vous",
        "Merci, message recu",
    }


def test_a_coordinator_sees_its_regions_contacts_in_and_out_and_no_number_outside_the_directory(runtime, app, messages):
    page = browser_for(runtime, app, "coordinator", region="Mopti").get("/console/messages?lang=en")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert listed(text) == {"bagarre au marche de Konna", "Merci, message recu"}
    assert "those of numbers not in the directory are not shown" in text  # said, not only done


@pytest.mark.parametrize("role", ["facilitator", "officer", "observer"])
def test_every_other_role_is_refused(runtime, app, messages, role):
    browser = browser_for(runtime, app, role, **({} if role == "observer" else {"district": "MOPTI"}))
    for path in ("/console/messages", f"/console/messages/{messages['mopti_in']}"):
        assert browser.get(path).status_code == 403, path
    token = csrf_token(browser, "/console/")
    answer = browser.post(f"/console/messages/{messages['mopti_in']}/reveal", data={"csrf_token": token, "reason": "x"})
    assert answer.status_code == 403
    assert audit_rows(runtime, "reveal_message") == []
    assert "/console/messages" not in browser.get("/console/").get_data(as_text=True)  # not in its menu


def test_numbers_and_names_are_masked_in_the_list_and_on_the_message(runtime, app, messages):
    admin = browser_for(runtime, app, "admin")
    for path in ("/console/messages", f"/console/messages/{messages['segou_in']}"):
        text = admin.get(path).get_data(as_text=True)
        assert messages["segou_phone"] not in text and UNKNOWN_NUMBER not in text and MOPTI_LEADER not in text
        assert messages["segou_name"] not in text and "Mamadou" not in text
    assert "+*********42" in admin.get("/console/messages").get_data(as_text=True)  # the unknown number, masked
    assert "M••• D•••" in admin.get("/console/messages").get_data(as_text=True)  # Mamadou Dembélé


def reveal(browser, message_id: int, reason: str):
    token = csrf_token(browser, f"/console/messages/{message_id}")
    return browser.post(f"/console/messages/{message_id}/reveal", data={"csrf_token": token, "reason": reason})


def test_a_reveal_needs_a_reason_and_records_nothing_without_one(runtime, app, messages):
    admin = browser_for(runtime, app, "admin")
    before = audit_rows(runtime)
    for reason in ("", "   ", "\t\n"):
        answer = reveal(admin, messages["mopti_in"], reason)
        assert answer.status_code == 422
        assert MOPTI_LEADER not in answer.get_data(as_text=True)
    too_long = reveal(admin, messages["mopti_in"], "x" * 501)
    assert too_long.status_code == 422 and MOPTI_LEADER not in too_long.get_data(as_text=True)
    assert [r.action for r in audit_rows(runtime)] == [r.action for r in before]


def test_a_reveal_shows_that_messages_number_only_and_is_audited_without_it(runtime, app, messages):
    admin = browser_for(runtime, app, "admin")
    answer = reveal(admin, messages["mopti_in"], "rappeler le leader au 71139685 pour verifier")
    text = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert MOPTI_LEADER in text and "Mamadou Dembélé" in text
    assert messages["segou_phone"] not in text and UNKNOWN_NUMBER not in text
    [entry] = audit_rows(runtime, "reveal_message")
    assert (entry.actor, entry.target) == ("admin-0@example.org", f"message:{messages['mopti_in']}")
    assert "rappeler le leader" in entry.detail and "71139685" not in entry.detail and MOPTI_LEADER not in entry.detail
    # The next page load masks it again: the reveal was for that response only.
    again = admin.get(f"/console/messages/{messages['mopti_in']}").get_data(as_text=True)
    assert MOPTI_LEADER not in again and "Mamadou Dembélé" not in again


def test_a_coordinator_reveals_in_its_region_and_finds_nothing_outside_it(runtime, app, messages):
    coordinator = browser_for(runtime, app, "coordinator", region="Mopti")
    assert MOPTI_LEADER in reveal(coordinator, messages["mopti_out"], "joindre le leader").get_data(as_text=True)
    for name in ("segou_in", "unknown_in"):
        assert coordinator.get(f"/console/messages/{messages[name]}").status_code == 404
        token = csrf_token(coordinator, "/console/messages")
        answer = coordinator.post(
            f"/console/messages/{messages[name]}/reveal", data={"csrf_token": token, "reason": "curiosite"}
        )
        assert answer.status_code == 404
        assert messages["segou_phone"] not in answer.get_data(as_text=True)
    assert coordinator.get("/console/messages/999999").status_code == 404
    assert [e.target for e in audit_rows(runtime, "reveal_message")] == [f"message:{messages['mopti_out']}"]


def test_a_reveal_without_csrf_token_is_refused_and_records_nothing(runtime, app, messages):
    admin = browser_for(runtime, app, "admin")
    answer = admin.post(f"/console/messages/{messages['mopti_in']}/reveal", data={"reason": "urgence"})
    assert answer.status_code == 400
    assert audit_rows(runtime, "reveal_message") == []
