"""Every catalogue text, drafts included, fits the SMS budget of its key as it is sent (filled at its longest,
transliterated to GSM-7); Bambara and Fulfulde letters become what people type, never UCS-2."""

from __future__ import annotations

import pytest

from flows import catalogue
from gateway.catalogues import budget
from gateway.messaging.sms_text import count_segments, to_gsm7

ALL_TEXTS = [
    (language, key, text)
    for language in catalogue.languages()
    for key, text in (catalogue.load(language) | {k: e.text for k, e in catalogue.entries(language).items()}).items()
]


@pytest.mark.parametrize(("language", "key", "text"), ALL_TEXTS, ids=[f"{lang}:{key}" for lang, key, _ in ALL_TEXTS])
def test_every_catalogue_text_fits_its_budget_in_gsm7(language, key, text):
    fit = budget.check(key, text)
    assert fit.ok, f"{language}:{key}: {fit.reason}"
    assert fit.encoding == "GSM-7" and fit.segments <= budget.allowance(key)


@pytest.mark.parametrize("key", sorted(catalogue.load("fr")))
def test_max_length_is_what_fits_once_filled(key):
    french = catalogue.load("fr")[key]
    room = budget.max_length(key, french)
    assert len(french) <= room or key in budget.SEGMENT_ALLOWANCE, key
    exact = french + "a" * (room - len(french))
    assert budget.check(key, exact).ok, key
    if len(to_gsm7(french)) == len(french) and not any(ch in "^{}\\[~]|€" for ch in budget.worst_fill(french)):
        assert not budget.check(key, exact + "a").ok, "one character more does not fit"


TRANSLITERATION = [
    # (as written, as sent by SMS)
    ("Ne bɛ taa sugu la", "Ne bè taa sugu la"),
    ("i ni sɔgɔma", "i ni sògòma"),
    ("à ka ɲi", "à ka nyi"),
    ("ŋaniya", "nganiya"),
    ("Ɛ Ɔ Ɲ Ŋ", "E O Ny Ng"),  # GSM-7 has no capital È or Ò
    ("ɓernde ɗemngal ƴiiƴam", "bernde demngal yiiyam"),
    ("Ɓ Ɗ Ƴ", "B D Y"),
    ("Réunion à Sévaré, arrêtez-vous", "Réunion à Sévaré, arretez-vous"),  # French as before
    ("ߓߊ߬ߙߏ ɛ", "ߓߊ߬ߙߏ ɛ"),  # N'Ko is UCS-2 anyway: the text is left as written
]


@pytest.mark.parametrize(("written", "sent"), TRANSLITERATION, ids=[w for w, _ in TRANSLITERATION])
def test_malian_letters_are_sent_as_people_type_them(written, sent):
    assert to_gsm7(written) == sent
    if sent != written:
        assert count_segments(sent).encoding == "GSM-7"


def test_every_draft_letter_leaves_a_gsm7_text():
    for language in catalogue.draft_languages():
        for key, entry in catalogue.entries(language).items():
            assert count_segments(to_gsm7(entry.text)).encoding == "GSM-7", (language, key)
