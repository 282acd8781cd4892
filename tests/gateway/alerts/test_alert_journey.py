"""The alert journey as transcripts: message in, replies and records out, in French and English."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from flows.engine import MAX_MISSES
from gateway.models import Alert, Contact, Message
from tests.chat import Chat

LEADER = "+22371139685"  # Mamadou Dembélé, Konna (Kotaka), MOPTI, French


def alerts(runtime) -> list[Alert]:
    """Every alert, oldest first (with its district loaded)."""
    from sqlalchemy.orm import joinedload

    with runtime.db.transaction() as session:
        return list(session.scalars(select(Alert).options(joinedload(Alert.district)).order_by(Alert.id)))


FRENCH_GUIDED = [
    ("ALERTE", "Alerte: où? Répondez 1 pour Kotaka"),
    ("1", "Quoi? 1 violence entre communautés"),
    ("2", "Gravité? 1 information 2 tension 3 urgent"),
    ("3", "Décrivez en quelques mots"),
    ("Des hommes armés au marché", "Alerte #1 enregistrée"),
]
ENGLISH_GUIDED = [
    ("alert", "Alert: where? Reply 1 for Kotaka"),
    ("Konna market", "What? 1 violence between communities"),
    ("security forces", "How serious?"),
    ("tension", "Describe in a few words"),
    ("Youth and gendarmes arguing", "Alert #1 recorded"),
]


@pytest.mark.parametrize("language,transcript", [("fr", FRENCH_GUIDED), ("en", ENGLISH_GUIDED)])
def test_guided_alert_transcript(runtime, directory, language, transcript):
    with runtime.db.transaction() as session:
        session.execute(update(Contact).where(Contact.phone == LEADER).values(language=language))
    chat = Chat(runtime, LEADER)
    for text, expected in transcript:
        replies = chat.send(text)
        assert len(replies) == 1 and replies[0].startswith(expected), (text, replies)
    [alert] = alerts(runtime)
    assert alert.status == "new" and alert.source == "guided"
    assert (alert.district.code, alert.commune, alert.village) == ("MOPTI", "Konna", "Kotaka")
    if language == "fr":
        assert (alert.place, alert.category, alert.severity) == ("Kotaka", "armed_group", 3)
    else:
        assert (alert.place, alert.category, alert.severity) == ("Konna market", "security_forces", 2)
    with runtime.db.transaction() as session:
        sources = session.scalars(select(Message.alert_id).where(Message.direction == "in")).all()
    assert sources == [None] + [alert.id] * 4, "the answers are the alert's source messages"


def test_one_shot_alert_with_severity(runtime, directory):
    replies = Chat(runtime, LEADER).send("ALERTE 3 les jeunes et les gendarmes s'affrontent au marché")
    assert replies == ["Alerte #1 enregistrée, gravité 3. Merci, elle est transmise."]
    [alert] = alerts(runtime)
    assert (alert.severity, alert.category, alert.source, alert.status) == (3, None, "oneshot", "new")
    assert alert.description == "les jeunes et les gendarmes s'affrontent au marché"
    assert alert.commune == "Konna"


def test_one_shot_alert_without_digit_has_unknown_severity(runtime, directory):
    replies = Chat(runtime, LEADER).send("alerte des coups de feu vers Konna")
    assert replies == ["Alerte #1 enregistrée. Merci, elle est transmise."]
    assert alerts(runtime)[0].severity is None


def test_alert_with_only_a_severity_starts_the_guided_flow_without_asking_it(runtime, directory):
    chat = Chat(runtime, LEADER)
    chat.send("ALERTE 3")
    chat.send("1")
    assert chat.send("4")[0].startswith("Décrivez")
    assert alerts(runtime)[0].severity == 3


def test_free_text_becomes_an_untriaged_report(runtime, directory):
    replies = Chat(runtime, LEADER).send("Les éleveurs et les cultivateurs se disputent le puits")
    assert replies == ["Message recu #1. Merci, un facilitateur va le lire. Pour une alerte, envoyez ALERTE."]
    [report] = alerts(runtime)
    assert report.source == "freetext" and report.triaged_at is None
    assert report.description == "Les éleveurs et les cultivateurs se disputent le puits"


def test_unexpected_answer_gets_a_hint_then_the_question_again(runtime, directory):
    chat = Chat(runtime, LEADER)
    chat.send("ALERTE")
    chat.send("1")
    assert chat.send("peut-être") == [
        "Réponse non comprise: répondez par un chiffre de 1 à 8.",
        chat_text("alert.category"),
    ]


def chat_text(key: str, **params) -> str:
    """The French catalogue text as the SMS channel sends it."""
    from flows.catalogue import text
    from gateway.messaging.sms_text import to_gsm7

    return to_gsm7(text("fr", key, **params))


def test_three_misses_end_the_conversation_keeping_an_incomplete_alert(runtime, directory):
    chat = Chat(runtime, LEADER)
    chat.send("ALERTE")
    chat.send("Marché de Konna")
    for _ in range(MAX_MISSES - 1):
        chat.send("???")
    assert chat.send("je ne sais pas") == [chat_text("alert.incomplete", ref=1)]
    [alert] = alerts(runtime)
    assert (alert.status, alert.place, alert.category) == ("incomplete", "Marché de Konna", None)
    assert chat.send("bonjour")[0].startswith("Message recu #2"), "the conversation is over"


def test_abandoned_conversation_leaves_an_incomplete_alert(runtime, directory):
    chat = Chat(runtime, LEADER)
    chat.send("ALERTE")
    chat.send("1")
    chat.send("5")
    runtime.redis.flushdb()  # the conversation's TTL ran out
    assert chat.send("3")[0].startswith("Message recu #2")
    first = alerts(runtime)[0]
    assert (first.status, first.category, first.severity) == ("incomplete", "displacement", None)


def test_cancel_leaves_the_conversation_and_keeps_what_was_given(runtime, directory):
    chat = Chat(runtime, LEADER)
    assert chat.send("ANNULER") == [chat_text("cancel.nothing")]
    chat.send("ALERTE")
    assert chat.send("annuler") == [chat_text("cancel.done")]
    assert alerts(runtime) == []
    chat.send("ALERTE")
    chat.send("1")
    assert chat.send("Annuler") == [chat_text("alert.incomplete", ref=1)]
    assert alerts(runtime)[0].status == "incomplete"


def test_help_is_one_sms_and_works_inside_a_conversation(runtime, directory):
    chat = Chat(runtime, LEADER)
    chat.send("ALERTE")
    assert chat.send("AIDE") == [chat_text("help")]
    assert chat.send("1")[0].startswith("Quoi?"), "help did not break the conversation"


def test_stop_is_confirmed_once_and_start_opts_back_in(runtime, directory):
    chat = Chat(runtime, LEADER)
    assert chat.send("STOP") == [chat_text("stop.done")]
    assert chat.send("stop") == []
    with runtime.db.transaction() as session:
        assert session.scalar(select(Contact.opted_out).where(Contact.phone == LEADER)) is True
    assert chat.send("ALERTE 3 incendie")[0].startswith("Alerte #1"), "answers to their own messages still go"
    assert chat.send("START") == [chat_text("start.done")]
    with runtime.db.transaction() as session:
        assert session.scalar(select(Contact.opted_out).where(Contact.phone == LEADER)) is False


def test_unknown_number_can_report_but_commands_nothing_and_is_answered_once(runtime, directory):
    stranger = Chat(runtime, "+22370000001")
    assert stranger.send("ALERTE 3 des gens armés") == [chat_text("unknown_sender")]
    assert stranger.send("ALERTE") == []
    assert runtime.conversations.load(0) is None
    reports = alerts(runtime)
    anonymous = [(r.source, r.severity, r.reporter_id, r.district_id) for r in reports]
    assert anonymous == [("freetext", None, None, None)] * 2
    assert reports[0].description == "ALERTE 3 des gens armés", "kept as an untriaged report staff can see"
    with runtime.db.transaction() as session:
        stored = session.scalars(select(Message).where(Message.direction == "in")).all()
    assert [(m.contact_id, m.body) for m in stored] == [(None, "ALERTE 3 des gens armés"), (None, "ALERTE")]


def test_replies_name_nobody_but_the_sender(runtime, directory):
    """The reply goes to the sender's own number and carries no other contact's name or number."""
    chat = Chat(runtime, LEADER)
    [reply] = chat.send("ALERTE 3 les jeunes et les gendarmes")
    with runtime.db.transaction() as session:
        others = session.scalars(select(Contact).where(Contact.phone != LEADER)).all()
    for contact in others:
        assert contact.phone not in reply and contact.name not in reply
