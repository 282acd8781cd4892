"""Keywords match tolerantly (case, accents, punctuation, small misspellings); references parse with or without #."""

from __future__ import annotations

import pytest

from flows.answers import yes_or_no
from flows.keywords import match_exact, match_keyword, parse_reference

MATCHES = [
    ("ALERTE", "alert", ""),
    ("alerte", "alert", ""),
    ("Alerte!", "alert", ""),
    ("alerrte", "alert", ""),  # one letter doubled
    ("aletre", "alert", ""),  # two letters swapped
    ("ALERT 3 fire", "alert", "3 fire"),
    ("A 3 les jeunes", "alert", "3 les jeunes"),
    ("aide", "help", ""),
    ("AIDE.", "help", ""),
    ("Help", "help", ""),
    ("?", "help", ""),
    ("ANNULER", "cancel", ""),
    ("annulé", "cancel", ""),
    ("cancel", "cancel", ""),
    ("STOP", "stop", ""),
    ("Arrêt", "stop", ""),
    ("arret", "stop", ""),
    ("START", "start", ""),
    ("Démarrer", "start", ""),
]

# STOP / START opt people out and in: only the keyword alone (punctuation allowed) counts, never a slip or a
# sentence that begins with a word like it ("Arrêté: …" is a leader reporting an arrest).
OPT_OUT_WORDS = [
    ("STOP", "stop"),
    ("stop!", "stop"),
    (" Stop. ", "stop"),
    ("Arrêt.", "stop"),
    ("ARRET", "stop"),
    ("START", "start"),
    ("Démarrer!", "start"),
    ("Arrêté: trois jeunes arrêtés au marché", None),
    ("Arrêtez…", None),
    ("Arrêtez, ils tirent", None),
    ("Arrete", None),
    ("Arrêter", None),  # a one-word "arrêté" misspelt; a real STOP costs one more SMS, a wrong one silences
    ("stop la violence", None),
    ("STOP 142", None),
    ("stpo", None),
    ("Arrêts", None),
    ("start la reunion", None),
    ("Démarré hier soir", None),
]


@pytest.mark.parametrize(("text", "intent"), OPT_OUT_WORDS, ids=[t for t, _ in OPT_OUT_WORDS])
def test_stop_and_start_are_the_whole_message_or_nothing(text, intent):
    found = match_keyword(text)
    assert (found.intent if found else None) == intent


@pytest.mark.parametrize(("text", "intent", "rest"), MATCHES, ids=[m[0] for m in MATCHES])
def test_keyword_matches(text, intent, rest):
    found = match_keyword(text)
    assert found is not None and (found.intent, found.rest) == (intent, rest)


@pytest.mark.parametrize("text", ["", "   ", "bonjour", "à Konna les jeunes se battent", "stopper", "ale", "Anneau"])
def test_ordinary_text_is_not_a_keyword(text):
    assert match_keyword(text) is None


@pytest.mark.parametrize(("text", "intent"), [("Aider-moi", "help"), ("alertes au marché", "alert")])
def test_plural_and_hyphenated_forms_still_match(text, intent):
    assert match_keyword(text).intent == intent


@pytest.mark.parametrize(
    ("text", "ref", "rest"),
    [("142", 142, ""), ("#142", 142, ""), ("# 142 merci", 142, "merci"), ("merci", None, "merci"), ("", None, "")],
)
def test_references_with_or_without_hash(text, ref, rest):
    assert parse_reference(text) == (ref, rest)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("OUI", True),
        ("oui je viens", True),
        ("Oui.", True),
        ("yes", True),
        ("1", True),
        ("awɔ", True),
        ("awo", True),
        ("NON", False),
        ("Non.", False),
        ("no", False),
        ("2", False),
        ("ayi", False),
        ("peut-être", None),
        ("", None),
    ],
)
def test_yes_no_answers(text, value):
    assert yes_or_no(text) is value


EXACT = [
    ("DISCRET", "discreet_on"),
    ("Discrète !", "discreet_on"),
    ("discreet.", "discreet_on"),
    ("DISCRET OUI", "discreet_on"),
    ("Discreet on", "discreet_on"),
    ("DISCRET NON", "discreet_off"),
    ("discrète non", "discreet_off"),
    ("DISCREET OFF", "discreet_off"),
    ("Discret: les jeunes parlent de représailles", None),
    ("discret les jeunes", None),
    ("discrets", None),
    ("discre", None),
    ("DISCRET NON MERCI", None),
    ("", None),
]


@pytest.mark.parametrize(("text", "intent"), EXACT, ids=[e[0] or "empty" for e in EXACT])
def test_discreet_settings_are_whole_messages(text, intent):
    found = match_exact(text)
    assert (found.intent if found else None) == intent
