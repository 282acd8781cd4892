"""The guided alert over Telegram, as a leader lives it: updates through the webhook, replies sent by the real worker
to a fake Bot API, read back as the leader's chat. Pressing a button and typing its number are the same answer; a
location shared at the "where?" question answers it.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from gateway.models import Alert, Direction, Message
from tests.fakes.telegram_api import SECRET, SECRET_HEADER, Call, telegram_update
from workers.worker import run_worker

SEYDOU_TG = 1445857208  # Seydou Togo, leader at Socoura (Mopti), linked to Telegram; writes in Bambara (French texts)
DESCRIPTION = "Des hommes armés sont entrés au marché de Socoura ce matin"
CATEGORY_LABELS = [
    "1 violence entre communautés",
    "2 groupe armé",
    "3 forces de sécurité",
    "4 école/santé/service fermé",
    "5 déplacés",
    "6 terre/bétail",
    "7 rumeur/haine",
    "8 autre",
]


@pytest.fixture
def env(base_env, fake_telegram) -> dict[str, str]:
    """The test gateway with its Telegram channel pointed at the fake Bot API."""
    return {**base_env, **fake_telegram.env()}


class TelegramChat:
    """Seydou's chat with the bot: each update goes through the webhook, then the worker sends the replies."""

    def __init__(self, client, runtime, fake) -> None:
        self.client, self.runtime, self.fake = client, runtime, fake
        self.seen = 0

    def _deliver(self, update: dict) -> list[Call]:
        response = self.client.post("/webhooks/telegram", json=update, headers={SECRET_HEADER: SECRET})
        assert response.status_code == 200, response.get_data(as_text=True)
        run_worker(self.runtime, burst=True)
        sent = [c for c in self.fake.calls_to("sendMessage") if c.chat_id == SEYDOU_TG]
        new, self.seen = sent[self.seen :], len(sent)
        return new

    def type(self, text: str) -> list[Call]:
        """Type a message; the bot's answers."""
        return self._deliver(telegram_update("text", text=text))

    def press(self, data: str) -> list[Call]:
        """Press an inline button whose data is `data`; the bot's answers."""
        return self._deliver(telegram_update("callback_query", data=data))

    def answer(self, data: str, how: str) -> list[Call]:
        """Answer with a number, by pressing its button or typing it."""
        return self.press(data) if how == "press" else self.type(data)

    def share_location(self, latitude: float, longitude: float) -> list[Call]:
        """Share a location from the attachment menu; the bot's answers."""
        return self._deliver(telegram_update("location", location={"latitude": latitude, "longitude": longitude}))


@pytest.fixture
def chat(client, runtime, directory, fake_telegram) -> TelegramChat:
    """Seydou's chat, nothing said yet."""
    return TelegramChat(client, runtime, fake_telegram)


def labels(call: Call) -> list[str]:
    """The labels of an inline keyboard, one button a row."""
    rows = (call.reply_markup or {}).get("inline_keyboard", [])
    assert all(len(row) == 1 for row in rows)
    return [row[0]["text"] for row in rows]


def alerts(runtime) -> list[Alert]:
    """Every alert, oldest first."""
    with runtime.db.transaction() as session:
        return list(session.scalars(select(Alert).order_by(Alert.id)))


@pytest.mark.parametrize("how", ["press", "type"], ids=["buttons", "typing"])
def test_guided_alert_by_buttons_or_typing(chat, runtime, fake_telegram, how):
    [where] = chat.type("ALERTE")
    assert where.text == "Alerte: où? Répondez 1 pour Socoura, ou écrivez le lieu."
    assert where.reply_markup is None

    [category] = chat.answer("1", how)
    assert category.text.startswith("Quoi? 1 violence entre communautés")
    assert labels(category) == CATEGORY_LABELS
    assert [b[0]["callback_data"] for b in category.reply_markup["inline_keyboard"]] == [str(i) for i in range(1, 9)]

    [severity] = chat.answer("2", how)
    assert severity.text.startswith("Gravité?")
    assert labels(severity) == ["1 information", "2 tension", "3 urgent: vies en danger"]

    [describe] = chat.answer("3", how)
    assert describe.text == "Décrivez en quelques mots ce qui se passe." and describe.reply_markup is None

    [done] = chat.type(DESCRIPTION)
    [alert] = alerts(runtime)
    assert done.text.startswith(f"Alerte #{alert.id} enregistrée")
    assert (alert.place, alert.category, alert.severity, alert.description) == (
        "Socoura",
        "armed_group",
        3,
        DESCRIPTION,
    )
    assert (alert.status, alert.source, alert.channel) == ("new", "guided", "telegram")
    assert len(fake_telegram.calls_to("answerCallbackQuery")) == (3 if how == "press" else 0)
    with runtime.db.transaction() as session:
        inbound = session.scalars(select(Message).where(Message.direction == Direction.IN)).all()
        assert [m.alert_id for m in inbound[1:]] == [alert.id] * 4, "the answers are not linked to the alert"


def test_location_answers_the_where_question(chat, runtime):
    chat.type("ALERTE")
    [category] = chat.share_location(14.489312, -4.182657)
    assert category.text.startswith("Quoi?") and labels(category) == CATEGORY_LABELS
    [alert] = alerts(runtime)
    assert (alert.latitude, alert.longitude, alert.status) == (14.489312, -4.182657, "incomplete")

    chat.press("6")
    chat.press("2")
    [done] = chat.type("Les éleveurs et les cultivateurs se menacent près du puits")
    [alert] = alerts(runtime)
    assert done.text.startswith(f"Alerte #{alert.id} enregistrée")
    assert (alert.category, alert.severity, alert.status) == ("land_livestock", 2, "new")
    assert alert.description == "Les éleveurs et les cultivateurs se menacent près du puits"
    assert (alert.latitude, alert.longitude) == (14.489312, -4.182657)
    assert alert.place.startswith("GPS 14.48931,-4.18266")


def test_location_later_in_the_flow_is_kept_and_the_question_repeated(chat, runtime):
    chat.type("ALERTE")
    chat.type("1")
    saved, again = chat.share_location(14.5, -4.2)
    [alert] = alerts(runtime)
    assert saved.text == f"Position enregistrée pour l'alerte #{alert.id}."
    assert again.text.startswith("Quoi?") and labels(again) == CATEGORY_LABELS
    assert (alert.latitude, alert.longitude, alert.place) == (14.5, -4.2, "Socoura")


def test_a_wrong_answer_gets_a_hint_and_the_buttons_again(chat):
    chat.type("ALERTE")
    chat.type("1")
    hint, question = chat.type("9")
    assert hint.text == "Réponse non comprise: répondez par un chiffre de 1 à 8."
    assert labels(question) == CATEGORY_LABELS
