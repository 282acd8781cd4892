"""Reading pulse answers (pure): every shape the issue names, Telegram buttons and keycap emoji, and what is not a
pulse answer (words, a meeting's number, a lone emoji) falls through to the other steps."""

from __future__ import annotations

import pytest

from flows.pulse_answers import PulseAnswer, check_digits, parse, service_words

ASKED = ["school", "health", "security"]

SHAPES = [
    ("113", PulseAnswer(None, "113")),
    ("1 1 3", PulseAnswer(None, "113")),
    ("1,1,3.", PulseAnswer(None, "113")),
    ("S49 113", PulseAnswer(49, "113")),
    ("#S49 113", PulseAnswer(49, "113")),
    ("# s49 1 1 3", PulseAnswer(49, "113")),
    ("S 49 113", PulseAnswer(49, "113")),
    ("W49 113", PulseAnswer(49, "113")),
    ("ecole 2", PulseAnswer(None, pairs=(("school", "2"),))),
    ("École 2", PulseAnswer(None, pairs=(("school", "2"),))),
    ("ECOLE2", PulseAnswer(None, pairs=(("school", "2"),))),
    ("santé 1 gendarmerie 3", PulseAnswer(None, pairs=(("health", "1"), ("security", "3")))),
    ("#S49 ecole 2", PulseAnswer(49, pairs=(("school", "2"),))),  # a Telegram button
    ("#S49 school 3", PulseAnswer(49, pairs=(("school", "3"),))),  # an English leader's button
    ("police 2", PulseAnswer(None, pairs=(("security", "2"),))),
    ("1️⃣1️⃣3️⃣", PulseAnswer(None, "113")),
    ("113 👍", PulseAnswer(None, "113")),
    ("1", PulseAnswer(None, "1")),
    ("1134567", PulseAnswer(None, "1134567")),  # seven digits: a pulse answer, refused later with the hint
    ("4 4 4", PulseAnswer(None, "444")),
]


@pytest.mark.parametrize(("text", "expected"), SHAPES, ids=[s[0] for s in SHAPES])
def test_pulse_shapes_are_read(text, expected):
    assert parse(text) == expected


NOT_PULSE = ["OUI", "oui 12", "1 13", "#12", "3 jeunes blessés au marché", "ALERTE 3 tirs à Konna", "👍", "", "   ",
             "ecole fermee", "ecole", "S49", "école 2 depuis lundi", "113 morts"]  # fmt: skip


@pytest.mark.parametrize("text", NOT_PULSE)
def test_other_messages_are_not_pulse_answers(text):
    assert parse(text) is None


def test_a_lone_digit_is_marked_as_possibly_for_another_question():
    assert parse("2").single and not parse("S49 2").single and not parse("ecole 2").single and not parse("12").single


def test_service_words_come_from_every_catalogue_and_the_codes():
    words = service_words()
    assert words["ecole"] == words["school"] == "school"
    assert words["gendarmerie"] == words["security"] == "security"
    assert words["prefet"] == words["administration"] == "administration"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("113", [("school", "open"), ("health", "open"), ("security", "partial")]),
        ("sante 2", [("health", "closed")]),
        ("11", None),  # too few digits
        ("1134", None),  # too many
        ("140", None),  # digits other than 1-3
        ("eau 2", None),  # a service not asked this round
    ],
)
def test_answers_are_checked_against_the_services_asked(text, expected):
    assert check_digits(parse(text), ASKED) == expected
