"""The alert desk's actions (console and API alike): each one allowed to the roles DESIGN names and refused to the
others with nothing changed, audited with the actor's email, and telling people what the SMS commands tell."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from gateway.alerts import desk
from gateway.escalation import ladder
from gateway.models import AlertUpdate, Contact, Message, Role
from tests.chat import Chat
from tests.gateway.alerts.desk_helpers import (
    ALIOU,
    BAKARY,
    BAKARY_NAME,
    CLOSED,
    FREE_TEXT,
    HANDLED,
    LEADER,
    OTHER_LEADER,
    URGENT,
    act,
    audit_rows,
    due,
    escalation_of,
    refusal,
    sms,
    snapshot,
)
from tests.staff_users import make_user

USERS = {  # role → (email, region, district)
    "admin": ("awa@example.org", None, None),
    "coordinator": ("bakary@example.org", "Mopti", None),
    "facilitator": ("moussa@example.org", None, "MOPTI"),
    "officer": ("kadidia@example.org", None, "MOPTI"),
    "observer": ("donor@example.org", None, None),
}
ACTIONS = {  # action → (how, the alert it acts on, audit action, allowed roles)
    "triage": (lambda s, rt, sc, a: desk.triage(s, rt, sc, a, "armed_group", 3), 2, "alert_triage", "ACFO"),
    "take": (lambda s, rt, sc, a: desk.set_status(s, rt, sc, a, "acknowledged", None), 1, "alert_status", "ACO"),
    "verify": (lambda s, rt, sc, a: desk.set_status(s, rt, sc, a, "verified", None), 1, "alert_status", "ACFO"),
    "resolve": (lambda s, rt, sc, a: desk.set_status(s, rt, sc, a, "resolved", "ok"), 1, "alert_status", "ACO"),
    "false_alarm": (lambda s, rt, sc, a: desk.set_status(s, rt, sc, a, "false_alarm", None), 1, "alert_status", "ACO"),
    "note": (lambda s, rt, sc, a: desk.add_note(s, sc, a, "le maire est prévenu"), 1, "alert_note", "ACFO"),
    "reply": (lambda s, rt, sc, a: desk.reply(s, rt, sc, a, "Merci, nous suivons."), 1, "alert_reply", "ACFO"),
}
INITIAL = {"admin": "A", "coordinator": "C", "facilitator": "F", "officer": "O", "observer": "-"}


@pytest.fixture
def alerts(runtime, directory):
    """#1 an urgent alert of a MOPTI leader (Aliou paged), #2 an untriaged report of another MOPTI leader."""
    Chat(runtime, LEADER).send(URGENT)
    Chat(runtime, OTHER_LEADER).send(FREE_TEXT)


def user(runtime, role: str, **kwargs):
    email, region, district = USERS[role]
    return make_user(runtime, email, role, region, district, **kwargs)


@pytest.fixture(autouse=True)
def no_reporter_identity_reaches_officers(runtime, directory):
    """After every test: no text written to an officer carries a leader's name or number."""
    yield
    with runtime.db.transaction() as session:
        leaders = session.scalars(select(Contact).where(Contact.role == Role.LEADER)).all()
        bodies = session.scalars(
            select(Message.body).join(Contact, Message.contact_id == Contact.id).where(Contact.role == Role.OFFICER)
        ).all()
    marks = {m for c in leaders for m in (c.name, c.phone, c.phone[-8:])}
    assert not [(body, mark) for body in bodies for mark in marks if mark in body]


@pytest.mark.parametrize("action", list(ACTIONS))
@pytest.mark.parametrize("role", list(USERS))
def test_each_action_by_each_role(runtime, alerts, role, action):
    how, ref, audit_action, allowed = ACTIONS[action]
    scope = user(runtime, role)
    before = snapshot(runtime, ref)
    if INITIAL[role] in allowed:
        act(runtime, lambda s, a: how(s, runtime, scope, a), ref)
        assert audit_rows(runtime)[-1][:3] == (USERS[role][0], audit_action, f"alert #{ref}")
        assert snapshot(runtime, ref) != before
        return
    refused = refusal(runtime, lambda s, a: how(s, runtime, scope, a), ref)
    assert refused.code == "forbidden"
    article = "an" if role[0] in "aeiou" else "a"
    assert refused.message.startswith(f"{article} {role} may not ") and refused.message.endswith(" an alert")
    assert snapshot(runtime, ref) == before and audit_rows(runtime) == []


