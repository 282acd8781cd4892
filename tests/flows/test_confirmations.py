"""Damaging commands by SMS prove the number: `FAUX 142`, `FIN 142 …` and `REUNION …` answer a question to the
contact's directory number and act only on OUI; NON cancels; anything else gets a hint. Telegram acts at once
(issue 13, point 3). Everyone paged is told who closed or dismissed an alert (point 2)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from flows.catalogue import text as catalogue_text
from gateway.escalation import ladder
from gateway.meetings.dates import local_form, parse_clock, parse_day, to_utc
from gateway.meetings.service import create_meeting
from gateway.messaging.sms_text import to_gsm7
from gateway.models import Alert, Contact, District, Escalation, Invitation, Meeting, Message, MessageKind, utcnow
from tests.chat import Chat
from workers.queues import CONVERSATION_KEY

LEADER = "+22371139685"  # Mamadou Dembélé, leader at Konna/Kotaka (MOPTI)
ALIOU, ALIOU_NAME, ALIOU_TG = "+22365639508", "Aliou Ongoïba", 1041918565  # MOPTI duty officer, level 1
BAKARY, BAKARY_NAME, BAKARY_TG = "+22376375098", "Bakary Maïga", 5970412568  # Mopti coordinator, level 2
FACILITATOR, FACILITATOR_TG = "+22391731768", 3311495030  # Bakary Dembélé, KORO facilitator
URGENT = "ALERTE 3 des hommes armés encerclent le marché de Kotaka"
CLOSED = "Votre alerte #1 est close. Merci de l'avoir signalée."
PLACE = "Mairie de Koro"


@pytest.fixture
def env(base_env, request):
    """The test gateway; Telegram on (pointed at the fake Bot API) for the tests that ask for `fake_telegram`."""
    if "fake_telegram" in request.fixturenames:
        return {**base_env, **request.getfixturevalue("fake_telegram").env()}
    return base_env


@pytest.fixture(autouse=True)
def _directory(directory):
    return directory


def sms(key: str, **params) -> str:
    """A French catalogue text as the SMS (console) channel sends it."""
    return to_gsm7(catalogue_text("fr", key, **params))


def state(runtime, ref: int = 1) -> tuple:
    """(alert status, escalation status, who took it)."""
    with runtime.db.transaction() as session:
        esc = session.scalar(select(Escalation).where(Escalation.alert_id == ref))
        taker = esc.acknowledged_by.phone if esc.acknowledged_by else None
        return session.get(Alert, ref).status, esc.status, taker


def fire(runtime, ref: int = 1) -> str:
    """Make the alert's next ladder step due and fire it."""
    with runtime.db.transaction() as session:
        esc = session.scalar(select(Escalation).where(Escalation.alert_id == ref))
        esc.next_step_at = utcnow()
        esc_id, seq = esc.id, esc.step_seq
    return ladder.step(runtime, esc_id, seq)


@pytest.fixture
def paged(runtime) -> dict[str, Chat]:
    """Urgent alert #1 of MOPTI, paged to Aliou then (level 2) Bakary; the chats of reporter and officers."""
    chats = {"reporter": Chat(runtime, LEADER)}
    chats["reporter"].send(URGENT)
    assert fire(runtime) == "level 2"
    chats.update(aliou=Chat(runtime, ALIOU), bakary=Chat(runtime, BAKARY))
    chats["reporter"].replies()
    return chats


