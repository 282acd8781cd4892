"""A refused desk action is explained in the page's language (the API keeps the English message): the role that
may not act, the move that is not possible, the text that is too long or empty, each in French or English."""

from __future__ import annotations

import json
import re
from html import unescape
from pathlib import Path

import pytest

from gateway.alerts.desk import MAX_NOTE, DeskRefusal
from tests.gateway.console.desk_support import csrf_token, log_in, make_user, report

URGENT = "ALERTE 3 des hommes armes sont entres au village"
GATEWAY = Path(__file__).resolve().parents[3] / "gateway"


def post(client, ref: int, action: str, language: str, **fields):
    """Post one of the alert page's forms in a language; the page's text, unescaped."""
    token = csrf_token(client.get(f"/console/alerts/{ref}").data)
    answer = client.post(
        f"/console/alerts/{ref}/{action}",
        data={"csrf_token": token, **fields},
        headers={"Accept-Language": language},
    )
    return answer.status_code, unescape(answer.get_data(as_text=True))


@pytest.fixture
def facilitator(runtime, client, directory):
    """A client logged in as a facilitator of KORO."""
    log_in(client, make_user(runtime, "awa@example.org", "facilitator", district="KORO"))
    return client


def test_a_facilitator_is_told_in_french_that_taking_an_alert_is_not_for_their_role(runtime, facilitator):
    ref = report(runtime, "KORO", URGENT)
    status, page = post(facilitator, ref, "take", "fr")
    assert status == 403
    assert "Refusé : prendre en charge une alerte n'est pas permis au rôle « facilitation »." in page
    assert "may not" not in page


def test_a_facilitator_is_told_in_english(runtime, facilitator):
    ref = report(runtime, "KORO", URGENT)
    status, page = post(facilitator, ref, "take", "en")
    assert status == 403
    assert "Refused: taking an alert is not allowed for the “facilitator” role." in page


def test_a_move_no_longer_possible_and_texts_refused_speak_the_pages_language(runtime, client, directory):
    ref = report(runtime, "KORO", URGENT)
    log_in(client, make_user(runtime, "moussa@example.org", "officer", district="KORO"))
    assert post(client, ref, "false_alarm", "fr", note="rumeur")[0] == 302
    status, page = post(client, ref, "take", "fr")
    assert status == 409
    assert f"l'alerte #{ref} est « fausse alerte » : elle ne peut pas passer à « prise en charge »." in page
    assert f"alert #{ref} is “false alarm”: it cannot become “taken”." in post(client, ref, "take", "en")[1]
    status, page = post(client, ref, "note", "fr", text="x" * (MAX_NOTE + 1))
    assert status == 422 and f"texte trop long : {MAX_NOTE + 1} caractères, au plus {MAX_NOTE}." in page
    assert "le texte est vide." in post(client, ref, "note", "fr", text="  ")[1]
    assert "the text is empty." in post(client, ref, "note", "en", text="  ")[1]


def test_an_officer_asking_to_reveal_is_refused_in_french(runtime, client, directory):
    ref = report(runtime, "KORO", URGENT)
    log_in(client, make_user(runtime, "moussa@example.org", "officer", district="KORO"))
    status, page = post(client, ref, "reveal", "fr", reason="curiosite")
    assert status == 403 and "voir qui a signalé une alerte n'est pas permis au rôle « permanence »." in page


def test_the_api_keeps_the_english_message_and_a_refusal_without_a_key_still_works():
    refusal = DeskRefusal("invalid", "the note is empty")
    assert (refusal.code, refusal.message, refusal.key, refusal.params) == ("invalid", "the note is empty", None, {})
    assert str(refusal) == "the note is empty"


def test_every_refusal_key_raised_has_a_text_in_both_languages():
    raised = set()
    for path in (GATEWAY / "alerts" / "desk.py", GATEWAY / "console" / "actions.py"):
        raised |= set(re.findall(r'"(refusal\.[a-z_]+)"', path.read_text(encoding="utf-8")))
    assert len(raised) >= 12
    for language in ("fr", "en"):
        texts = json.loads((GATEWAY / "console" / "texts" / f"refusal.{language}.json").read_text(encoding="utf-8"))
        assert raised <= set(texts), f"{language}: {sorted(raised - set(texts))}"