def test_take_tells_the_paged_officers_and_the_reporter_and_stops_the_ladder(runtime, alerts):
    assert ladder.step(runtime, *due(runtime)) == "level 2"  # Aliou and Bakary are paged
    reporter, aliou, bakary = Chat(runtime, LEADER), Chat(runtime, ALIOU), Chat(runtime, BAKARY)
    scope = user(runtime, "coordinator", name=BAKARY_NAME, contact_phone=BAKARY)
    act(runtime, lambda s, a: desk.set_status(s, runtime, scope, a, "acknowledged", None))
    assert aliou.replies() == [sms("escalation.taken", ref=1, officer=BAKARY_NAME)]
    assert bakary.replies() == [], "the one who took it is not told"
    assert reporter.replies() == [HANDLED]
    esc = escalation_of(runtime)
    assert (esc.alert.status, esc.status, esc.next_step_at) == ("acknowledged", "stopped", None)
    assert esc.acknowledged_by.phone == BAKARY and esc.acknowledged_by_user.email == "bakary@example.org"
    assert esc.remind_at is not None, "a linked officer is reminded by SMS to close it, as after OK 1"
    assert ladder.step(runtime, *due(runtime)) == "skipped"
    assert audit_rows(runtime) == [("bakary@example.org", "alert_status", "alert #1", "acknowledged")]


def test_take_by_an_account_without_a_phone_then_ok_by_sms_is_told_who_took_it(runtime, alerts):
    aliou, scope = Chat(runtime, ALIOU), user(runtime, "admin", name="Awa Diallo")
    act(runtime, lambda s, a: desk.set_status(s, runtime, scope, a, "acknowledged", None))
    esc = escalation_of(runtime)
    assert (esc.acknowledged_by, esc.acknowledged_by_user.name, esc.remind_at) == (None, "Awa Diallo", None)
    assert aliou.replies() == [sms("escalation.taken", ref=1, officer="Awa Diallo")]
    assert aliou.send("OK 1") == [sms("escalation.already_taken", ref=1, officer="Awa Diallo")]
    assert escalation_of(runtime).acknowledged_by_user.name == "Awa Diallo", "the first one keeps it"


def test_taken_by_sms_first_the_desk_is_refused(runtime, alerts):
    Chat(runtime, ALIOU).send("OK 1")
    scope = user(runtime, "officer")
    before = snapshot(runtime)
    refused = refusal(runtime, lambda s, a: desk.set_status(s, runtime, scope, a, "acknowledged", None))
    assert (refused.code, refused.message) == ("conflict", "alert #1 is acknowledged: it cannot become acknowledged")
    assert snapshot(runtime) == before


def test_taken_by_sms_while_the_desk_was_taking_it_the_desk_is_told_who(runtime, alerts, monkeypatch):
    scope, real = user(runtime, "officer"), desk.acknowledge

    def sms_first(*args, **kwargs):  # the desk read the alert as new; Aliou's OK 1 commits now
        Chat(runtime, ALIOU).send("OK 1")
        return real(*args, **kwargs)

    monkeypatch.setattr(desk, "acknowledge", sms_first)
    refused = refusal(runtime, lambda s, a: desk.set_status(s, runtime, scope, a, "acknowledged", None))
    assert (refused.code, refused.message) == ("conflict", "alert #1 is already taken by Aliou Ongoïba")
    assert escalation_of(runtime).acknowledged_by.phone == ALIOU and audit_rows(runtime) == []


@pytest.mark.parametrize(
    ("target", "note", "paged_key", "reporter_told", "detail"),
    [
        ("resolved", "le calme est revenu", "escalation.resolved_by", [CLOSED], "resolved: le calme est revenu"),
        ("false_alarm", None, "escalation.dismissed_by", [], "false_alarm"),
    ],
)
def test_closing_tells_the_paged_officers_and_the_reporter_only_when_resolved(
    runtime, alerts, target, note, paged_key, reporter_told, detail
):
    reporter, aliou = Chat(runtime, LEADER), Chat(runtime, ALIOU)
    scope = user(runtime, "officer", name="Kadidia Coulibaly")
    act(runtime, lambda s, a: desk.set_status(s, runtime, scope, a, target, note))
    assert aliou.replies() == [sms(paged_key, ref=1, officer="Kadidia Coulibaly")]
    assert reporter.replies() == reporter_told
    esc = escalation_of(runtime)
    assert (esc.alert.status, esc.status, esc.resolution_note, esc.remind_at) == (target, "stopped", note, None)
    assert esc.resolved_by_user_id == scope.user_id and esc.acknowledged_by_user_id == scope.user_id
    assert esc.resolved_at is not None and ladder.step(runtime, *due(runtime)) == "skipped"
    assert audit_rows(runtime) == [("kadidia@example.org", "alert_status", "alert #1", detail)]
    with runtime.db.transaction() as session:
        [row] = session.scalars(select(AlertUpdate).where(AlertUpdate.kind == "status")).all()
        assert (row.actor, row.value) == ("kadidia@example.org", f"{target} {note or ''}".strip())
    assert Chat(runtime, ALIOU).send("FIN 1") == [sms("escalation.already_closed", ref=1)]


