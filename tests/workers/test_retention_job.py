"""The daily retention purge: run by the workers' sweep, once a day however many workers sweep."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from gateway.models import AuditEntry, Message, utcnow
from tests.gateway.retention.aged_rows import seed
from workers.retention import RETENTION_DONE_KEY, daily_purge
from workers.worker import run_worker


def purge_rows(runtime) -> list[dict]:
    with runtime.db.sessions() as session:
        rows = session.scalars(select(AuditEntry).where(AuditEntry.action == "purge").order_by(AuditEntry.id))
        return [{"actor": r.actor, **json.loads(r.detail)} for r in rows]


def purged(runtime, message_id: int) -> bool:
    with runtime.db.sessions() as session:
        message = session.get(Message, message_id)
        return message.purged_at is not None and message.body is None


@pytest.mark.slow
def test_two_workers_purge_once_a_day(runtime, directory, start_process):
    with runtime.db.transaction() as session:
        old, stranger = seed(session, "old", "in", 200, True), seed(session, "stranger", "in", 40, False)
    workers = [start_process("worker", "--burst") for _ in range(2)]  # both sweep as they start
    for worker in workers:
        assert worker.popen.wait(timeout=60) == 0, worker.output()
    assert purged(runtime, old) and purged(runtime, stranger)
    [row] = purge_rows(runtime)
    assert (row["actor"], row["messages"], row["unknown_messages"], row["complete"]) == ("system", 1, 1, True)

    with runtime.db.transaction() as session:
        later = seed(session, "aged since", "in", 200, True)
    run_worker(runtime, burst=True)  # a third sweep the same day: today's purge is done
    assert not purged(runtime, later) and len(purge_rows(runtime)) == 1
    assert daily_purge(runtime, now=utcnow() + timedelta(days=1)) is not None  # the next day's
    assert purged(runtime, later) and [r["messages"] for r in purge_rows(runtime)] == [1, 1]


def test_a_purge_run_twice_the_same_day_is_harmless(runtime, directory, redis_client):
    with runtime.db.transaction() as session:
        old = seed(session, "old", "in", 200, True)
    assert daily_purge(runtime).counts["messages"] == 1 and purged(runtime, old)
    assert daily_purge(runtime) is None, "claimed once a day"
    for key in redis_client.keys(RETENTION_DONE_KEY + "*"):
        redis_client.delete(key)  # Redis lost the day's mark
    again = daily_purge(runtime)
    assert again.total == 0 and len(purge_rows(runtime)) == 1, "nothing purged twice, no empty audit row"


def test_a_capped_run_is_finished_by_the_next_sweep(runtime, directory, monkeypatch):
    monkeypatch.setattr("workers.retention.DAILY_MAX_BATCHES", 1)
    monkeypatch.setattr("gateway.retention.purge.PURGE_BATCH", 2)
    with runtime.db.transaction() as session:
        ids = [seed(session, f"old {i}", "in", 200, True) for i in range(3)]
    first = daily_purge(runtime)
    assert (first.counts["messages"], first.complete) == (2, False)
    second = daily_purge(runtime)
    assert (second.counts["messages"], second.complete) == (1, True)
    assert all(purged(runtime, i) for i in ids) and daily_purge(runtime) is None
