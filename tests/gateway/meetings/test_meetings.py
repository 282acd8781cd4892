"""Meetings by message, as a KORO facilitator and the district's leaders live them: `REUNION 05/12 10h Lieu` through
the real inbound pipeline, the notices it queues (bulk, one GSM-7 segment, each leader's language and channel), the
answers in every form leaders type, ambiguity between two meetings, `POINT`, `ANNULER REUNION`, and the OUI/NON
buttons Telegram leaders press."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from flows.catalogue import text as catalogue_text
from gateway.meetings.dates import local_form
from gateway.meetings.service import cancel_meeting, create_meeting, reschedule_meeting
from gateway.messaging.sms_text import count_segments, to_gsm7
from gateway.models import Alert, Contact, District, Invitation, Meeting, Message, MessageKind, Role, utcnow
from tests.chat import Chat
from tests.fakes.telegram_api import SECRET, SECRET_HEADER, telegram_update
from tests.inbound_jobs import handle_queued

FACILITATOR = "+22391731768"  # Bakary Dembélé, KORO facilitator
LEADER = "+22376972134"  # Abdoulaye Togo, KORO leader, French, SMS
OTHER = "+22371581530"  # Abdoulaye Tangara, KORO leader, French, SMS
TELEGRAM_LEADER, TELEGRAM_LEADER_TG = "+22370905875", 2180838746  # Kadiatou Dicko, KORO leader on Telegram
PLACE = "Mairie de Koro"
REPORTED = to_gsm7("Message reçu #")  # the start of the answer to a message kept as a report


@pytest.fixture
def env(base_env, request):
    """The test gateway; Telegram on (pointed at the fake Bot API) for the tests that ask for `fake_telegram`."""
    if "fake_telegram" in request.fixturenames:
        return {**base_env, **request.getfixturevalue("fake_telegram").env()}
    return base_env


def day_ahead(days: int = 3) -> str:
    """The local date `days` from now, as a facilitator types it (`05/12`)."""
    return (datetime.now(ZoneInfo("Africa/Bamako")) + timedelta(days=days)).strftime("%d/%m")


def sms(key: str, **params) -> str:
    """A French catalogue text as an SMS carries it."""
    return to_gsm7(catalogue_text("fr", key, **params))


def koro_leaders(runtime) -> list[Contact]:
    """The active, not-opted-out leaders of KORO."""
    query = select(Contact).join(District).where(District.code == "KORO", Contact.role == Role.LEADER)
    query = query.where(Contact.active.is_(True), Contact.opted_out.is_(False)).order_by(Contact.id)
    with runtime.db.transaction() as session:
        return list(session.scalars(query))


def meeting_row(runtime, ref: int = 1) -> Meeting:
    """A fresh copy of one meeting."""
    with runtime.db.transaction() as session:
        return session.get(Meeting, ref)


def answers(runtime, ref: int = 1) -> dict[str, bool | None]:
    """Each invitee's phone → their answer."""
    query = select(Contact.phone, Invitation.answer).join(Invitation).where(Invitation.meeting_id == ref)
    with runtime.db.transaction() as session:
        return dict(session.execute(query).all())


def outbound(runtime, **where) -> list[Message]:
    """Outbound messages matching column values, oldest first."""
    with runtime.db.transaction() as session:
        query = select(Message).where(Message.direction == "out").order_by(Message.id)
        for column, value in where.items():
            query = query.where(getattr(Message, column) == value)
        return list(session.scalars(query))


def when(runtime, ref: int = 1, language: str = "fr") -> str:
    """The meeting's date as its readers see it."""
    return local_form(meeting_row(runtime, ref).starts_at, "Africa/Bamako", language)


def create(runtime, days: int = 3, place: str = PLACE) -> list[str]:
    """The facilitator calls a meeting by SMS and confirms it (tests/flows/test_confirmations.py); the replies to
    the confirmation."""
    chat = Chat(runtime, FACILITATOR)
    [question] = chat.send(f"REUNION {day_ahead(days)} 10h {place}")
    assert question.endswith("Envoyer? OUI/NON"), question
    return chat.send("OUI")


@pytest.fixture
def meeting(runtime, directory) -> int:
    """Meeting #1 of KORO, called by its facilitator three days ahead."""
    create(runtime)
    return 1