def test_verify_tells_nobody_and_the_alert_can_still_be_resolved(runtime, alerts):
    reporter, aliou = Chat(runtime, LEADER), Chat(runtime, ALIOU)
    facilitator, officer = user(runtime, "facilitator"), user(runtime, "officer")
    act(runtime, lambda s, a: desk.set_status(s, runtime, facilitator, a, "verified", None))
    assert reporter.replies() == [] and aliou.replies() == []
    act(runtime, lambda s, a: desk.set_status(s, runtime, officer, a, "resolved", None))
    assert escalation_of(runtime).alert.status == "resolved" and reporter.replies() == [CLOSED]


def test_triage_of_a_report_with_severity_3_pages_the_officers(runtime, alerts):
    aliou, scope = Chat(runtime, ALIOU), user(runtime, "facilitator")
    act(runtime, lambda s, a: desk.triage(s, runtime, scope, a, "armed_group", 3), ref=2)
    [page] = aliou.replies()
    assert page.startswith("URGENT #2 Mopti/Mopti:") and "OK 2" in page
    esc = escalation_of(runtime, 2)
    assert (esc.alert.category, esc.alert.severity, esc.status, esc.ladder) == ("armed_group", 3, "active", True)
    assert audit_rows(runtime) == [("moussa@example.org", "alert_triage", "alert #2", "armed_group 3")]
    with runtime.db.transaction() as session:
        [row] = session.scalars(select(AlertUpdate).where(AlertUpdate.kind == "triaged")).all()
        assert (row.actor, row.value) == ("moussa@example.org", "armed_group 3")


def test_triage_with_a_low_severity_pages_nobody(runtime, alerts):
    aliou, scope = Chat(runtime, ALIOU), user(runtime, "officer")
    act(runtime, lambda s, a: desk.triage(s, runtime, scope, a, "land_livestock", None), ref=2)
    assert aliou.replies() == [] and escalation_of(runtime, 2) is None
    assert audit_rows(runtime)[0][3] == "land_livestock ?"


@pytest.mark.parametrize(
    ("ref", "category", "severity", "code", "message"),
    [
        (2, "weather", 3, "invalid", "unknown category 'weather' (one of: "),
        (2, "armed_group", 4, "invalid", "severity is 1 (information), 2 (tension) or 3 (urgent)"),
        (2, "armed_group", 0, "invalid", "severity is 1 (information), 2 (tension) or 3 (urgent)"),
        (1, "armed_group", 3, "conflict", "alert #1 is already classified"),
    ],
)
def test_triage_refusals(runtime, alerts, ref, category, severity, code, message):
    scope, before = user(runtime, "admin"), snapshot(runtime, ref)
    refused = refusal(runtime, lambda s, a: desk.triage(s, runtime, scope, a, category, severity), ref)
    assert refused.code == code and refused.message.startswith(message)
    assert snapshot(runtime, ref) == before


def test_a_report_is_triaged_once(runtime, alerts):
    scope = user(runtime, "admin")
    act(runtime, lambda s, a: desk.triage(s, runtime, scope, a, "other", 1), ref=2)
    refused = refusal(runtime, lambda s, a: desk.triage(s, runtime, scope, a, "armed_group", 3), ref=2)
    assert (refused.code, refused.message) == ("conflict", "alert #2 is already classified")


def test_set_status_refusals(runtime, alerts):
    scope = user(runtime, "admin")
    before = snapshot(runtime)
    refused = refusal(runtime, lambda s, a: desk.set_status(s, runtime, scope, a, "closed", None))
    assert (refused.code, refused.message) == (
        "invalid",
        "unknown status 'closed' (one of: acknowledged, verified, false_alarm, resolved)",
    )
    refused = refusal(runtime, lambda s, a: desk.set_status(s, runtime, scope, a, "resolved", "x" * 2001))
    assert (refused.code, refused.message) == ("invalid", "too long: 2001 characters, at most 2000")
    assert snapshot(runtime) == before
    act(runtime, lambda s, a: desk.set_status(s, runtime, scope, a, "false_alarm", None))
    for target in ("false_alarm", "resolved", "acknowledged", "verified"):
        refused = refusal(runtime, lambda s, a, t=target: desk.set_status(s, runtime, scope, a, t, None))
        assert (refused.code, refused.message) == ("conflict", f"alert #1 is false_alarm: it cannot become {target}")


