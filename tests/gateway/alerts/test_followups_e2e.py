"""Follow-ups against the clock: a real worker process (RQ's scheduler fires the questions) with a two-second
FOLLOWUP_AFTER_SECONDS asks the reporter of a tension on the console channel, and asks again after the answer "2"."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bots.console import read_console_outbox
from gateway.models import Followup
from tests.chat import Chat
from tests.processes import wait_for

pytestmark = pytest.mark.e2e
LEADER = "+22371139685"  # Mamadou Dembélé, leader at Konna/Kotaka (MOPTI)
QUESTION = "#1 Konna: la situation? 1 calme 2 tendue 3 pire"
SHORT = {"FOLLOWUP_AFTER_SECONDS": "2", "QUIET_HOURS": ""}


@pytest.fixture
def env(base_env) -> dict[str, str]:
    """Two-second follow-ups, for this process (which plans them) and the worker (which asks) alike."""
    return {**base_env, **SHORT}


def asked(redis_client) -> list[str]:
    """The follow-up questions the console channel delivered to the reporter."""
    return [m["text"] for m in read_console_outbox(redis_client) if m["address"] == LEADER and m["text"] == QUESTION]


def test_the_worker_asks_and_asks_again_after_a_tense_answer(runtime, directory, redis_client, start_process):
    worker = start_process("worker", extra_env=SHORT)
    reporter = Chat(runtime, LEADER)
    reporter.send("ALERTE 2 les jeunes se disputent au puits")
    wait_for(lambda: len(asked(redis_client)) == 1, timeout=15, message=f"the first question\n{worker.output()}")
    reporter.replies()
    assert any("toujours tendue" in reply for reply in reporter.send("2"))
    wait_for(lambda: len(asked(redis_client)) == 2, timeout=15, message=f"the second question\n{worker.output()}")
    with runtime.db.transaction() as session:
        followup = session.scalars(select(Followup)).one()
        assert (followup.asks, followup.closed) == (2, False) and followup.waiting_since is not None
    assert "Traceback" not in worker.output()
