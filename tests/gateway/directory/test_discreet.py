"""Discreet mode as transcripts: what a reader of a discreet leader's phone sees (a reference and a neutral word,
never what was reported) next to what a normal leader sees, for every message the gateway sends a reporter;
`DISCRET` / `DISCRET NON` by message, exact like STOP. (Telegram clean-up:
tests/gateway/directory/test_discreet_telegram.py.)"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, update

from flows import catalogue
from gateway.alerts.followups import ask
from gateway.models import Alert, Contact, Followup, Message
from tests.chat import Chat

pytestmark = pytest.mark.usefixtures("directory")
ROKIA = "+22366689529"  # Rokia Poudiougou, leader at Diallassagou (BANKASS), French, SMS; discreet in the sample
FANTA = "+22365942568"  # Fanta Togo, BANKASS duty officer, level 1
DESCRIPTION = "des hommes armés encerclent le marché"
# Words that tell a reader of the phone what was reported: categories, severities, the place, the description.
REVEALING = [
    *(catalogue.text("fr", f"category.{c}").lower() for c in ("armed_group", "intercommunal_violence", "other")),
    "alerte",
    "gravit",
    "urgent",
    "diallassagou",
    "situation",
    "hommes",
    "armés",
    "marché",
    "facilitateur",
]


@pytest.fixture
def env(base_env):
    """Each alert of the journeys stays its own (merging of repeated alerts is tested below and in test_abuse)."""
    return {**base_env, "ALERT_MERGE_SECONDS": "0"}


def set_discreet(runtime, phone: str, on: bool) -> None:
    """Turn a contact's discreet mode on or off in the directory."""
    with runtime.db.transaction() as session:
        session.execute(update(Contact).where(Contact.phone == phone).values(discreet=on))


def is_discreet(runtime, phone: str) -> bool:
    """The stored setting."""
    with runtime.db.transaction() as session:
        return session.scalar(select(Contact.discreet).where(Contact.phone == phone))


def journey(runtime) -> dict[str, list[str]]:
    """Everything Rokia reads for a report, a one-shot alert, a guided alert, a follow-up question and its answer,
    and the officer taking then closing the alert."""
    rokia, officer = Chat(runtime, ROKIA), Chat(runtime, FANTA)
    seen = {"report": rokia.send("Les éleveurs et les agriculteurs se disputent le champ")}
    seen["oneshot"] = rokia.send(f"ALERTE 3 {DESCRIPTION}")
    seen["unrated"] = rokia.send(f"ALERTE {DESCRIPTION}")
    guided = [rokia.send(answer) for answer in ("ALERTE", "1", "2", "2", DESCRIPTION)]
    seen["guided_where"], seen["guided_done"] = guided[0], guided[-1]
    with runtime.db.transaction() as session:
        first = session.scalar(select(Followup).where(Followup.alert_id == 2))
        followup_id, seq, due = first.id, first.seq, first.next_ask_at
    assert ask(runtime, followup_id, seq, now=due) == "asked"
    seen["question"] = rokia.replies()
    seen["update"] = rokia.send("ils sont partis vers le nord")
    seen["answer"] = rokia.send("2")
    officer.send("OK 2")
    seen["handled"] = rokia.replies()
    officer.send("FIN 2 calme revenu")
    officer.send("OUI")  # FIN by SMS asks the officer's own number first
    seen["closed"] = rokia.replies()
    return seen


def test_a_discreet_leader_reads_references_and_neutral_words_only(runtime):
    assert is_discreet(runtime, ROKIA), "the sample's discreet leader"
    seen = journey(runtime)
    assert seen == {
        "report": ["Message recu #1. Merci."],
        "oneshot": ["Message recu #2. Merci."],
        "unrated": ["Message recu #3. Merci."],
        "guided_where": ["Où? Répondez 1 pour Diallassagou, ou écrivez le lieu."],
        "guided_done": ["Message recu #4. Merci."],
        "question": ["#2: 1 calme 2 tendu 3 pire?"],
        "answer": ["Merci. #2: noté."],
        "update": ["Message recu #2. Merci."],
        "handled": ["#2: en cours. Merci."],
        "closed": ["#2: terminé. Merci."],
    }
    for step, texts in seen.items():
        if step == "guided_where":  # the question offers the leader's own village, as it does to everyone
            continue
        for text in texts:
            assert not [w for w in REVEALING if w in text.lower()], (step, text)


