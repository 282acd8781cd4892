"""The desk's buttons and forms through the Flask test client: each one changes the alert once, is audited with the
staff email and answers with a flash; a refusal shows the page again with its reason and changes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from gateway.alerts.desk import MAX_REPLY
from gateway.models import AlertStatus, Contact, Direction, Message, MessageKind, Notification
from tests.gateway.console.desk_support import (
    alert_row,
    audit_rows,
    csrf_token,
    log_in,
    make_user,
    outbox_count,
    report,
)

URGENT = "ALERTE 3 des hommes armes sont entres au village"
OFFICER = "moussa@example.org"


@pytest.fixture
def officer(runtime, client, directory):
    """A client logged in as a duty officer of KORO."""
    log_in(client, make_user(runtime, OFFICER, "officer", district="KORO"))
    return client


def post(client, ref: int, action: str, **fields):
    """Post one of the alert page's forms, with the token the page carries."""
    token = csrf_token(client.get(f"/console/alerts/{ref}").data)
    return client.post(f"/console/alerts/{ref}/{action}", data={"csrf_token": token, **fields})


def sent_to_officers(runtime, ref: int) -> list[Message]:
    """Messages queued to the officers paged for an alert, oldest first."""
    with runtime.db.transaction() as session:
        officers = set(session.scalars(select(Notification.officer_id).where(Notification.alert_id == ref)))
        return list(
            session.scalars(
                select(Message)
                .where(Message.direction == Direction.OUT, Message.contact_id.in_(officers))
                .order_by(Message.id)
            )
        )


def test_take_then_resolve_with_a_note(runtime, officer):
    ref = report(runtime, "KORO", URGENT)
    paged_before = len(sent_to_officers(runtime, ref))

    taken = post(officer, ref, "take")
    assert taken.status_code == 302 and taken.headers["Location"] == f"/console/alerts/{ref}"
    page = officer.get(taken.headers["Location"])
    assert f"Alerte #{ref} prise en charge.".encode() in page.data  # the flash
    assert alert_row(runtime, ref).status == AlertStatus.ACKNOWLEDGED
    assert b"Prise en charge par Moussa" in page.data
    assert b"action-take" not in page.data  # no button for a move that is no longer possible

    resolved = post(officer, ref, "resolve", note="calme revenu apres la reunion")
    assert resolved.status_code == 302
    assert alert_row(runtime, ref).status == AlertStatus.RESOLVED
    assert b"calme revenu apres la reunion" in officer.get(f"/console/alerts/{ref}").data

    actions = [(row.action, row.target, row.detail) for row in audit_rows(runtime, OFFICER)]
    assert ("alert_status", f"alert #{ref}", "acknowledged") in actions
    assert ("alert_status", f"alert #{ref}", "resolved: calme revenu apres la reunion") in actions
    told = [m.body for m in sent_to_officers(runtime, ref)[paged_before:]]
    assert any(f"#{ref}" in body and "Moussa" in body for body in told), told  # the paged officers were told


def test_a_move_that_is_no_longer_possible_answers_409_and_changes_nothing(runtime, officer):
    ref = report(runtime, "KORO", URGENT)
    assert post(officer, ref, "false_alarm", note="rumeur").status_code == 302
    audited = len(audit_rows(runtime))
    again = post(officer, ref, "take")
    assert again.status_code == 409
    assert b"Refus" in again.data and b"false_alarm" in again.data
    assert alert_row(runtime, ref).status == AlertStatus.FALSE_ALARM
    assert len(audit_rows(runtime)) == audited


def test_a_facilitator_may_note_and_reply_but_not_take(runtime, client, directory):
    ref = report(runtime, "KORO", URGENT)
    log_in(client, make_user(runtime, "awa@example.org", "facilitator", district="KORO"))
    page = client.get(f"/console/alerts/{ref}")
    assert b"action-take" not in page.data and b"action-note" in page.data

    refused = post(client, ref, "take")
    assert refused.status_code == 403
    assert alert_row(runtime, ref).status == AlertStatus.NEW

    assert post(client, ref, "note", text="appele le maire, il confirme").status_code == 302
    assert b"appele le maire, il confirme" in client.get(f"/console/alerts/{ref}").data
    assert post(client, ref, "note", text="   ").status_code == 422