def test_facilitator_creates_a_meeting_by_sms(runtime, directory):
    leaders = koro_leaders(runtime)
    assert len(leaders) == 26
    [reply] = create(runtime)
    assert reply == sms("meeting.created", ref=1, when=when(runtime), place=PLACE, invitees=26, segments=26)
    assert reply.startswith("Réunion #1 créée: ") and reply.endswith("26 invités, 26 SMS.")
    stored = meeting_row(runtime)
    local = stored.starts_at.astimezone(ZoneInfo("Africa/Bamako"))
    assert (local.strftime("%d/%m"), local.hour, local.minute, stored.place) == (day_ahead(3), 10, 0, PLACE)
    assert set(answers(runtime)) == {c.phone for c in leaders}
    notices = outbound(runtime, kind=MessageKind.MEETING_NOTICE)
    assert sorted(m.contact_id for m in notices) == [c.id for c in leaders]
    for notice in notices:
        assert notice.priority == "bulk" and notice.status == "queued"
        assert "#1" in notice.body and to_gsm7(when(runtime)) in notice.body and PLACE in notice.body
        assert "OUI ou NON" in notice.body
        segments = count_segments(notice.body)
        assert (segments.encoding, segments.segments) == ("GSM-7", 1), notice.body
    question, created_reply = outbound(runtime, address=FACILITATOR)  # "… Envoyer? OUI/NON", then this
    assert question.priority == created_reply.priority == "urgent"


def test_an_english_leader_gets_the_english_notice(runtime, directory):
    with runtime.db.transaction() as session:
        session.execute(update(Contact).where(Contact.phone == OTHER).values(language="en"))
    create(runtime)
    [notice] = outbound(runtime, address=OTHER)
    assert notice.body.startswith("Meeting of the ") and "#1" in notice.body
    assert when(runtime, language="en") in notice.body and "Reply YES or NO" in notice.body
    assert count_segments(notice.body).segments == 1
    assert Chat(runtime, OTHER).send("YES") == [
        catalogue_text("en", "meeting.answer_yes", ref=1, when=when(runtime, language="en"))
    ]


def test_an_opted_out_leader_is_not_invited(runtime, directory):
    assert Chat(runtime, LEADER).send("STOP") == [sms("stop.done")]
    [reply] = create(runtime)
    assert reply.endswith("25 invités, 25 SMS.")
    assert LEADER not in answers(runtime) and len(answers(runtime)) == 25
    assert not outbound(runtime, address=LEADER, kind=MessageKind.MEETING_NOTICE)


@pytest.mark.parametrize("sender", [LEADER, "+22379678122"], ids=["leader", "officer"])
def test_only_facilitators_call_meetings(runtime, directory, sender):
    [reply] = Chat(runtime, sender).send(f"REUNION {day_ahead()} 10h {PLACE}")
    assert meeting_row(runtime) is None
    with runtime.db.transaction() as session:
        [report] = session.scalars(select(Alert)).all()
    assert reply in (sms("report.received", ref=report.id), sms("help"))
    assert not outbound(runtime, kind=MessageKind.MEETING_NOTICE)


def test_a_past_date_is_refused(runtime, directory):
    yesterday = (datetime.now(ZoneInfo("Africa/Bamako")) - timedelta(days=1)).strftime("%d/%m/%Y")
    chat = Chat(runtime, FACILITATOR)
    assert chat.send(f"REUNION {yesterday} 10h {PLACE}") == [sms("meeting.past")]
    assert chat.send(f"REUNION {day_ahead(0)} 0h {PLACE}") == [sms("meeting.past")]
    assert sms("meeting.past").startswith("Cette date est passée")
    assert meeting_row(runtime) is None


@pytest.mark.parametrize(
    "text", ["REUNION demain", "REUNION", "REUNION 05/12 10h", "REUNION 31/02 10h Mairie", "REUNION 05/12 25h Mairie"]
)
def test_a_malformed_command_gets_the_format(runtime, directory, text):
    assert Chat(runtime, FACILITATOR).send(text) == [sms("meeting.bad_format")]
    assert sms("meeting.bad_format").startswith("Format: REUNION 05/12 10h Lieu")
    assert meeting_row(runtime) is None