def test_a_normal_leader_reads_the_full_texts(runtime):
    set_discreet(runtime, ROKIA, False)
    seen = journey(runtime)
    assert seen["report"][0].startswith("Message recu #1. Merci, un facilitateur va le lire.")
    assert seen["oneshot"] == ["Alerte #2 enregistrée, gravité 3. Merci, elle est transmise."]
    assert seen["guided_where"][0].startswith("Alerte: où?")
    assert seen["question"] == ["#2 Diallassagou: la situation? 1 calme 2 tendue 3 pire"]
    assert seen["handled"] == ["Votre alerte #2 est prise en charge. Merci."]
    assert seen["closed"] == ["Votre alerte #2 est close. Merci de l'avoir signalée."]


def test_officers_still_get_the_whole_alert(runtime):
    Chat(runtime, ROKIA).send(f"ALERTE 3 {DESCRIPTION}")
    with runtime.db.transaction() as session:
        notices = session.scalars(select(Message.body).where(Message.address == FANTA)).all()
    assert notices and notices[0].startswith("URGENT #1 Bankass/Diallassagou") and DESCRIPTION in notices[0], notices
    assert ROKIA[-8:] not in notices[0] and "Rokia" not in notices[0]


SETTINGS = [
    # (message, discreet afterwards, reply) — starting from a normal leader
    ("DISCRET", True, "C'est noté. Merci."),
    ("discrète.", True, "C'est noté. Merci."),
    ("Discreet", True, "C'est noté. Merci."),
    ("DISCRET OUI", True, "C'est noté. Merci."),
    ("discret non", False, "C'est noté. Nos messages seront de nouveau détaillés."),
    ("DISCREET OFF", False, "C'est noté. Nos messages seront de nouveau détaillés."),
    # not a setting: a report that begins with the word
    ("Discret: les jeunes du marché parlent de représailles", False, "Message recu #1."),
    ("discrets", False, "Message recu #1."),
]


@pytest.mark.parametrize(("text", "after", "reply"), SETTINGS, ids=[s[0] for s in SETTINGS])
def test_discreet_by_message_is_exact(runtime, text, after, reply):
    set_discreet(runtime, ROKIA, text.lower().endswith(("non", "off")))  # turning off starts from on
    [answer] = Chat(runtime, ROKIA).send(text)
    assert answer.startswith(reply)
    assert is_discreet(runtime, ROKIA) is after
    with runtime.db.transaction() as session:
        assert (session.scalar(select(Alert.id)) is not None) == answer.startswith("Message recu")


def test_discreet_answers_go_on_during_a_guided_alert(runtime):
    set_discreet(runtime, ROKIA, False)
    rokia = Chat(runtime, ROKIA)
    assert rokia.send("ALERTE")[0].startswith("Alerte: où?")
    assert rokia.send("DISCRET") == ["C'est noté. Merci."]
    assert rokia.send("1")[0].startswith("Quoi?"), "the conversation is still open"
    rokia.send("2")
    assert rokia.send("3") == [catalogue.text("fr", "alert.description")]
    assert rokia.send(DESCRIPTION) == ["Message recu #1. Merci."]


def test_a_repeated_alert_joined_to_the_open_one_is_answered_neutrally(runtime, base_env):
    from gateway.core.config import load_settings

    runtime.settings = load_settings(env={**base_env, "ALERT_MERGE_SECONDS": "600"})
    rokia = Chat(runtime, ROKIA)
    assert rokia.send(f"ALERTE 3 {DESCRIPTION}") == ["Message recu #1. Merci."]
    assert rokia.send(f"ALERTE 3 {DESCRIPTION} encore") == ["Message recu #1. Merci."]
    with runtime.db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Alert)) == 1
