"""Files in the alert conversation, as transcripts: a photo or voice note sent while an alert is being written joins
that alert and the question is asked again; a captioned photo `ALERTE 3 …` is a one-shot alert with its photo."""

from __future__ import annotations

from sqlalchemy import select

from bots.base import MediaRef
from gateway.models import Alert, MediaItem, Message
from tests.chat import Chat

LEADER = "+22371139685"  # Mamadou Dembélé, Konna (Kotaka), MOPTI, French
VOICE = (MediaRef("voice", "AwACAgQAAxkBAAIBZvoice", "audio/ogg", 22841),)
PHOTO = (MediaRef("photo", "AgACAgQAAxkBAAIBY2photoL", "image/jpeg", 98211),)


def linked(runtime) -> list[tuple[str, int | None]]:
    """Each media item's kind and the alert its message belongs to."""
    with runtime.db.transaction() as session:
        rows = session.execute(
            select(MediaItem.kind, Message.alert_id).join(Message, Message.id == MediaItem.message_id)
        ).all()
        return [tuple(row) for row in rows]


def test_voice_note_during_the_alert_joins_it_and_the_question_comes_again(runtime, directory):
    chat = Chat(runtime, LEADER)
    chat.send("ALERTE")
    assert chat.send("1")[0].startswith("Quoi?")
    replies = chat.send("", media=VOICE)
    assert replies[0] == "Fichier joint à l'alerte #1." and replies[1].startswith("Quoi?")
    chat.send("2")
    chat.send("3")
    assert chat.send("Des hommes armés au marché")[0].startswith("Alerte #1 enregistr")
    assert linked(runtime) == [("voice", 1)]
    with runtime.db.transaction() as session:
        [alert] = session.scalars(select(Alert)).all()
        assert (alert.severity, alert.status, alert.description) == (3, "new", "Des hommes armés au marché")


def test_photo_before_any_answer_starts_the_alert_it_joins(runtime, directory):
    chat = Chat(runtime, LEADER)
    chat.send("ALERTE")
    replies = chat.send("", media=PHOTO)
    assert replies[0] == "Fichier joint à l'alerte #1." and replies[1].startswith("Alerte: o")
    assert linked(runtime) == [("photo", 1)]


def test_captioned_photo_is_a_one_shot_alert_with_its_photo(runtime, directory):
    replies = Chat(runtime, LEADER).send("ALERTE 3 les jeunes bloquent la route", media=PHOTO)
    assert replies == ["Alerte #1 enregistrée, gravité 3. Merci, elle est transmise."]
    assert linked(runtime) == [("photo", 1)]


def test_photo_alone_outside_a_conversation_is_a_report(runtime, directory):
    replies = Chat(runtime, LEADER).send("", media=PHOTO)
    assert replies[0].startswith("Message recu #1.")
    assert linked(runtime) == [("photo", 1)]
