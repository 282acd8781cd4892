"""`GET /api/v1/health`: the same numbers as the console's panel, for every role's token, none without one; no
address and no body in it."""

from __future__ import annotations

import pytest

from gateway.messaging.outbox import queue_message
from gateway.models import Priority
from tests.gateway.api.conftest import assert_error
from tests.staff_users import ROLES
from workers.outbound import send_message

LEADER = "+22371139685"
BODY = "Reunion secrete demain"


@pytest.fixture
def env(base_env, fake_phone) -> dict[str, str]:
    """The fake Android phone carries SMS."""
    return {**base_env, **fake_phone.env()}


@pytest.mark.parametrize("who", sorted(ROLES))
def test_every_role_reads_the_health_without_addresses_or_bodies(runtime, api, who):
    with runtime.db.transaction() as db:
        sent = queue_message(db, runtime, body=BODY, channel="android", address=LEADER).id
        queue_message(db, runtime, body=BODY, channel="android", address=LEADER, priority=Priority.BULK)
    assert send_message(sent) == "sent"
    answer = api("GET", "/health", who)
    assert answer.status_code == 200
    body = answer.get_json()
    android = next(c for c in body["channels"] if c["code"] == "android")
    assert android["state"] == "reachable" and android["last_out_at"] and android["queued"] == 1
    assert {q["name"]: q["queued_rows"] for q in body["queues"]} == {"urgent": 0, "bulk": 1}
    assert body["pace"]["used"] == 1 and body["pace"]["remaining"] == body["pace"]["limit"] - 1
    assert LEADER not in answer.get_data(as_text=True) and BODY not in answer.get_data(as_text=True)


def test_no_token_no_health(api):
    assert_error(api("GET", "/health"), 401, "unauthorized")
