"""Every standard text fits one GSM-7 SMS segment; languages fall back to French; catalogues agree on keys."""

from __future__ import annotations

import re

import pytest

from flows import catalogue
from gateway.messaging.sms_text import count_segments, to_gsm7

# The longest realistic values a text is filled with: five-digit references, a long place name.
WORST_CASE = {
    "ref": "99999",
    "place": "Mairie de Dourou-Tanga",
    "severity": "3",
    "max": "8",
    "min": "1",
    "district": "Bandiagara",
    "commune": "Dourou-Tanga",
    "category": "école/santé/service fermé",
    "description": "",  # filled by gateway.escalation.notify as far as two segments allow (tested there)
    "level": "3",
    "officer": "Souleymane Ongoïba Traoré",
    "who": "Souleymane Ongoïba Traoré #99999",
    "refs": "#99999 #99998 #99997",
    "when": "mer. 30 sept. 10h30",
    "yes": "26",
    "no": "26",
    "pending": "26",
    "invitees": "120",
    "segments": "120",
    "minutes": "60",
    "count": "120",
    "day": "mer.",
    "d": "30",
    "month": "sept.",
    "clock": "10h30",
    "hour": "10",
    "minute": "30",
    "where": "Dourou-Tanga",
    "total": "120",
    "s3": "40",
    "s2": "40",
    "s1": "40",
    "s0": "40",
    "open": "12",
    "meetings": "7",
    # The pulse (its question with the sample data's communes is checked in tests/gateway/pulse/test_question.py).
    "week": "53",
    "services": "ecole? sante? gendarmerie? prefet?",
    "digits": "4",
    "example": "1131",
    "service": "gendarmerie",
    "presence": "partiel",
    "before": "partiel",
    # the weekly bulletin's summary
    "week_label": "2026-W49",
    "scope": "Tous les cercles",
    "closed": "12",
    "returned": "12",
    "overdue": "120",
    "alerts": "120",
    "rate": "100 %",
    # a language's own name (LANGUE BM)
    "chosen": "bamanankan",
    "name": "Souleymane O.",  # a missed call's page: first name and initial (gateway.escalation.notify.short_name)
}
# Texts allowed more than one segment (the issue allows two for officers' escalation notices).
SEGMENT_ALLOWANCE = {"escalation.alert": 2, "escalation.notice": 2}
ENTRIES = [(lang, key) for lang in catalogue.languages() for key in catalogue.load(lang)]


@pytest.mark.parametrize(("language", "key"), ENTRIES, ids=[f"{lang}:{key}" for lang, key in ENTRIES])
def test_every_text_fits_one_gsm7_segment(language, key):
    params = {name: WORST_CASE[name] for name in re.findall(r"{(\w+)}", catalogue.load(language)[key])}
    sms = to_gsm7(catalogue.text(language, key, **params))
    count = count_segments(sms)
    assert count.encoding == "GSM-7", f"{language}:{key} falls into UCS-2: {sms!r}"
    allowed = SEGMENT_ALLOWANCE.get(key, 1)
    assert count.segments <= allowed, f"{language}:{key} takes {count.segments} segments ({count.units} characters)"


def test_catalogues_have_the_same_keys_and_placeholders():
    french = catalogue.load("fr")
    for language in catalogue.REFERENCE_LANGUAGES:
        other = catalogue.load(language)
        assert set(other) == set(french), f"{language} differs from fr: {set(other) ^ set(french)}"
    for language in catalogue.draft_languages():
        drafted = {key: entry.text for key, entry in catalogue.entries(language).items()}
        assert drafted, f"{language}: a draft catalogue with no entries"
        # A draft may lack keys (they fall back to French, `gateway catalogue status` counts them), never add some.
        assert set(drafted) <= set(french), f"{language} has keys French has not: {set(drafted) - set(french)}"
    for language in catalogue.languages():
        texts = catalogue.load(language) | {k: e.text for k, e in catalogue.entries(language).items()}
        for key, text in texts.items():
            assert set(re.findall(r"{(\w+)}", text)) == set(re.findall(r"{(\w+)}", french[key])), key


@pytest.mark.parametrize("language", ["bm", "ff", None, "xx"])
def test_untranslated_languages_fall_back_to_french(language):
    assert catalogue.text(language, "help") == catalogue.text("fr", "help")


def test_english_is_its_own_text():
    assert catalogue.text("en", "help") != catalogue.text("fr", "help")
    assert catalogue.text("en", "alert.done", ref=7).startswith("Alert #7")


def test_unknown_key_is_an_error_not_an_empty_message():
    with pytest.raises(KeyError):
        catalogue.text("fr", "no.such.text")


DISCREET = [(lang, key) for lang, key in ENTRIES if key.endswith(catalogue.DISCREET_SUFFIX)]
# Words that would tell a reader of a discreet leader's phone what was reported.
REVEALING = ("alert", "gravit", "severity", "urgent", "armé", "armed", "violence", "situation", "{where}", "{severity}")


@pytest.mark.parametrize(("language", "key"), DISCREET, ids=[f"{lang}:{key}" for lang, key in DISCREET])
def test_every_discreet_variant_is_one_sms_that_reveals_nothing(language, key):
    base = key.removesuffix(catalogue.DISCREET_SUFFIX)
    assert base in catalogue.load(language), f"{key} varies no text"
    raw = catalogue.load(language)[key]
    params = {name: WORST_CASE[name] for name in re.findall(r"{(\w+)}", raw)}
    count = count_segments(to_gsm7(catalogue.text(language, key, **params)))
    assert count.encoding == "GSM-7" and count.segments == 1, (key, count)
    assert not [w for w in REVEALING if w in raw.lower()], raw
    if "{ref}" in catalogue.load(language)[base]:
        assert "{ref}" in raw, "the leader can still quote the reference"


def test_every_text_said_to_a_reporter_has_a_discreet_variant():
    reporter_keys = {"alert.done", "alert.oneshot", "alert.oneshot.unrated", "report.received", "alert.handled",
                     "alert.closed", "alert.location_saved", "followup.question", "followup.calmer", "followup.tense",
                     "followup.worse", "followup.update_noted", "alert.where", "alert.where.nodefault",
                     "alert.merged"}  # fmt: skip
    for language in ("fr", "en"):
        missing = {k for k in reporter_keys if k + catalogue.DISCREET_SUFFIX not in catalogue.load(language)}
        assert not missing, (language, missing)


def test_discreet_texts_are_chosen_by_the_catalogue():
    assert catalogue.text("fr", "alert.done", ref=7, discreet=True) == "Message reçu #7. Merci."
    question = catalogue.text("en", "followup.question", ref=7, where="Koro", discreet=True)
    assert question == "#7: 1 calm 2 tense 3 worse?"
    assert catalogue.text("bm", "alert.closed", ref=7, discreet=True) == "#7: terminé. Merci.", "falls back to French"
    assert catalogue.text("fr", "help", discreet=True) == catalogue.text("fr", "help"), "no variant: the text itself"
    assert catalogue.text("fr", "alert.done", ref=7).startswith("Alerte #7")
