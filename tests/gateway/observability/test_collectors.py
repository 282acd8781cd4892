"""The scrape-time gauges: read from the database and Redis at each scrape (so every process reports the same
truth), and a source that fails is named in `gateway_scrape_error` instead of failing the scrape."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from gateway.models import Contact, District, Message, Role, utcnow
from gateway.models.pulse import PulseAnswer, PulseQuestion, PulseRound, PulseRun
from tests.chat import Chat
from tests.gateway.observability.scrape import scrape, value
from workers import pacing
from workers.sweeper import sweep_once


def _pulse_run(session, district: District, leaders: list[Contact], answered: list[Contact], week: str) -> None:
    """One pulse run in one commune of the district: every leader asked, some answering (one about two services)."""
    run = PulseRun(week=week, district_id=district.id, actor="cli")
    session.add(run)
    session.flush()
    round_ = PulseRound(run_id=run.id, district_id=district.id, commune="Bondo", week=week, services="school,health",
                        asked=len(leaders))  # fmt: skip
    session.add(round_)
    session.flush()
    session.add_all(PulseQuestion(round_id=round_.id, contact_id=c.id) for c in leaders)
    for contact in answered:
        for service in ("school", "health"):
            session.add(PulseAnswer(round_id=round_.id, contact_id=contact.id, service=service, presence="open"))


def test_pulse_response_rate_reads_the_latest_round_of_each_district(runtime, directory, client):
    with runtime.db.transaction() as session:
        koro = session.scalar(select(District).where(District.code == "KORO"))
        leaders = session.scalars(
            select(Contact).where(Contact.role == Role.LEADER, Contact.district_id == koro.id).order_by(Contact.id)
        ).all()[:4]
        assert len(leaders) == 4
        _pulse_run(session, koro, leaders, leaders[:1], "2026-W48")  # last week's: one in four
        _pulse_run(session, koro, leaders, leaders[:3], "2026-W49")  # this week's: three in four
    text = scrape(client)
    assert value(text, "gateway_pulse_response_ratio", district="KORO") == pytest.approx(0.75)
    assert value(text, "gateway_pulse_asked", district="KORO") == 4
    assert 'gateway_pulse_response_ratio{district="MOPTI"}' not in text  # no pulse there yet: no series


def test_last_sweep_is_the_time_a_sweep_finished(runtime, client):
    assert value(scrape(client), "gateway_last_sweep_timestamp_seconds") == 0  # no sweep yet: no series
    started = time.time()
    sweep_once(runtime)
    assert started <= value(scrape(client), "gateway_last_sweep_timestamp_seconds") <= time.time()


@pytest.mark.parametrize("env", [pytest.param("android", id="android")], indirect=True)
def test_pace_budget_left_follows_the_phone_minute(runtime, client):
    text = scrape(client)
    rate, headroom = runtime.settings.android_segments_per_minute, runtime.settings.android_urgent_headroom
    assert value(text, "gateway_pace_budget_remaining", channel="android", kind="bulk") == rate
    assert pacing.acquire(runtime.redis, "android", 3, rate) == 0
    text = scrape(client)
    assert value(text, "gateway_pace_budget_remaining", channel="android", kind="bulk") == rate - 3
    assert value(text, "gateway_pace_budget_remaining", channel="android", kind="urgent") == rate + headroom - 3


@pytest.fixture
def env(request, base_env):
    """The test gateway; `android` adds the fake phone as its SMS channel."""
    if getattr(request, "param", None) == "android":
        phone = request.getfixturevalue("fake_phone")
        return {**base_env, **phone.env()}
    return base_env


def test_a_database_that_fails_is_named_and_the_rest_still_scraped(runtime, client, monkeypatch):
    def broken():
        raise ConnectionError("database gone")

    monkeypatch.setattr(runtime.db, "sessions", broken)
    text = scrape(client)
    assert value(text, "gateway_scrape_error", source="database") == 1
    assert value(text, "gateway_scrape_error", source="redis") == 0
    assert "gateway_queue_jobs" in text and "gateway_outbox_messages" not in text


def test_oldest_waiting_messages(runtime, directory, client):
    text = scrape(client)
    assert value(text, "gateway_outbox_oldest_due_seconds") == 0
    assert value(text, "gateway_inbound_oldest_unhandled_seconds") == 0
    Chat(runtime, "+22371139685").send("Bonjour")  # handled at once; its reply queued
    with runtime.db.transaction() as session:
        session.execute(update(Message).values(created_at=utcnow() - timedelta(minutes=10), processed_at=None))
    text = scrape(client)
    assert value(text, "gateway_outbox_oldest_due_seconds") >= 600
    assert value(text, "gateway_inbound_oldest_unhandled_seconds") >= 600
