"""Pulse answers as transcripts through the real inbound pipeline: every shape of the issue, a second answer that
replaces the first, hints for the wrong number of digits, words and emoji, ALERTE in the middle, late answers, and
which question a lone digit answers when a follow-up or a meeting notice came after (or before) the pulse."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from gateway.alerts.followups import ask
from gateway.meetings.service import create_meeting
from gateway.models import Alert, AlertSource, Contact, District, Followup, Invitation, utcnow
from gateway.pulse.sending import send_pulse
from tests.chat import Chat
from tests.gateway.pulse.support import KONNA_ONE, KONNA_SMS, KONNA_TG_ID, KONNA_THREE, add_items, answers_of

pytestmark = pytest.mark.usefixtures("directory")

W49 = datetime(2026, 12, 2, 9, tzinfo=UTC)  # a Wednesday of 2026-W49
W50 = W49 + timedelta(days=7)
THANKS = "Merci, réponse #S50 Konna notée."
QUESTION = "#S50 Konna: ecole? sante? gendarmerie? Répondez 3 chiffres 1 ouvert 2 fermé 3 partiel ex: 113"
HINT = "Réponse non comprise. " + QUESTION


@pytest.fixture
def env(base_env, request) -> dict[str, str]:
    """The test gateway; Telegram on (the fake Bot API) for the tests that use `fake_telegram`."""
    telegram = request.getfixturevalue("fake_telegram").env() if "fake_telegram" in request.fixturenames else {}
    return {**base_env, **telegram}


@pytest.fixture
def konna(runtime) -> Chat:
    """Konna tracks school, health and security; the W50 pulse was sent; Mamadou (SMS) is at the phone."""
    add_items(runtime, KONNA_THREE)
    send_pulse(runtime, actor="test", now=W50)
    chat = Chat(runtime, KONNA_SMS)
    chat.replies()
    return chat


def alerts(runtime) -> list[Alert]:
    """Every alert and report, oldest first."""
    with runtime.db.transaction() as session:
        return list(session.scalars(select(Alert).order_by(Alert.id)))


OPEN_OPEN_PARTIAL = {
    ("2026-W50", "school"): "open",
    ("2026-W50", "health"): "open",
    ("2026-W50", "security"): "partial",
}


@pytest.mark.parametrize("text", ["113", "1 1 3", "S50 113", "#S50 113", "#s50 1,1,3", "1️⃣1️⃣3️⃣", "113 👍"])
def test_every_digit_form_is_recorded_and_thanked(runtime, konna, text):
    assert konna.send(text) == [THANKS]
    assert answers_of(runtime, KONNA_SMS) == OPEN_OPEN_PARTIAL
    assert alerts(runtime) == []  # an answer is not a report


@pytest.mark.parametrize("text", ["ecole 2", "école 2", "ECOLE2", "#S50 ecole 2", "school 2"])
def test_one_service_answers_touch_that_service_only(runtime, konna, text):
    assert konna.send("113") == [THANKS]
    assert konna.send(text) == [THANKS]
    assert answers_of(runtime, KONNA_SMS) == {**OPEN_OPEN_PARTIAL, ("2026-W50", "school"): "closed"}


def test_a_second_answer_replaces_the_first(runtime, konna):
    konna.send("113")
    konna.send("222")
    assert answers_of(runtime, KONNA_SMS) == {("2026-W50", s): "closed" for s in ("school", "health", "security")}


@pytest.mark.parametrize("text", ["11", "1134567", "140", "eau 2", "S48 113", "4"])
def test_an_answer_that_does_not_fit_gets_the_one_sms_hint(runtime, konna, text):
    assert konna.send(text) == [HINT]
    assert answers_of(runtime, KONNA_SMS) == {} and alerts(runtime) == []


@pytest.mark.parametrize("text", ["les gendarmes sont partis ce matin", "👍", "113 morts au marché", "ecole fermee"])
def test_text_with_words_or_a_lone_emoji_is_an_ordinary_report(runtime, konna, text):
    [reply] = konna.send(text)
    assert reply.startswith("Message recu #1.")
    [report] = alerts(runtime)
    assert report.source == AlertSource.FREETEXT and answers_of(runtime, KONNA_SMS) == {}


def test_alerte_in_the_middle_of_the_pulse_still_works(runtime, konna):
    assert konna.send("11") == [HINT]
    [reply] = konna.send("ALERTE 3 des hommes armés au marché de Kotaka")
    assert "#1" in reply
    [alert] = alerts(runtime)
    assert (alert.source, alert.severity) == (AlertSource.ONESHOT, 3)
    assert konna.send("113") == [THANKS]
    assert answers_of(runtime, KONNA_SMS) == OPEN_OPEN_PARTIAL


def test_a_telegram_button_counts_for_its_week(runtime, konna, fake_telegram):
    send_pulse(
        runtime, actor="test", now=W50 + timedelta(days=7)
    )  # W51 sent after: the W50 button still counts for W50
    assert Chat(runtime, str(KONNA_TG_ID), channel="telegram").send("#S50 sante 2") == [THANKS]
    with runtime.db.transaction() as session:
        phone = session.scalar(select(Contact.phone).where(Contact.telegram_id == KONNA_TG_ID))
    assert answers_of(runtime, phone) == {("2026-W50", "health"): "closed"}


def test_a_late_answer_counts_for_the_week_it_quotes_and_a_bare_one_for_the_latest(runtime, konna):
    send_pulse(runtime, actor="test", now=W50 + timedelta(days=7))
    konna.replies()
    assert konna.send("S50 222") == [THANKS]
    assert konna.send("131") == ["Merci, réponse #S51 Konna notée."]
    recorded = answers_of(runtime, KONNA_SMS)
    assert recorded[("2026-W50", "school")] == "closed" and recorded[("2026-W51", "health")] == "partial"


def test_someone_never_asked_who_sends_digits_makes_a_report(runtime, konna):
    [reply] = Chat(runtime, "+22378863317").send("113")  # the Konna facilitator: no pulse question
    assert reply.startswith("Message recu #")
    assert answers_of(runtime, "+22378863317") == {}


# --- A lone digit: the question the leader got last ------------------------------------------------------


@pytest.fixture
def konna_one(runtime) -> Chat:
    """Konna tracks security alone: the pulse's answer is a lone digit, like a follow-up's or a meeting's."""
    add_items(runtime, KONNA_ONE)
    chat = Chat(runtime, KONNA_SMS)
    return chat