def test_a_note_is_kept_on_the_alert_and_sent_to_nobody(runtime, alerts):
    scope = user(runtime, "facilitator")
    with runtime.db.transaction() as session:
        messages = len(session.scalars(select(Message.id)).all())
    act(runtime, lambda s, a: desk.add_note(s, scope, a, "  Le maire de Konna est prévenu  "))
    with runtime.db.transaction() as session:
        [note] = session.scalars(select(AlertUpdate).where(AlertUpdate.kind == "note")).all()
        assert (note.actor, note.value) == ("moussa@example.org", "Le maire de Konna est prévenu")
        assert len(session.scalars(select(Message.id)).all()) == messages
    assert audit_rows(runtime) == [("moussa@example.org", "alert_note", "alert #1", "29 characters")]
    too_long = "the note is too long: 2001 characters, at most 2000"
    for text, message in [("  ", "the note is empty"), ("x" * 2001, too_long)]:
        refused = refusal(runtime, lambda s, a, t=text: desk.add_note(s, scope, a, t))
        assert (refused.code, refused.message) == ("invalid", message)
    assert len(audit_rows(runtime)) == 1


def test_a_reply_goes_through_the_outbox_to_the_reporter(runtime, alerts):
    reporter, scope = Chat(runtime, LEADER), user(runtime, "officer")
    message_id = act(runtime, lambda s, a: desk.reply(s, runtime, scope, a, "Merci, la gendarmerie est prévenue.").id)
    assert reporter.replies() == ["Merci, la gendarmerie est prévenue."]
    with runtime.db.transaction() as session:
        message = session.get(Message, message_id)
        assert (message.address, message.alert_id, message.kind, message.status) == (LEADER, 1, "reply", "queued")
        [row] = session.scalars(select(AlertUpdate).where(AlertUpdate.kind == "reply")).all()
        assert (row.actor, row.message_id) == ("kadidia@example.org", message_id)
    assert audit_rows(runtime) == [("kadidia@example.org", "alert_reply", "alert #1", f"message {message_id}")]


def test_reply_refusals(runtime, alerts):
    Chat(runtime, "+22370000042").send("Des hommes armés au marché")  # #3: outside the directory
    scope = user(runtime, "admin")
    cases = [
        (1, "   ", "invalid", "the reply is empty"),
        (1, "x" * 460, "invalid", "the reply is too long: 460 characters, at most 459"),
        (3, "Merci", "conflict", "alert #3 came from a number outside the directory: no one to answer"),
    ]
    for ref, text, code, message in cases:
        refused = refusal(runtime, lambda s, a, t=text: desk.reply(s, runtime, scope, a, t), ref)
        assert (refused.code, refused.message) == (code, message)
    with runtime.db.transaction() as session:
        session.execute(update(Contact).where(Contact.phone == LEADER).values(opted_out=True))
    refused = refusal(runtime, lambda s, a: desk.reply(s, runtime, scope, a, "Merci"))
    assert (refused.code, refused.message) == ("conflict", "the reporter of alert #1 no longer receives messages")
    assert audit_rows(runtime) == []


def test_the_audit_holds_no_phone_number_and_no_text_written_to_or_about_the_reporter(runtime, alerts):
    scope = user(runtime, "admin")
    reply_text, note_text = "Nous arrivons, restez à l'abri", "Appeler le +22371139685 demain"
    act(runtime, lambda s, a: desk.add_note(s, scope, a, note_text))
    act(runtime, lambda s, a: desk.reply(s, runtime, scope, a, reply_text))
    act(runtime, lambda s, a: desk.set_status(s, runtime, scope, a, "acknowledged", None))
    act(runtime, lambda s, a: desk.triage(s, runtime, scope, a, "armed_group", 2), ref=2)
    rows = audit_rows(runtime)
    assert [r[1] for r in rows] == ["alert_note", "alert_reply", "alert_status", "alert_triage"]
    assert {r[0] for r in rows} == {"awa@example.org"}
    text = repr(rows)
    assert "71139685" not in text and "65598143" not in text
    assert reply_text not in text and note_text not in text and "hommes armés" not in text