@pytest.mark.parametrize("yes", ["OUI", "oui", "Oui.", "O"])
def test_false_alarm_by_sms_asks_then_acts_on_oui_and_the_paged_are_told(runtime, paged, yes):
    aliou = paged["aliou"]
    assert aliou.send("FAUX 1") == [sms("escalation.confirm_false_alarm", ref=1)]
    assert sms("escalation.confirm_false_alarm", ref=1) == "Confirmez: #1 fausse alerte? OUI/NON"
    assert state(runtime) == ("new", "active", None), "nothing changes before the confirmation"
    assert paged["bakary"].replies() == []
    assert aliou.send(yes) == [sms("escalation.false_alarm_done", ref=1)]
    assert state(runtime) == ("false_alarm", "stopped", ALIOU)
    assert paged["bakary"].replies() == [sms("escalation.dismissed_by", ref=1, officer=ALIOU_NAME)]
    assert paged["reporter"].replies() == [] and fire(runtime) == "skipped"
    assert aliou.send("OUI")[0].startswith(to_gsm7("Message reçu #")), "the confirmation was used up"


@pytest.mark.parametrize("no", ["NON", "non", "Non."])
def test_non_cancels_and_nothing_changes(runtime, paged, no):
    aliou = paged["aliou"]
    aliou.send("FAUX 1")
    assert aliou.send(no) == [sms("confirm.cancelled")]
    assert state(runtime) == ("new", "active", None) and fire(runtime) == "level 3", "the ladder goes on"
    aliou.replies()
    aliou.send("OUI")
    assert state(runtime)[0] == "new", "a later OUI confirms nothing"


def test_anything_else_gets_a_hint_and_the_question_stays(runtime, paged):
    aliou = paged["aliou"]
    aliou.send("FAUX 1")
    assert aliou.send("peut-être") == [sms("confirm.hint")]
    assert state(runtime) == ("new", "active", None)
    assert aliou.send("OUI") == [sms("escalation.false_alarm_done", ref=1)]


def test_resolve_by_sms_asks_then_closes_with_the_note_and_everyone_is_told(runtime, paged):
    aliou, bakary = paged["aliou"], paged["bakary"]
    assert bakary.send("OK 1") == [sms("escalation.ack_done", ref=1)]
    assert aliou.replies() == [sms("escalation.taken", ref=1, officer=BAKARY_NAME)]
    assert paged["reporter"].replies() == [catalogue_text("fr", "alert.handled", ref=1)]
    assert bakary.send("FIN 1 la paix est revenue") == [sms("escalation.confirm_resolve", ref=1)]
    assert state(runtime) == ("acknowledged", "stopped", BAKARY) and paged["reporter"].replies() == []
    assert bakary.send("OUI") == [sms("escalation.resolved_done", ref=1)]
    with runtime.db.transaction() as session:
        esc = session.scalar(select(Escalation))
        bakary_id = session.scalar(select(Contact.id).where(Contact.phone == BAKARY))
        assert (esc.alert.status, esc.resolution_note, esc.resolved_by_id) == (
            "resolved",
            "la paix est revenue",
            bakary_id,
        )
    assert aliou.replies() == [sms("escalation.resolved_by", ref=1, officer=BAKARY_NAME)]
    assert paged["reporter"].replies() == [CLOSED]


def test_the_question_goes_to_the_directory_number_and_expires_with_the_conversation(runtime, paged):
    paged["aliou"].send("FAUX 1")
    with runtime.db.transaction() as session:
        [question] = session.scalars(
            select(Message).where(Message.body == sms("escalation.confirm_false_alarm", ref=1))
        )
        aliou_id = session.scalar(select(Contact.id).where(Contact.phone == ALIOU))
    assert question.address == ALIOU and question.priority == "urgent"
    ttl = runtime.redis.ttl(f"{CONVERSATION_KEY}{aliou_id}")
    assert 0 < ttl <= runtime.settings.conversation_ttl_seconds
    runtime.redis.delete(f"{CONVERSATION_KEY}{aliou_id}")  # as when the TTL runs out
    paged["aliou"].send("OUI")
    assert state(runtime) == ("new", "active", None)


def test_a_new_command_replaces_a_pending_question(runtime, paged):
    aliou = paged["aliou"]
    aliou.send("FAUX 1")
    assert aliou.send("OK 1") == [sms("escalation.ack_done", ref=1)], "taking an alert never waits for a question"
    aliou.send("OUI")
    assert state(runtime) == ("acknowledged", "stopped", ALIOU)


