"""What a mass sending will cost, before it is sent: the numbers staff see in previews."""

from __future__ import annotations

from dataclasses import replace
from datetime import time
from decimal import Decimal

import pytest
from sqlalchemy import select

from gateway.core.config import load_settings
from gateway.messaging.deliveries import failure_group
from gateway.messaging.estimate import cost_text, estimate
from gateway.messaging.routing import route_for
from gateway.models import Contact, MessageKind

LEADER = "+22371139685"  # SMS only
ALIOU, ALIOU_TG = "+22365639508", 1041918565  # prefers SMS, Telegram linked
LONG = "Réunion du cadre de concertation de Kotaka " * 8  # 344 characters: 3 GSM-7 segments


@pytest.fixture
def env(base_env, fake_twilio, fake_telegram) -> dict[str, str]:
    """Twilio and Telegram on."""
    return {**base_env, **fake_twilio.env(), **fake_telegram.env(), "GATEWAY_CONSOLE_CHANNEL": ""}


def contacts(runtime, *phones):
    with runtime.db.sessions() as session:
        found = {c.phone: c for c in session.scalars(select(Contact).where(Contact.phone.in_(phones)))}
        session.expunge_all()
    return [found[p] for p in phones]


@pytest.mark.parametrize(
    ("configured", "segments", "shown"),
    [(None, 12, None), ("25 XOF", 12, "300 XOF"), ("0.0079 USD", 3, "0.0237 USD"), ("25 XOF", 0, "0 XOF")],
)
def test_the_cost_is_segments_times_sms_segment_cost_with_its_currency(runtime, configured, segments, shown):
    settings = load_settings({"SMS_SEGMENT_COST": configured} if configured else {})
    runtime.settings = replace(runtime.settings, sms_segment_cost=settings.sms_segment_cost)
    assert cost_text(runtime, segments) == shown


def test_sms_counts_segments_and_telegram_costs_nothing(runtime, directory):
    leader, aliou = contacts(runtime, LEADER, ALIOU)
    aliou.channel = "telegram"
    runtime.settings = replace(runtime.settings, sms_segment_cost=(Decimal(25), "XOF"))
    result = estimate(runtime, [(leader, LONG), (aliou, LONG)], MessageKind.BROADCAST)
    assert result.channels == (("telegram", 1), ("twilio", 1))
    assert (result.sms_recipients, result.segments_total, result.cost) == (1, 3, "75 XOF")


def test_an_unsubscribed_number_with_telegram_is_reached_on_telegram_and_without_it_not_at_all(runtime, directory):
    leader, aliou = contacts(runtime, LEADER, ALIOU)
    for contact in (leader, aliou):
        contact.sms_unreachable, contact.sms_unreachable_reason = True, "21610"
    assert route_for(aliou, runtime.settings, runtime.channels) == ("telegram", str(ALIOU_TG))
    result = estimate(runtime, [(leader, "Bonjour"), (aliou, "Bonjour")], MessageKind.BROADCAST)
    assert (result.channels, result.not_sent, result.segments_total) == ((("telegram", 1),), 1, 0)


def test_quiet_hours_say_when_a_non_urgent_sending_will_leave(runtime, directory):
    (leader,) = contacts(runtime, LEADER)
    runtime.settings = replace(runtime.settings, quiet_hours=(time(0, 0), time(23, 59)))
    assert estimate(runtime, [(leader, "x")], MessageKind.BROADCAST).leaves_at is not None
    assert estimate(runtime, [(leader, "x")], MessageKind.ESCALATION).leaves_at is None


@pytest.mark.parametrize(
    ("code", "group"),
    [
        ("21610", "unsubscribed"),
        ("sms_unreachable", "unsubscribed"),
        ("telegram:forbidden", "blocked"),
        ("network:ConnectError", "unreachable_phone"),
        ("no_sms_channel", "no_sms_channel"),
        ("30003", "provider_error"),
        (None, "provider_error"),
    ],
)
def test_failures_are_grouped_by_a_reason_staff_can_act_on(code, group):
    assert failure_group(code) == group
