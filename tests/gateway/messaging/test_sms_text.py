"""GSM-7 transliteration of French and segment counting."""

from __future__ import annotations

import pytest

from gateway.messaging.sms_text import count_segments, to_gsm7

TRANSLITERATION = [
    ("fenêtre", "fenetre"),
    ("côte", "cote"),
    ("île", "ile"),
    ("sûr", "sur"),
    ("ça reçu", "ca recu"),
    ("cœur", "coeur"),
    ("l’école", "l'école"),
    ("« vite »", '" vite "'),
    ("déjà là, où?", "déjà là, où?"),  # é, à, ù are GSM-7: kept
    ("Ségou — Djenné…", "Ségou - Djenné..."),
]


@pytest.mark.parametrize(("french", "sms"), TRANSLITERATION, ids=[t[0] for t in TRANSLITERATION])
def test_french_is_transliterated_to_gsm7(french, sms):
    assert to_gsm7(french) == sms
    assert count_segments(to_gsm7(french)).encoding == "GSM-7"


# Bambara and Fulfulde letters have typed forms (tests/gateway/catalogues/test_budget.py); with an emoji or N'Ko the
# text is UCS-2 whatever is replaced, so it is left as written.
@pytest.mark.parametrize("text", ["🔥 ça brûle", "dɛmɛ bɛ 🔥", "ߓߊ߬ߙߏ", "مرحبا"])
def test_text_with_other_non_gsm_characters_is_left_alone(text):
    assert to_gsm7(text) == text
    assert count_segments(text).encoding == "UCS-2"


@pytest.mark.parametrize(
    ("text", "encoding", "segments"),
    [
        ("a" * 160, "GSM-7", 1),
        ("a" * 161, "GSM-7", 2),
        ("a" * 306, "GSM-7", 2),
        ("a" * 307, "GSM-7", 3),
        ("€" * 80, "GSM-7", 1),  # extension characters cost two septets
        ("€" * 81, "GSM-7", 2),
        ("ê" * 70, "UCS-2", 1),
        ("ê" * 71, "UCS-2", 2),
        ("", "GSM-7", 1),
    ],
)
def test_segments_are_counted_as_phones_count_them(text, encoding, segments):
    count = count_segments(text)
    assert (count.encoding, count.segments) == (encoding, segments)


def test_a_french_notice_costs_one_segment_after_transliteration_and_three_before():
    notice = (
        "Réunion du cadre de concertation: ven. 5 déc. 10h, Mairie de Koro. Répondez OUI ou NON. "
        "Référence #12. Merci d’être là, c’est très important pour nous tous."
    )
    assert count_segments(notice).segments == 3
    assert count_segments(to_gsm7(notice)).segments == 1
