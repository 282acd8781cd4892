"""Temporary throughput probe."""

import time

import pytest

from tests.faults.population import add_leaders, outbound_statuses, queue_broadcast
from tests.faults.providers import twilio_deliveries

import os
N = int(os.environ.get("N", 300))
W = int(os.environ.get("W", 2))
pytestmark = [pytest.mark.faults, pytest.mark.e2e]


@pytest.mark.timeout(300)
def test_probe(runtime, gateway, fake_twilio, row):
    """probe"""
    contacts = add_leaders(runtime, 0, N)
    t0 = time.monotonic()
    bodies = queue_broadcast(runtime, contacts, 0)
    print("queued in", time.monotonic() - t0)
    ids = set(bodies)
    for _ in range(W):
        gateway.worker(extra_env={k: v for k, v in os.environ.items() if k in ('SWEEP_INTERVAL_SECONDS', 'OUTBOX_STALE_SECONDS')})
    t0 = time.monotonic()
    while time.monotonic() - t0 < 120:
        n = len(twilio_deliveries(fake_twilio, ids))
        print(f"{time.monotonic() - t0:5.1f}s delivered {n} {dict(outbound_statuses(runtime, ids))}")
        if n == N:
            break
        time.sleep(2)
