"""The escalation policy as data (severity × category → plan) and the officers' notification text: at most two
GSM-7 segments whatever the description, the alert's reference, place and the way to answer, never the reporter."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import select

from gateway.alerts import records
from gateway.escalation.notify import MAX_SEGMENTS, alert_text
from gateway.escalation.policy import DEFAULT_POLICY, Plan, Policy
from gateway.messaging.sms_text import count_segments, to_gsm7
from gateway.models import Alert, AlertSource, Contact, District, Role

LONG_FRENCH = ("Des hommes armés sont entrés à Kotaka, ils menacent les éleveurs près du puits. " * 20)[:1000]


def make_alert(severity=3, category="armed_group", description="Des coups de feu au marché", **fields) -> Alert:
    """A transient alert #142 in Konna (MOPTI)."""
    district = District(code="MOPTI", name="Mopti", region="Mopti")
    values = dict(id=142, district=district, region="Mopti", commune="Konna", place="Kotaka", category=category,
                  severity=severity, description=description)  # fmt: skip
    return Alert(**{**values, **fields})


@pytest.mark.parametrize(
    ("severity", "category", "plan"),
    [
        (3, None, Plan.LADDER),
        (2, None, Plan.NOTIFY),
        (1, None, Plan.NONE),
        (None, None, Plan.NONE),
        (3, "intercommunal_violence", Plan.LADDER),
        (2, "rumour_hate", Plan.NOTIFY),
        (1, "displacement", Plan.NONE),
        (None, "other", Plan.NONE),
        (1, "armed_group", Plan.NOTIFY),
        (None, "armed_group", Plan.NOTIFY),
        (2, "armed_group", Plan.NOTIFY),
        (3, "armed_group", Plan.LADDER),
    ],
)
def test_default_policy_table(severity, category, plan):
    assert DEFAULT_POLICY.plan(make_alert(severity=severity, category=category)) is plan


def test_policy_is_data_that_can_be_changed_without_code():
    strict = Policy(ladder_from=2, notify_from=1, category_minimum={"armed_group": 3, "displacement": 2})
    assert strict.plan(make_alert(severity=2, category=None)) is Plan.LADDER
    assert strict.plan(make_alert(severity=1, category=None)) is Plan.NOTIFY
    assert strict.plan(make_alert(severity=1, category="armed_group")) is Plan.LADDER
    assert strict.plan(make_alert(severity=None, category="displacement")) is Plan.LADDER
    assert strict.plan(make_alert(severity=None, category=None)) is Plan.NONE
    assert Policy().plan(make_alert(severity=1, category="armed_group")) is Plan.NOTIFY, "the default is unchanged"


def test_an_override_never_lowers_a_severity():
    assert DEFAULT_POLICY.effective_severity(make_alert(severity=3, category="armed_group")) == 3
    assert DEFAULT_POLICY.effective_severity(make_alert(severity=1, category="armed_group")) == 2
    assert DEFAULT_POLICY.effective_severity(make_alert(severity=None, category="armed_group")) == 2
    assert DEFAULT_POLICY.effective_severity(make_alert(severity=None, category=None)) is None


def segments(text: str) -> int:
    """Segments the text costs as the SMS channel sends it."""
    return count_segments(to_gsm7(text)).segments


@pytest.mark.parametrize("language", ["fr", "en", "bm", "ff"])
def test_long_description_fits_in_two_gsm7_segments(language):
    text = alert_text(make_alert(description=LONG_FRENCH), language)
    sms = to_gsm7(text)
    assert count_segments(sms).encoding == "GSM-7"
    assert count_segments(sms).segments <= MAX_SEGMENTS
    assert "#142" in text and "Mopti" in text and "Konna" in text and "OK 142" in text
    assert "3" in text
    assert to_gsm7("Des hommes armés sont entrés à Kotaka") in sms, "the start of the description is kept"
    assert len(sms) > 250, "the budget is used, not thrown away"


def test_full_notification_text_in_french():
    text = alert_text(make_alert(), "fr")
    assert text == (
        'URGENT #142 Mopti/Konna: groupe armé, gravité 3. "Des coups de feu au marché" '
        "Répondez OK 142 si vous prenez en charge."
    )


def test_english_text_and_category_label():
    text = alert_text(make_alert(category="security_forces", severity=2), "en")
    assert text.startswith("URGENT #142 Mopti/Konna: security forces, severity 2.")
    assert text.endswith("Reply OK 142 if you take it.")


def test_missing_fields_still_give_a_readable_text():
    text = alert_text(make_alert(category=None, severity=None, description=None, commune=None), "fr")
    assert "#142" in text and "Mopti/Kotaka" in text and "non classée" in text and "OK 142" in text


@pytest.mark.parametrize(
    "description",
    [
        "😡 " * 600,  # an emoji forces UCS-2: 70 characters a segment
        "Ɲɔgɔn ka kɛlɛ Kotaka " * 60,  # Bambara letters outside GSM-7
        "[prix] {marché} €€€ ^^ " * 50,  # GSM-7 extension characters cost two septets
        "mot" * 400,  # no space to cut on
    ],
)
def test_any_description_fits_in_two_segments(description):
    text = alert_text(make_alert(description=description), "fr")
    assert segments(text) <= MAX_SEGMENTS and "OK 142" in text and "#142" in text


ALPHABETS = ["abcdefghij KLMNOP 0123456789.,", "éèàùçâêîôûëïœ’«»…", "[]{}€^~|\\", "ɛɔɲŋ", "😡🔥", " \n\t"]


def random_descriptions(count: int = 200, seed: int = 142) -> list[str]:
    """Descriptions of every length up to 1,500 characters, mixing GSM-7, French, extension, Bambara and emoji."""
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        alphabet = "".join(rng.sample(ALPHABETS, rng.randint(1, len(ALPHABETS))))
        out.append("".join(rng.choice(alphabet) for _ in range(rng.randint(0, 1500))))
    return out


@pytest.mark.parametrize("language", ["fr", "en"])
def test_random_descriptions_never_take_more_than_two_segments(language):
    for description in random_descriptions():
        text = alert_text(make_alert(description=description), language)
        assert segments(text) <= MAX_SEGMENTS, description
        assert "OK 142" in text and "#142" in text


def identity_marks(contact: Contact) -> list[str]:
    """Every way a contact's identity could show in a text: name (as typed and as SMS), E.164, national number."""
    return [contact.name, to_gsm7(contact.name), contact.phone, contact.phone[-8:]]


def test_no_reporter_identity_for_any_leader_in_the_directory(runtime, directory):
    with runtime.db.transaction() as session:
        leaders = list(session.scalars(select(Contact).where(Contact.role == Role.LEADER)))
        assert len(leaders) > 100
        marks = [(other, mark) for other in leaders for mark in identity_marks(other)]  # computed once, not per text
        for leader in leaders:
            alert = records.new_alert(session, leader, "console", AlertSource.ONESHOT, severity=3, category="other",
                                     description=LONG_FRENCH)  # fmt: skip
            for language in ("fr", "en"):
                text = alert_text(alert, language)
                sms = to_gsm7(text)
                assert segments(text) <= MAX_SEGMENTS
                assert f"#{alert.id}" in text and f"OK {alert.id}" in text
                if leader.commune:
                    assert leader.commune in text
                for other, mark in marks:
                    assert mark not in text and mark not in sms, (leader.id, other.id, mark)
