"""The pulse's question: one GSM-7 SMS in French for every commune of the sample data with its tracked services (and
the longest commune name with four services), the hint likewise, the rotation of a commune with more than four
services, the week's label."""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import datetime

import pytest

from flows.catalogue import languages
from gateway.messaging.sms_text import count_segments, to_gsm7
from gateway.models import ServiceKind
from gateway.pulse.question import buttons, hint_text, question_text, week_number, week_of
from gateway.pulse.services import MAX_PER_ROUND, TrackedCommune, asked_this_round, commune_key
from tests.conftest import SAMPLE_DIRECTORY
from tests.gateway.pulse.support import sample_rows

WEEK = "2026-W49"


def sample_communes() -> dict[tuple[str, str], list[str]]:
    """(district, commune) → tracked services in the pulse's order, for every commune of the sample roadmap."""
    order = {kind.value: i for i, kind in enumerate(ServiceKind)}
    tracked: dict[tuple[str, str], set[str]] = defaultdict(set)
    for row in sample_rows():
        tracked[(row["district"], row["commune"])].add(row["service"])
    return {place: sorted(services, key=order.get) for place, services in tracked.items()}


def one_sms(text: str) -> bool:
    """True when the text, as sent, is one GSM-7 segment."""
    count = count_segments(to_gsm7(text))
    return count.encoding == "GSM-7" and count.segments == 1


def test_the_sample_roadmap_asks_in_communes_of_the_sample_directory():
    with SAMPLE_DIRECTORY.open(encoding="utf-8") as handle:
        communes = {(r["district"], commune_key(r["commune"])) for r in csv.DictReader(handle) if r["role"] == "leader"}
    tracked = sample_communes()
    assert len(tracked) == 28
    assert {(d, commune_key(c)) for d, c in tracked} <= communes
    assert max(len(s) for s in tracked.values()) == 5  # KORO/Bondo: the rotation is exercised


@pytest.mark.parametrize("language", languages())
def test_every_sample_commune_is_asked_in_one_gsm7_sms(language):
    for (_district, commune), services in sample_communes().items():
        asked = services[:MAX_PER_ROUND]
        for text in (question_text(language, WEEK, commune, asked), hint_text(language, WEEK, commune, asked)):
            assert one_sms(text), (commune, text, count_segments(to_gsm7(text)))


@pytest.mark.parametrize("language", languages())
def test_the_longest_commune_name_with_four_services_fits(language):
    longest = max((commune for _d, commune in sample_communes()), key=len)
    four = ["school", "health", "security", "administration"]
    for week in ("2026-W01", "2026-W53"):
        text = question_text(language, week, longest, four)
        assert one_sms(text), (text, count_segments(to_gsm7(text)))
    assert len(to_gsm7(text)) <= 160


def test_the_question_reads_as_the_issue_shows_it():
    text = question_text("fr", WEEK, "Konna", ["school", "health", "security"])
    assert (
        to_gsm7(text) == "#S49 Konna: ecole? sante? gendarmerie? Répondez 3 chiffres 1 ouvert 2 fermé 3 partiel ex: 113"
    )
    assert question_text("fr", WEEK, "Konna", ["security"]) == (
        "#S49 Konna: gendarmerie? Répondez 1 ouvert 2 fermé 3 partiel"
    )
    assert question_text("en", WEEK, "Konna", ["school", "water"]).startswith(
        "#W49 Konna: school? water? Reply 2 digits"
    )


def test_telegram_buttons_send_one_service_answers_with_their_week():
    pressed = buttons("fr", WEEK, ["school", "health"])
    assert [(b.label, b.data) for b in pressed[:3]] == [
        ("ecole: ouvert", "#S49 ecole 1"),
        ("ecole: fermé", "#S49 ecole 2"),
        ("ecole: partiel", "#S49 ecole 3"),
    ]
    assert len(pressed) == 6 and pressed[-1].data == "#S49 sante 3"


def test_a_commune_with_more_than_four_services_asks_each_in_turn():
    bondo = TrackedCommune(1, "bondo", "Bondo", ("school", "health", "security", "administration", "justice"))
    history: list[str] = []
    asked_in = defaultdict(list)
    for round_number in range(10):
        asked = asked_this_round(bondo, history)
        assert len(asked) == 4 and asked == sorted(asked, key=list(bondo.services).index)
        for service in asked:
            asked_in[service].append(round_number)
        history.append(",".join(asked))
    assert history[:2] == ["school,health,security,administration", "school,health,security,justice"]
    assert {service: len(rounds) for service, rounds in asked_in.items()} == dict.fromkeys(bondo.services, 8)
    for service, rounds in asked_in.items():  # never two rounds running without being asked
        assert all(b - a <= 2 for a, b in zip([-1, *rounds], [*rounds, 10], strict=True)), (service, rounds)


def test_four_services_or_fewer_are_all_asked_every_round():
    koro = TrackedCommune(1, "koro", "Koro", ("school", "security"))
    assert asked_this_round(koro, ["school,security"] * 3) == ["school", "security"]


def test_weeks_are_local_iso_weeks():
    assert week_of(datetime(2026, 12, 7, 9)) == "2026-W50"
    assert week_of(datetime(2027, 1, 1, 9)) == "2026-W53"
    assert week_number("2026-W05") == 5