YES_FORMS = ["OUI", "oui je viens", "Oui!", "awo", "awɔ", "1", "YES", "OK"]
NO_FORMS = ["Non.", "non merci", "ayi", "2", "no"]


@pytest.mark.parametrize(("text", "yes"), [(t, True) for t in YES_FORMS] + [(t, False) for t in NO_FORMS])
def test_answers_in_every_form(runtime, meeting, text, yes):
    [ack] = Chat(runtime, LEADER).send(text)
    assert ack == sms("meeting.answer_yes" if yes else "meeting.answer_no", ref=1, when=when(runtime))
    assert ack.startswith(f"Merci, votre {'OUI' if yes else 'NON'} est noté pour la réunion #1")
    assert count_segments(ack).segments == 1  # one short message
    assert answers(runtime)[LEADER] is yes
    assert [a for phone, a in answers(runtime).items() if phone != LEADER] == [None] * 25


def test_the_last_answer_counts(runtime, meeting):
    chat = Chat(runtime, LEADER)
    chat.send("OUI")
    assert chat.send("NON") == [sms("meeting.answer_no", ref=1, when=when(runtime))]
    assert answers(runtime)[LEADER] is False
    chat.send("oui finalement")
    assert answers(runtime)[LEADER] is True


def test_an_answer_after_the_meeting_changes_nothing(runtime, meeting):
    Chat(runtime, LEADER).send("OUI")
    with runtime.db.transaction() as session:
        session.execute(update(Meeting).values(starts_at=utcnow() - timedelta(minutes=1)))
    [reply] = Chat(runtime, LEADER).send("NON")
    assert answers(runtime)[LEADER] is True
    assert reply.startswith(REPORTED)  # kept as a report staff can read, not an answer


def test_two_pending_meetings_need_the_reference(runtime, meeting):
    create(runtime, days=5, place="Ecole de Yoro")
    chat = Chat(runtime, LEADER)
    chat.replies()  # the two notices
    assert chat.send("OUI") == [sms("meeting.which", refs="#1 #2")]
    assert set(answers(runtime, 1).values()) == set(answers(runtime, 2).values()) == {None}
    assert chat.send("OUI 2") == [sms("meeting.answer_yes", ref=2, when=when(runtime, 2))]
    assert (answers(runtime, 1)[LEADER], answers(runtime, 2)[LEADER]) == (None, True)
    assert chat.send("non #1") == [sms("meeting.answer_no", ref=1, when=when(runtime, 1))]
    assert Chat(runtime, OTHER).send("OUI #2") == [sms("meeting.answer_yes", ref=2, when=when(runtime, 2))]
    assert (answers(runtime, 1)[OTHER], answers(runtime, 2)[OTHER]) == (None, True)
    assert chat.send("OUI 7") == [sms("meeting.unknown_ref", ref=7)]


def test_point_gives_the_facilitator_the_tally(runtime, meeting):
    Chat(runtime, LEADER).send("OUI")
    Chat(runtime, OTHER).send("oui")
    Chat(runtime, "+22370760660").send("Non")
    total = len(answers(runtime))
    assert Chat(runtime, FACILITATOR).send("POINT 1") == [f"#1: 2 oui, 1 non, {total - 3} sans réponse"]
    assert Chat(runtime, FACILITATOR).send("point #1") == [f"#1: 2 oui, 1 non, {total - 3} sans réponse"]
    assert Chat(runtime, FACILITATOR).send("POINT 9") == [sms("meeting.unknown_ref", ref=9)]


def test_point_from_a_leader_is_not_a_command(runtime, meeting):
    [reply] = Chat(runtime, LEADER).send("POINT 1")
    assert not reply.startswith("#1:")
    assert reply.startswith(REPORTED)


