"""Bambara and Fulfulde as people write them: keywords and answers in the orthography (ɛ ɔ ɲ ŋ ɓ ɗ ƴ) and in the
typed forms (e/è, o/ò, ny/ñ, ng, b, d, y) mean the same; `LANGUE BM` chooses a language, a sentence never does."""

from __future__ import annotations

import pytest

from flows.answers import yes_or_no
from flows.keywords import match_keyword, normalise
from flows.language_choice import match_language

# (orthographic, typed forms…): each folds to the same text.
SPELLINGS = [
    ("dɛmɛ", "deme", "dèmè", "DEME"),
    ("sɔgɔma", "sogoma", "sògòma"),
    ("ɲɔgɔnye", "nyogonye", "ñògònye", "NYOGONYE"),
    ("ŋaniya", "nganiya"),
    ("ɗemngal", "demngal"),
    ("ɓernde", "bernde"),
    ("ƴiiƴam", "yiiyam"),
    ("Ɛ Ɔ Ɲ Ŋ Ɓ Ɗ Ƴ", "e o ny ng b d y"),
]


@pytest.mark.parametrize("forms", SPELLINGS, ids=[forms[0] for forms in SPELLINGS])
def test_orthographic_and_typed_forms_fold_alike(forms):
    assert len({normalise(form) for form in forms}) == 1, [normalise(f) for f in forms]


# (message, intent or None)
KEYWORDS = [
    ("dɛmɛ", "help"),
    ("Deme", "help"),
    ("dèmè", "help"),
    ("wallu", "help"),
    ("Wallu!", "help"),
    ("dɛmɛ baara", "help"),
    ("ngolo", None),  # "ng" is never read back as ŋ: nothing is guessed
    ("ɲɛnajɛ", None),
]


@pytest.mark.parametrize(("text", "intent"), KEYWORDS, ids=[t for t, _ in KEYWORDS])
def test_keywords_in_both_spellings(text, intent):
    found = match_keyword(text)
    assert (found.intent if found else None) == intent


ANSWERS = [
    ("awɔ", True),
    ("awo", True),
    ("Awò", True),
    ("ɔwɔ", True),
    ("owo", True),
    ("eey", True),
    ("Eey mi arat", True),
    ("ayi", False),
    ("Ayi.", False),
    ("alaa", False),
    ("Alaa, mi waawaa", False),
    ("a bɛ Konna", None),
]


@pytest.mark.parametrize(("text", "answer"), ANSWERS, ids=[t for t, _ in ANSWERS])
def test_yes_and_no_in_bambara_and_fulfulde(text, answer):
    assert yes_or_no(text) is answer


CHOICES = [
    ("LANGUE BM", "language", "bm"),
    ("langue bm", "language", "bm"),
    ("Langue: Bambara.", "language", "bm"),
    ("LANGUE BAMANANKAN", "language", "bm"),
    ("kan bamanankan", "language", "bm"),
    ("LANGUE FF", "language", "ff"),
    ("langue peul", "language", "ff"),
    ("ɗemngal fulfulde", "language", "ff"),
    ("demngal fulfulde", "language", "ff"),
    ("LANGUE FR", "language", "fr"),
    ("Langue français", "language", "fr"),
    ("language english", "language", "en"),
    ("LANGUE", "language_choices", ""),
    ("langue?", "language_choices", ""),
    ("LANGUE dogon", "language_choices", ""),
    ("kan dogon", None, None),  # "kan" opens many Bambara sentences
    ("kan", None, None),
    ("langue de bois au conseil", None, None),
    ("La langue des jeunes au marché", None, None),
    ("BM", None, None),
]


@pytest.mark.parametrize(("text", "intent", "code"), CHOICES, ids=[c[0] for c in CHOICES])
def test_language_choice_is_the_whole_message(text, intent, code):
    found = match_language(text)
    assert (found.intent, found.rest) == (intent, code) if intent else found is None
