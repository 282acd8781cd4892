"""Case 3: Redis flushed (FLUSHDB of the test database: every queued job, the scheduler's registries and the
conversation state gone) half-way through a broadcast. The outbox rows are the truth: the sweeper re-enqueues what
is still `queued`, and the conditional claim keeps every message to one send (invariant 3)."""

from __future__ import annotations

import time

import pytest

from gateway.models import MessageStatus
from tests.faults import logscan
from tests.faults.population import add_leaders, outbound_statuses, queue_broadcast
from tests.faults.procs import wait_until
from tests.faults.providers import twilio_deliveries
from tests.faults.scale import count

pytestmark = [pytest.mark.faults, pytest.mark.e2e]

CASE = 3
RECIPIENTS = count(1000, 1000)


@pytest.mark.timeout(300)
def test_broadcast_survives_redis_flushed_half_way(runtime, gateway, fake_twilio, redis_client, row):
    """3. Broadcast to 1,000, Redis flushed half-way."""
    contacts = add_leaders(runtime, CASE, RECIPIENTS)
    bodies = queue_broadcast(runtime, contacts, CASE)
    logscan.remember(phones=[c.phone for c in contacts], bodies=bodies.values())
    ids = set(bodies)
    row.set(sent=len(ids))
    delivered = lambda: twilio_deliveries(fake_twilio, ids)  # noqa: E731

    workers = [gateway.worker(), gateway.worker()]
    assert wait_until(lambda: len(delivered()) >= RECIPIENTS // 2, timeout=120), "half the broadcast never went out"
    queued_jobs = redis_client.llen("rq:queue:gateway-bulk")
    redis_client.flushdb()
    at_flush = len(delivered())

    def settled() -> bool:
        """Every message delivered and recorded as sent."""
        return len(delivered()) == len(ids) and outbound_statuses(runtime, ids)[MessageStatus.SENT] == len(ids)

    wait_until(settled, timeout=150, interval=1)
    time.sleep(3)  # a late second send would land now
    counts = delivered()
    duplicates = sum(n - 1 for n in counts.values())
    lost = len(ids - set(counts))
    statuses = outbound_statuses(runtime, ids)
    row.set(
        stored=f"{len(counts):,} delivered (flushed at {at_flush:,} with {queued_jobs:,} jobs queued)",
        duplicates=duplicates,
        lost=lost,
        five_xx="n/a",
    )
    assert all(w.popen.poll() is None for w in workers), "a worker died when Redis was flushed"
    assert lost == 0, f"{lost} messages never reached the provider; statuses: {dict(statuses)}"
    assert statuses[MessageStatus.SENT] == len(ids), f"rows not recorded as sent: {dict(statuses)}"
    assert duplicates == 0, f"{duplicates} messages sent twice: {counts.most_common(3)}"