def test_facilitator_cancels_and_those_who_had_not_declined_are_told(runtime, meeting):
    Chat(runtime, LEADER).send("OUI")
    Chat(runtime, OTHER).send("NON")
    before = {m.id for m in outbound(runtime)}
    [reply] = Chat(runtime, FACILITATOR).send("ANNULER REUNION 1")
    assert reply == sms("meeting.cancel_done", ref=1, count=25)
    assert reply == "Réunion #1 annulée, 25 personnes prévenues."
    assert meeting_row(runtime).status == "cancelled"
    told = [m for m in outbound(runtime, kind=MessageKind.MEETING_NOTICE) if m.id not in before]
    assert sorted(m.address for m in told) == sorted(p for p in answers(runtime) if p != OTHER)
    expected = sms("meeting.cancelled", ref=1, when=when(runtime), place=PLACE)
    assert {m.body for m in told} == {expected} and {m.priority for m in told} == {"bulk"}
    assert Chat(runtime, FACILITATOR).send("ANNULER REUNION #1") == [sms("meeting.already_cancelled", ref=1)]
    assert Chat(runtime, LEADER).send("NON")[0].startswith(REPORTED)  # nothing pending any more


@pytest.mark.parametrize("change", ["cancel", "reschedule"])
def test_a_cancellation_or_move_respects_opt_out(runtime, meeting, change):
    Chat(runtime, LEADER).send("STOP")
    before = max(m.id for m in outbound(runtime))
    with runtime.db.transaction() as session:
        if change == "cancel":
            cancel_meeting(session, runtime, session.get(Meeting, 1))
        else:
            reschedule_meeting(session, runtime, session.get(Meeting, 1), utcnow() + timedelta(days=6))
    assert [m.body for m in outbound(runtime, address=LEADER) if m.id > before] == []


def test_cancelling_another_districts_meeting_is_refused(runtime, meeting):
    with runtime.db.transaction() as session:
        mopti = session.scalar(select(District).where(District.code == "MOPTI"))
        create_meeting(session, runtime, district=mopti, starts_at=utcnow() + timedelta(days=2), place="Mairie")
    assert Chat(runtime, FACILITATOR).send("ANNULER REUNION 2") == [sms("meeting.not_yours", ref=2)]
    assert sms("meeting.not_yours", ref=2).endswith("n'est pas dans votre district.")
    assert Chat(runtime, FACILITATOR).send("POINT 2") == [sms("meeting.not_yours", ref=2)]
    assert meeting_row(runtime, 2).status == "scheduled"


def test_annuler_alone_leaves_a_conversation_and_leaders_cancel_no_meeting(runtime, meeting):
    chat = Chat(runtime, LEADER)
    chat.send("ANNULER REUNION 1")
    assert meeting_row(runtime).status == "scheduled"
    chat.send("ALERTE")
    assert chat.send("ANNULER") == [sms("cancel.done")]
    assert runtime.conversations.load(koro_leaders(runtime)[0].id) is None
    assert Chat(runtime, FACILITATOR).send("ANNULER") == [sms("cancel.nothing")]
    assert meeting_row(runtime).status == "scheduled"


@pytest.mark.parametrize("how", ["press", "type"])
def test_telegram_leaders_get_buttons_and_pressing_one_answers(runtime, directory, fake_telegram, client, how):
    sms_leaders = [c for c in koro_leaders(runtime) if c.channel == "sms" or c.telegram_id is None]
    [reply] = create(runtime)
    assert reply.endswith(f"26 invités, {len(sms_leaders)} SMS.")
    [notice] = outbound(runtime, address=str(TELEGRAM_LEADER_TG))
    assert (notice.channel, notice.kind, notice.priority) == ("telegram", "meeting_notice", "bulk")
    assert json.loads(notice.buttons) == [["OUI", "OUI 1", "reply"], ["NON", "NON 1", "reply"]]
    field = {"press": "data", "type": "text"}[how]
    update_ = telegram_update(
        "callback_query" if how == "press" else "text", user_id=TELEGRAM_LEADER_TG, **{field: "OUI 1"}
    )
    response = client.post("/webhooks/telegram", json=update_, headers={SECRET_HEADER: SECRET})
    assert response.status_code == 200
    handle_queued(runtime)
    assert answers(runtime)[TELEGRAM_LEADER] is True
    [ack] = [m for m in outbound(runtime, address=str(TELEGRAM_LEADER_TG)) if m.id != notice.id]
    assert ack.body == catalogue_text("fr", "meeting.answer_yes", ref=1, when=when(runtime))
    assert ack.channel == "telegram"