def test_reply_goes_through_the_outbox_and_a_canned_one_speaks_the_reporters_language(runtime, officer):
    ref = report(runtime, "KORO", URGENT)
    leader_id = alert_row(runtime, ref).reporter_id

    def replies():
        with runtime.db.transaction() as session:
            return list(
                session.scalars(
                    select(Message.body).where(
                        Message.contact_id == leader_id, Message.kind == MessageKind.REPLY, Message.alert_id == ref
                    )
                )
            )

    assert post(officer, ref, "reply", text="Nous arrivons, restez a l'abri.").status_code == 302
    assert post(officer, ref, "reply", text="", canned="alert.handled").status_code == 302
    assert replies() == ["Nous arrivons, restez a l'abri.", f"Votre alerte #{ref} est prise en charge. Merci."]
    assert ("alert_reply", f"alert #{ref}") in [(r.action, r.target) for r in audit_rows(runtime, OFFICER)]

    before = outbox_count(runtime)
    too_long = post(officer, ref, "reply", text="x" * (MAX_REPLY + 1))
    assert too_long.status_code == 422 and outbox_count(runtime) == before


def test_triage_of_a_report_with_severity_3_pages_the_officers(runtime, officer):
    ref = report(runtime, "KORO", "les bergers et les cultivateurs menacent de se battre")
    assert alert_row(runtime, ref).category is None and sent_to_officers(runtime, ref) == []
    assert b"form-triage" in officer.get(f"/console/alerts/{ref}").data

    assert post(officer, ref, "triage", category="land_livestock", severity="9").status_code == 422
    assert post(officer, ref, "triage", category="weather", severity="3").status_code == 422
    assert post(officer, ref, "triage", category="land_livestock", severity="3").status_code == 302
    row = alert_row(runtime, ref)
    assert (row.category, row.severity) == ("land_livestock", 3)
    assert sent_to_officers(runtime, ref)  # the ladder started
    assert post(officer, ref, "triage", category="other", severity="1").status_code == 409


def test_a_form_without_its_csrf_token_changes_nothing(runtime, officer):
    ref = report(runtime, "KORO", URGENT)
    before = len(audit_rows(runtime))
    for action, fields in (("take", {}), ("note", {"text": "x"}), ("reply", {"text": "x"})):
        response = officer.post(f"/console/alerts/{ref}/{action}", data=fields)
        assert response.status_code in (400, 403)
    assert alert_row(runtime, ref).status == AlertStatus.NEW
    assert len(audit_rows(runtime)) == before


def test_out_of_scope_or_unknown_actions_are_not_found(runtime, officer):
    macina = report(runtime, "MACINA", URGENT)
    token = csrf_token(officer.get("/console/").data)
    for path in (f"/console/alerts/{macina}/take", "/console/alerts/999999/take", f"/console/alerts/{macina}/reveal"):
        assert officer.post(path, data={"csrf_token": token, "reason": "x"}).status_code == 404
    koro = report(runtime, "KORO", URGENT)
    assert officer.post(f"/console/alerts/{koro}/delete", data={"csrf_token": token}).status_code == 404
    assert alert_row(runtime, macina).status == AlertStatus.NEW


def test_reveal_for_a_coordinator_of_the_region_with_a_reason_audited(runtime, client, directory):
    ref = report(runtime, "KORO", URGENT)
    with runtime.db.transaction() as session:
        reporter = session.get(Contact, alert_row(runtime, ref).reporter_id)
    email = make_user(runtime, "fatou@example.org", "coordinator", region="Mopti")
    log_in(client, email)
    page = client.get(f"/console/alerts/{ref}")
    assert b"/reveal" in page.data and reporter.phone.encode() not in page.data

    no_reason = post(client, ref, "reveal", reason="  ")
    assert no_reason.status_code == 422 and reporter.phone.encode() not in no_reason.data
    assert not [r for r in audit_rows(runtime) if r.action == "reveal_reporter"]

    shown = post(client, ref, "reveal", reason="appeler le leader pour verifier")
    assert shown.status_code == 200
    assert reporter.phone.encode() in shown.data and reporter.name.encode() in shown.data
    [entry] = [r for r in audit_rows(runtime) if r.action == "reveal_reporter"]
    assert (entry.actor, entry.target, entry.detail) == (email, f"alert #{ref}", "appeler le leader pour verifier")
    assert reporter.phone.encode() not in client.get(f"/console/alerts/{ref}").data  # that response only


def test_an_officer_may_not_reveal(runtime, officer):
    ref = report(runtime, "KORO", URGENT)
    assert b"/reveal" not in officer.get(f"/console/alerts/{ref}").data
    assert post(officer, ref, "reveal", reason="curiosite").status_code == 403
    assert not [r for r in audit_rows(runtime) if r.action == "reveal_reporter"]


def test_the_observer_changes_nothing(runtime, client, directory):
    ref = report(runtime, "KORO", URGENT)
    log_in(client, make_user(runtime, "donor@example.org", "observer"))
    for action, fields in (
        ("take", {}),
        ("note", {"text": "x"}),
        ("reply", {"text": "x"}),
        ("reveal", {"reason": "x"}),
    ):
        assert post(client, ref, action, **fields).status_code == 403
    assert alert_row(runtime, ref).status == AlertStatus.NEW
    assert [row.action for row in audit_rows(runtime, "donor@example.org")] == ["login"]
