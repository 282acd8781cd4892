"""Temporary throughput probe."""

import time

import pytest

from tests.faults.population import add_leaders, outbound_statuses, queue_broadcast
from tests.faults.providers import twilio_deliveries

pytestmark = [pytest.mark.faults, pytest.mark.e2e]


@pytest.mark.timeout(300)
def test_probe(runtime, gateway, fake_twilio, row):
    """probe"""
    contacts = add_leaders(runtime, 0, 1000)
    t0 = time.monotonic()
    bodies = queue_broadcast(runtime, contacts, 0)
    print("queued in", time.monotonic() - t0)
    ids = set(bodies)
    gateway.worker()
    gateway.worker()
    t0 = time.monotonic()
    while time.monotonic() - t0 < 120:
        n = len(twilio_deliveries(fake_twilio, ids))
        print(f"{time.monotonic() - t0:5.1f}s delivered {n} {dict(outbound_statuses(runtime, ids))}")
        if n == 1000:
            break
        time.sleep(5)
    print(gateway.started[0].output()[-3000:])
