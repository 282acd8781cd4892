"""What each role reads: the timeline of an alert, the observer who never sees a phone, a name or a text, the
reporter's identity only on an audited request by a role that may ask, and an SMS close racing an API close."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from gateway.alerts import desk
from gateway.models import Alert, AuditEntry
from gateway.staff.accounts import find_user
from gateway.staff.scope import Scope
from tests.chat import Chat
from tests.gateway.api.conftest import KORO_LEADER, KORO_REPORT, MACINA_REPORT, assert_error, footprint
from tests.staff_users import SEES

OFFICER_KORO_PHONE = "+22379678122"  # Seydou Traoré, KORO's duty officer in the sample directory
REPLY = "Merci, une équipe arrive au marché."
NOTE = "Le sous-préfet est prévenu."


@pytest.fixture
def handled(runtime, api, reports, staff) -> int:
    """The KORO report triaged as urgent (its officer paged), answered, noted, taken, then resolved."""
    ref = reports["KORO"]
    assert (
        api("POST", f"/alerts/{ref}/triage", "coord_mopti", {"category": "security_forces", "severity": 3}).status_code
        == 200
    )
    assert api("POST", f"/alerts/{ref}/reply", "fac_koro", {"text": REPLY}).status_code == 202
    with runtime.db.transaction() as session:  # the console's note (the API has no note route)
        user = find_user(session, staff.emails["fac_koro"])
        desk.add_note(session, Scope.of(user), session.get(Alert, ref), NOTE)
    assert api("POST", f"/alerts/{ref}/status", "officer_koro", {"status": "acknowledged"}).status_code == 200
    assert (
        api("POST", f"/alerts/{ref}/status", "admin", {"status": "resolved", "note": "calme revenu"}).status_code == 200
    )
    return ref


def test_timeline_tells_the_story_in_order(api, handled):
    alert = api("GET", f"/alerts/{handled}", "officer_koro").get_json()
    assert (alert["status"], alert["category"], alert["severity"]) == ("resolved", "security_forces", 3)
    assert alert["acknowledged_at"] and alert["resolved_at"] and alert["description"] == KORO_REPORT
    events = alert["timeline"]
    assert [e["at"] for e in events] == sorted(e["at"] for e in events)
    kinds = [e["kind"] for e in events]
    assert set(kinds) >= {"message", "created", "triage", "paged", "reply", "note", "acknowledged", "status"}
    [message] = [e for e in events if e["kind"] == "message"]
    assert message["text"] == KORO_REPORT
    [page] = [e for e in events if e["kind"] == "paged"]
    assert page["officer"] == "Seydou Traoré" and page["delivered"] is False and page["level"] == 1
    [reply] = [e for e in events if e["kind"] == "reply"]
    assert (reply["text"], reply["by"]) == (REPLY, "fac_koro@example.org")
    [taken] = [e for e in events if e["kind"] == "acknowledged"]
    assert taken["by"] == "Officer Koro"
    statuses = [(e["status"], e["note"]) for e in events if e["kind"] == "status"]
    assert statuses == [("acknowledged", None), ("resolved", "calme revenu")]


def _strings(value) -> list[str]:
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (k, *_strings(v))]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return [str(value)]


def test_observer_never_sees_a_phone_a_name_or_a_text(api, handled, directory):
    texts = [
        api("GET", "/alerts", "observer").get_data(as_text=True),
        api("GET", f"/alerts/{handled}", "observer").get_data(as_text=True),
    ]
    everything = " ".join(s for text in texts for s in _strings(json.loads(text)))
    assert not re.search(r"\d{8}", everything.replace(" ", "")), "no phone number, whatever its format"
    for secret in (KORO_REPORT, MACINA_REPORT, REPLY, NOTE, "calme revenu", "@example.org", "Seydou", "Officer Koro"):
        assert secret not in everything
    for row in directory:
        assert row.name not in everything
    detail = json.loads(texts[1])
    assert detail["description"] is None and "reporter" not in detail
    assert all("text" not in e and "by" not in e and "note" not in e for e in detail["timeline"])
    assert {"message", "reply", "note", "paged"} <= {e["kind"] for e in detail["timeline"]}, "counts stay visible"


# role → status of `POST …/reveal` on the KORO report (404: not in its scope at all).
REVEAL = {
    "admin": 200,
    "coord_mopti": 200,
    "coord_segou": 404,
    "fac_koro": 403,
    "fac_macina": 404,
    "officer_koro": 403,
    "observer": 403,
}
REASON = "menace sur le rapporteur"
STRANGER = "+22370000042"  # a number outside the directory


@pytest.mark.parametrize("role", list(REVEAL))
def test_reveal_by_role(runtime, api, reports, staff, role):
    ref = reports["KORO"]
    before = footprint(runtime)
    response = api("POST", f"/alerts/{ref}/reveal", role, {"reason": REASON})
    if REVEAL[role] != 200:
        assert_error(response, REVEAL[role])
        assert footprint(runtime) == before
        return
    assert response.status_code == 200
    assert response.get_json() == {"ref": ref, "reporter": {"name": "Abdoulaye Tangara", "phone": KORO_LEADER}}
    with runtime.db.transaction() as session:
        entry = session.scalar(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1))
        assert (entry.actor, entry.action, entry.target) == (staff.emails[role], "reveal_reporter", f"alert #{ref}")
        assert entry.detail == REASON


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "  "}, {"reason": None}, {"reason": 5}])
def test_reveal_without_a_reason_is_422_and_shows_nothing(runtime, api, reports, body):
    before = footprint(runtime)
    response = api("POST", f"/alerts/{reports['KORO']}/reveal", "admin", body)
    assert_error(response, 422, "invalid")
    assert KORO_LEADER not in response.get_data(as_text=True)
    assert footprint(runtime) == before


def test_a_report_from_outside_the_directory_reveals_null_but_is_audited(runtime, api, reports, staff):
    Chat(runtime, STRANGER).send("Des hommes armés au marché de Koro")
    with runtime.db.transaction() as session:
        ref = session.scalar(select(Alert.id).order_by(Alert.id.desc()).limit(1))
    response = api("POST", f"/alerts/{ref}/reveal", "admin", {"reason": REASON})
    assert response.status_code == 200 and response.get_json() == {"ref": ref, "reporter": None}
    with runtime.db.transaction() as session:
        entry = session.scalar(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1))
        assert (entry.action, entry.target, entry.detail) == ("reveal_reporter", f"alert #{ref}", REASON)


@pytest.mark.parametrize("query", ["?reveal=1&reason=menace", "?reveal=true&reason=menace"])
def test_a_get_never_reveals_nor_writes(runtime, api, reports, query):
    """A link (a top-level navigation carries the session cookie) must not be able to reveal anyone."""
    before = footprint(runtime)
    response = api("GET", f"/alerts/{reports['KORO']}{query}", "admin")
    assert response.status_code == 200 and "reporter" not in response.get_json()
    assert KORO_LEADER not in response.get_data(as_text=True) and "Tangara" not in response.get_data(as_text=True)
    assert footprint(runtime) == before, "no audit row: nothing was revealed"


def test_no_reporter_without_reveal(api, reports):
    for role in SEES:
        for district in SEES[role]:
            body = api("GET", f"/alerts/{reports[district]}", role).get_data(as_text=True)
            assert "reporter" not in json.loads(body) and "+223" not in body


def test_sms_close_first_then_api_gets_409(runtime, api, reports):
    ref = reports["KORO"]
    officer = Chat(runtime, OFFICER_KORO_PHONE)
    officer.send(f"FIN {ref} calme")
    assert any("close" in r for r in officer.send("OUI")), "the SMS closed it"
    response = api("POST", f"/alerts/{ref}/status", "officer_koro", {"status": "resolved", "note": "fini"})
    assert_error(response, 409, "conflict")
    events = api("GET", f"/alerts/{ref}", "admin").get_json()["timeline"]
    [closed] = [e for e in events if e["kind"] == "closed"]
    assert (closed["status"], closed["by"], closed["note"]) == ("resolved", "Seydou Traoré", "calme")


def test_api_close_first_then_sms_is_told(runtime, api, reports):
    ref = reports["KORO"]
    officer = Chat(runtime, OFFICER_KORO_PHONE)
    officer.send(f"FIN {ref} calme")  # asks for a confirmation: the API closes it meanwhile
    assert api("POST", f"/alerts/{ref}/status", "coord_mopti", {"status": "false_alarm"}).status_code == 200
    assert officer.send("OUI") == [f"#{ref} est déjà close."]
    alert = api("GET", f"/alerts/{ref}", "admin").get_json()
    assert alert["status"] == "false_alarm"
    assert not [e for e in alert["timeline"] if e["kind"] == "closed"], "closed once, by the API"
