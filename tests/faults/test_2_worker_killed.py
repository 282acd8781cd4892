"""Case 2: a broadcast to 1,000 with an RQ worker killed half-way (SIGKILL to its whole process group: the worker,
any job process and its scheduler) and restarted. Every message must reach the provider; a row stranded in
`sending` by the dead worker is re-queued by the sweeper after SEND_JOB_TIMEOUT + OUTBOX_STALE_SECONDS (60 + 2 s),
which may send it twice: at most one duplicate per kill.
"""

from __future__ import annotations

import time

import pytest
from rq.job import Job
from rq.serializers import JSONSerializer
from sqlalchemy import select

from gateway.models import Message, MessageStatus
from tests.faults import logscan
from tests.faults.population import add_leaders, outbound_statuses, queue_broadcast
from tests.faults.procs import wait_until
from tests.faults.providers import twilio_deliveries
from tests.faults.scale import count
from workers.queues import send_job_id

pytestmark = [pytest.mark.faults, pytest.mark.e2e]

CASE = 2
RECIPIENTS = count(1000, 1000)
KILLS = 1


def describe(runtime, ids) -> list[str]:
    """What became of undelivered rows: their state and that of their send job in RQ (for the failure message)."""
    out = []
    with runtime.db.transaction() as session:
        rows = session.scalars(select(Message).where(Message.id.in_(list(ids))).limit(5)).all()
        for row in rows:
            job_id = send_job_id(row.id, row.attempts)
            try:
                job = Job.fetch(job_id, connection=runtime.redis, serializer=JSONSerializer).get_status()
            except Exception as exc:  # noqa: BLE001 - no such job
                job = type(exc).__name__
            out.append(
                f"#{row.id} {row.status} attempts={row.attempts} next={row.next_attempt_at} "
                f"updated={row.updated_at:%H:%M:%S} job {job_id}: {job}"
            )
    return out


@pytest.mark.timeout(330)
def test_broadcast_survives_a_worker_killed_half_way(runtime, gateway, fake_twilio, row):
    """2. Broadcast to 1,000, worker SIGKILLed half-way and restarted."""
    contacts = add_leaders(runtime, CASE, RECIPIENTS)
    bodies = queue_broadcast(runtime, contacts, CASE)
    logscan.remember(phones=[c.phone for c in contacts], bodies=bodies.values())
    ids = set(bodies)
    row.set(sent=len(ids))
    delivered = lambda: twilio_deliveries(fake_twilio, ids)  # noqa: E731

    victim = gateway.worker()
    gateway.worker()
    assert wait_until(lambda: len(delivered()) >= RECIPIENTS // 2, timeout=120), "half the broadcast never went out"
    victim.kill()
    at_kill = len(delivered())
    stranded = outbound_statuses(runtime, ids)[MessageStatus.SENDING]
    gateway.worker()

    def settled() -> bool:
        """Every message delivered and recorded as sent."""
        statuses = outbound_statuses(runtime, ids)
        return len(delivered()) == len(ids) and statuses[MessageStatus.SENT] == len(ids)

    wait_until(settled, timeout=150, interval=1)
    time.sleep(2)  # a last duplicate in flight would land now
    counts = delivered()
    duplicates = sum(n - 1 for n in counts.values())
    lost = len(ids - set(counts))
    statuses = outbound_statuses(runtime, ids)
    row.set(
        stored=f"{len(counts):,} delivered (killed at {at_kill:,}; {stranded} left in sending)",
        duplicates=f"{duplicates} (≤ {KILLS} allowed)",
        lost=lost,
        five_xx="n/a",
    )
    assert lost == 0, f"{lost} messages never reached the provider: {describe(runtime, ids - set(counts))}"
    assert statuses[MessageStatus.SENT] == len(ids), f"rows not recorded as sent: {dict(statuses)}"
    assert duplicates <= KILLS, f"{duplicates} duplicate sends for {KILLS} kill(s): {counts.most_common(3)}"
