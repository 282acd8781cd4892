"""Pacing the Android channel by SMS segments over a sliding minute (workers.pacing), on the test Redis with a
controlled clock: the budget, the wait until the oldest send leaves the window, multi-part messages, the urgent
headroom, a message longer than the budget, and atomicity under concurrent workers. Then through the send job:
a paced message is deferred, not attempted, and an urgent one still goes."""

from __future__ import annotations

import multiprocessing
import threading
import time
from datetime import timedelta

import pytest
import redis
from rq.registry import ScheduledJobRegistry
from sqlalchemy import select

from gateway.messaging.outbox import queue_message
from gateway.models import Contact, Message, MessageStatus, Priority, utcnow
from workers import pacing
from workers.outbound import send_message
from workers.queues import PACE_KEY, QUEUE_BULK, queue

T0 = 1_000_000.0  # a controlled clock, in seconds
CHANNEL = "android"


@pytest.fixture
def env(base_env, fake_phone) -> dict[str, str]:
    """The test gateway with the fake phone as its SMS channel, paced at 5 parts a minute (+5 for urgent)."""
    return {**base_env, **fake_phone.env(), "ANDROID_SEGMENTS_PER_MINUTE": "5", "ANDROID_URGENT_HEADROOM": "5"}


def fill(connection, count: int, limit: int, start: float = T0, step: float = 0.1, segments: int = 1) -> None:
    """`count` sends of `segments` each, `step` seconds apart from `start`, all granted."""
    for i in range(count):
        assert pacing.acquire(connection, CHANNEL, segments, limit, now=start + i * step) == 0


def test_the_budget_is_granted_then_the_wait_ends_when_the_oldest_leaves(redis_client):
    fill(redis_client, 20, limit=20)  # T0 … T0+1.9
    wait = pacing.acquire(redis_client, CHANNEL, 1, 20, now=T0 + 2)
    assert wait == pytest.approx(58.01)
    assert pacing.acquire(redis_client, CHANNEL, 1, 20, now=T0 + 59.99) == pytest.approx(0.02)
    assert pacing.acquire(redis_client, CHANNEL, 1, 20, now=T0 + 2 + wait) == 0
    # The window slides: the next one waits only for the second oldest (T0+0.1).
    assert pacing.acquire(redis_client, CHANNEL, 1, 20, now=T0 + 60.05) == pytest.approx(0.06)
    assert pacing.used(redis_client, CHANNEL, now=T0 + 60.05) == 20


def test_multi_part_messages_count_their_segments(redis_client):
    fill(redis_client, 6, limit=20, segments=3)  # 18 parts
    assert pacing.acquire(redis_client, CHANNEL, 3, 20, now=T0 + 1) == pytest.approx(59.01)
    assert pacing.acquire(redis_client, CHANNEL, 2, 20, now=T0 + 1) == 0  # exactly 20
    assert pacing.used(redis_client, CHANNEL, now=T0 + 1) == 20


def test_a_big_message_waits_for_as_many_of_the_oldest_as_it_needs(redis_client):
    fill(redis_client, 20, limit=20, step=0.5)  # T0 … T0+9.5
    assert pacing.acquire(redis_client, CHANNEL, 5, 20, now=T0 + 10) == pytest.approx(2.0 + 60 - 10 + 0.01)


def test_urgent_messages_use_the_headroom_when_bulk_used_the_rate(redis_client):
    rate, urgent = 20, 25
    fill(redis_client, 20, limit=rate)
    assert pacing.acquire(redis_client, CHANNEL, 1, rate, now=T0 + 3) > 0, "bulk waits"
    for i in range(5):
        assert pacing.acquire(redis_client, CHANNEL, 1, urgent, now=T0 + 3 + i * 0.1) == 0
    assert pacing.acquire(redis_client, CHANNEL, 1, urgent, now=T0 + 4) == pytest.approx(56.01)
    # Bulk now needs six of the oldest gone (25 used, its limit 20): until T0+0.5 leaves.
    assert pacing.acquire(redis_client, CHANNEL, 1, rate, now=T0 + 4) == pytest.approx(56.51)


def test_a_message_longer_than_the_budget_still_goes_alone(redis_client):
    assert pacing.acquire(redis_client, CHANNEL, 50, 20, now=T0) == 0
    assert pacing.acquire(redis_client, CHANNEL, 1, 20, now=T0 + 1) == pytest.approx(59.01)
    assert pacing.acquire(redis_client, CHANNEL, 50, 20, now=T0 + 61) == 0, "alone in a fresh window"
    assert pacing.acquire(redis_client, CHANNEL, 1, 20, now=T0 + 200) == 0
    assert pacing.acquire(redis_client, CHANNEL, 50, 20, now=T0 + 201) == pytest.approx(59.01), "waits for an empty one"