def followup_question(runtime, chat: Chat) -> None:
    """Mamadou reports a serious alert and is asked the follow-up question (at its due time)."""
    chat.send("ALERTE 3 des hommes armés encerclent le marché de Kotaka")
    with runtime.db.transaction() as session:
        row = session.scalar(select(Followup))
    assert ask(runtime, row.id, row.seq, now=row.next_ask_at) == "asked"
    chat.replies()


def meeting_notice(runtime) -> None:
    """The MOPTI framework's meeting, three days ahead: Mamadou is invited."""
    with runtime.db.transaction() as session:
        mopti = session.scalar(select(District).where(District.code == "MOPTI"))
        create_meeting(
            session, runtime, district=mopti, starts_at=utcnow() + timedelta(days=3), place="Mairie de Konna"
        )


def invitation_answer(runtime) -> bool | None:
    """Mamadou's answer to the meeting (None: none yet)."""
    with runtime.db.transaction() as session:
        who = session.scalar(select(Contact.id).where(Contact.phone == KONNA_SMS))
        return session.scalar(select(Invitation.answer).where(Invitation.contact_id == who))


def test_a_follow_up_asked_after_the_pulse_takes_the_lone_digit(runtime, konna_one):
    send_pulse(runtime, actor="test", now=W50)
    followup_question(runtime, konna_one)
    [reply] = konna_one.send("1")
    assert "calme" in reply.lower() or "#1" in reply
    assert answers_of(runtime, KONNA_SMS) == {}
    with runtime.db.transaction() as session:
        assert session.scalar(select(Alert.assessment)) == "calmer"
    assert konna_one.send("S50 1") == [THANKS]  # quoting the week still answers the pulse


def test_a_pulse_sent_after_the_follow_up_takes_the_lone_digit(runtime, konna_one):
    followup_question(runtime, konna_one)
    send_pulse(runtime, actor="test", now=W50)
    konna_one.replies()
    assert konna_one.send("2") == [THANKS]
    assert answers_of(runtime, KONNA_SMS) == {("2026-W50", "security"): "closed"}
    with runtime.db.transaction() as session:
        assert session.scalar(select(Alert.assessment)) is None


def test_a_meeting_notice_after_the_pulse_takes_the_lone_digit_and_oui(runtime, konna_one):
    send_pulse(runtime, actor="test", now=W50)
    meeting_notice(runtime)
    konna_one.replies()
    [reply] = konna_one.send("1")
    assert invitation_answer(runtime) is True and answers_of(runtime, KONNA_SMS) == {}
    assert "#1" in reply
    konna_one.send("NON")
    assert invitation_answer(runtime) is False and answers_of(runtime, KONNA_SMS) == {}


def test_a_pulse_after_the_meeting_notice_takes_the_lone_digit_but_not_oui(runtime, konna_one):
    meeting_notice(runtime)
    send_pulse(runtime, actor="test", now=W50)
    konna_one.replies()
    assert konna_one.send("2") == [THANKS]
    assert answers_of(runtime, KONNA_SMS) == {("2026-W50", "security"): "closed"}
    assert invitation_answer(runtime) is None
    konna_one.send("OUI")
    assert invitation_answer(runtime) is True