def test_false_alarm_by_telegram_acts_at_once(runtime, paged, fake_telegram):
    aliou_tg, bakary_tg = (Chat(runtime, str(tg), channel="telegram") for tg in (ALIOU_TG, BAKARY_TG))
    assert aliou_tg.send("FAUX 1") == [catalogue_text("fr", "escalation.false_alarm_done", ref=1)]
    assert state(runtime) == ("false_alarm", "stopped", ALIOU)
    assert bakary_tg.replies() == [catalogue_text("fr", "escalation.dismissed_by", ref=1, officer=ALIOU_NAME)]


# --- REUNION --------------------------------------------------------------------------------------------------


def day_ahead(days: int = 3) -> str:
    """The local date `days` from now, as a facilitator types it (`05/12`)."""
    return (datetime.now(ZoneInfo("Africa/Bamako")) + timedelta(days=days)).strftime("%d/%m")


def when_typed(runtime) -> str:
    """The meeting's date, as the preview shows it."""
    zone = runtime.settings.timezone
    starts = to_utc(parse_day(day_ahead(), datetime.now(ZoneInfo(zone)).date()), parse_clock("10h"), zone)
    return local_form(starts, zone, "fr")


def counts(runtime) -> tuple[int, int]:
    """(meetings, meeting notices queued)."""
    with runtime.db.transaction() as session:
        notices = select(func.count()).select_from(Message).where(Message.kind == MessageKind.MEETING_NOTICE)
        return session.scalar(select(func.count()).select_from(Meeting)), session.scalar(notices)


def test_reunion_by_sms_previews_the_cost_and_sends_nothing_until_oui(runtime):
    chat = Chat(runtime, FACILITATOR)
    preview = sms("meeting.confirm", district="Koro", when=when_typed(runtime), place=PLACE, invitees=26, segments=26)
    assert chat.send(f"REUNION {day_ahead()} 10h {PLACE}") == [preview]
    assert preview.startswith("Réunion Koro ") and preview.endswith(f"{PLACE}: 26 leaders, 26 SMS. Envoyer? OUI/NON")
    assert counts(runtime) == (0, 0), "no meeting, no notice yet"
    [created] = chat.send("OUI")
    assert created == sms("meeting.created", ref=1, when=when_typed(runtime), place=PLACE, invitees=26, segments=26)
    assert counts(runtime) == (1, 26)


def test_reunion_by_sms_cancelled_with_non(runtime):
    chat = Chat(runtime, FACILITATOR)
    chat.send(f"REUNION {day_ahead()} 10h {PLACE}")
    assert chat.send("NON") == [sms("confirm.cancelled")]
    assert counts(runtime) == (0, 0)


def test_the_oui_is_not_taken_as_a_meeting_answer(runtime):
    with runtime.db.transaction() as session:
        koro = session.scalar(select(District).where(District.code == "KORO"))
        facilitator = session.scalar(select(Contact).where(Contact.phone == FACILITATOR))
        create_meeting(session, runtime, district=koro, starts_at=utcnow() + timedelta(days=1), place="Ecole",
                       extra=[facilitator])  # fmt: skip
        facilitator_id = facilitator.id
    chat = Chat(runtime, FACILITATOR)
    chat.send(f"REUNION {day_ahead()} 10h {PLACE}")
    [created] = chat.send("OUI")
    assert created.startswith("Réunion #2 créée")
    with runtime.db.transaction() as session:
        assert session.scalar(select(Invitation.answer).where(Invitation.contact_id == facilitator_id)) is None


def test_reunion_by_telegram_is_created_at_once(runtime, fake_telegram):
    [created] = Chat(runtime, str(FACILITATOR_TG), channel="telegram").send(f"REUNION {day_ahead()} 10h {PLACE}")
    assert created.startswith("Réunion #1 créée: ") and counts(runtime) == (1, 26)