def grab(redis_url: str, attempts: int, start: threading.Barrier | None = None) -> int:
    """Try `attempts` one-part sends at T0 with a limit of 20 on its own connection; how many were granted."""
    connection = redis.Redis.from_url(redis_url)
    if start is not None:
        start.wait()
    granted = sum(pacing.acquire(connection, CHANNEL, 1, 20, now=T0) == 0 for _ in range(attempts))
    connection.close()
    return granted


def test_concurrent_threads_never_exceed_the_limit(redis_url, redis_client):
    start, results = threading.Barrier(8), []
    threads = [threading.Thread(target=lambda: results.append(grab(redis_url, 10, start))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(results) == 20 and pacing.used(redis_client, CHANNEL, now=T0) == 20


@pytest.mark.slow
def test_concurrent_processes_never_exceed_the_limit(redis_url, redis_client):
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        results = pool.starmap(grab, [(redis_url, 15)] * 4)
    assert sum(results) == 20 and pacing.used(redis_client, CHANNEL, now=T0) == 20


# --- through the send job --------------------------------------------------------------------------------------


def queue_to_leaders(runtime, count: int, priority: str) -> list[int]:
    """Queue one short message to each of `count` SMS leaders; their ids."""
    with runtime.db.transaction() as session:
        leaders = session.scalars(
            select(Contact).where(Contact.role == "leader", Contact.channel == "sms").order_by(Contact.id)
        ).all()[:count]
        rows = [queue_message(session, runtime, body="Test", contact=c, priority=priority) for c in leaders]
        session.flush()
        return [r.id for r in rows]


def test_the_send_job_defers_bulk_past_the_rate_and_lets_urgent_through(runtime, directory, fake_phone):
    *first, sixth = queue_to_leaders(runtime, 6, Priority.BULK)
    assert [send_message(i) for i in first] == ["sent"] * 5
    assert send_message(sixth) == "paced"
    with runtime.db.transaction() as session:
        row = session.get(Message, sixth)
        assert (row.status, row.attempts, row.error_code) == (MessageStatus.QUEUED, 0, None)
        assert utcnow() + timedelta(seconds=50) < row.next_attempt_at <= utcnow() + timedelta(seconds=61)
    jobs = ScheduledJobRegistry(queue=queue(runtime.redis, QUEUE_BULK)).get_job_ids()
    assert [j for j in jobs if j.startswith(f"send-{sixth}-0-")], jobs
    assert len(fake_phone.posts()) == 5, "the paced message was not attempted"

    [urgent] = queue_to_leaders(runtime, 1, Priority.URGENT)
    assert send_message(urgent) == "sent", "urgent traffic goes ahead within the headroom"
    assert len(fake_phone.posts()) == 6 and fake_phone.busiest_minute() == 6


# --- grants dated when the phone can have them -----------------------------------------------------------------


def test_a_slow_call_is_counted_from_the_phones_answer_so_the_phone_never_sees_more_than_the_limit(redis_client):
    # Limit 1. A's call is slow: granted at T0, the phone has it at T0+5. Dated at the grant, B would be let
    # through at T0+60.01 and the phone would get A (T0+5) and B (T0+60.01) within one minute.
    assert pacing.acquire(redis_client, CHANNEL, 1, 1, now=T0, member="a", hold=10) == 0
    assert pacing.acquire(redis_client, CHANNEL, 1, 1, now=T0 + 4, member="b", hold=10) > 0, "A is in flight"
    pacing.settle(redis_client, CHANNEL, "a", 1, 1, now=T0 + 5)
    assert pacing.acquire(redis_client, CHANNEL, 1, 1, now=T0 + 60.01, member="b", hold=10) == pytest.approx(5.0)
    assert pacing.acquire(redis_client, CHANNEL, 1, 1, now=T0 + 65.02, member="b", hold=10) == 0


def test_an_unanswered_call_counts_until_its_timeout_has_passed(redis_client):
    assert pacing.acquire(redis_client, CHANNEL, 1, 1, now=T0, member="a", hold=10) == 0
    assert pacing.acquire(redis_client, CHANNEL, 1, 1, now=T0 + 69.99) == pytest.approx(0.02)
    assert pacing.acquire(redis_client, CHANNEL, 1, 1, now=T0 + 70.02) == 0


def test_the_send_job_dates_its_grant_at_the_phones_answer(runtime, directory, fake_phone):
    [message_id] = queue_to_leaders(runtime, 1, Priority.BULK)
    before = time.time()
    assert send_message(message_id) == "sent"
    [(member, dated)] = runtime.redis.zrange(PACE_KEY + CHANNEL, 0, -1, withscores=True)
    assert member.decode().endswith(":1")
    assert before <= dated <= time.time(), "the grant is still dated at its timeout, as if never answered"
