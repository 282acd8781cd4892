"""Issue 19's "done when" for the local-SIM phone, with real processes: a leader's SMS the phone received while the
gateway was down for an hour (its webhook ran out of retries; the app recorded it, so its refresh does not re-send
it) reaches the desk (stored from the phone's inbox list, handled: an alert) after `gateway android recover`, and
by itself when a worker starts after the outage; a second recovery stores nothing twice."""

from __future__ import annotations

import socket
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from gateway.cli import main
from gateway.models import Alert, Direction, Message
from gateway.observability.readings import record_sweep
from tests.processes import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("restore_logging")]

LEADER = "+22371139685"  # Mamadou Dembélé, leader at Kotaka (MOPTI)
REPORT = "ALERTE 3 les jeunes et les gendarmes s'affrontent au marché"
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


PORT = _free_port()
BASE = f"http://127.0.0.1:{PORT}"


@pytest.fixture
def env(base_env, fake_phone) -> dict[str, str]:
    """The fake phone as SMS channel; the gateway's public URL is its web process on 127.0.0.1 (the phone's rule)."""
    return {**base_env, **fake_phone.env(), "PUBLIC_BASE_URL": BASE}


def _answers(url: str) -> bool:
    try:
        with _OPENER.open(url, timeout=5) as response:
            return response.status == 200
    except OSError:
        return False


def gateway(env, *args: str):
    """`gateway …` in this process; must succeed."""
    result = CliRunner().invoke(main, list(args), env=env)
    assert result.exit_code == 0, result.output
    return result


def missed_while_down(fake_phone) -> None:
    """The phone gets the leader's SMS an hour ago; its webhook finds nobody (the web is not started yet)."""
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    missed = fake_phone.inject_inbound(f"{BASE}/webhooks/android", LEADER, REPORT, an_hour_ago, retries=2)
    assert missed.status == 0


def on_the_desk(runtime) -> list[tuple[str, int | None, bool]]:
    """Inbound rows: (body, alert id, handled)."""
    with runtime.db.transaction() as session:
        rows = session.scalars(select(Message).where(Message.direction == Direction.IN)).all()
        return [(m.body, m.alert_id, m.processed_at is not None) for m in rows]


def test_recover_brings_the_missed_alert_to_the_desk_once(env, runtime, directory, fake_phone, start_process):
    gateway(env, "android", "register-webhooks")
    missed_while_down(fake_phone)
    start_process("web", "--port", str(PORT))
    wait_for(lambda: _answers(BASE + "/healthz"), timeout=60, message="the web to answer")
    start_process("worker")
    assert on_the_desk(runtime) == []

    gateway(env, "android", "recover", "--since", "2h")
    wait_for(lambda: on_the_desk(runtime) and on_the_desk(runtime)[0][2], timeout=30, message="the SMS handled")
    [(body, alert_id, _)] = on_the_desk(runtime)
    with runtime.db.transaction() as session:
        alert = session.get(Alert, alert_id)
        assert body == REPORT and alert.severity == 3 and alert.channel == "android"

    again = gateway(env, "android", "recover", "--since", "2h")
    assert "lists 1 SMS since then: 0 missing here" in again.output
    assert sum(d.status == 200 for d in fake_phone.deliveries) == 0, "the app (v1.68) re-sent nothing it recorded"
    assert len(on_the_desk(runtime)) == 1
    with runtime.db.transaction() as session:
        assert len(session.scalars(select(Alert)).all()) == 1


def test_a_worker_starting_after_an_hour_away_recovers_by_itself(env, runtime, directory, fake_phone, start_process,
                                                                  redis_client):  # fmt: skip
    gateway(env, "android", "register-webhooks")
    missed_while_down(fake_phone)
    record_sweep(redis_client, datetime.now(UTC).timestamp() - 3600)  # the last heartbeat before the outage
    start_process("web", "--port", str(PORT))
    wait_for(lambda: _answers(BASE + "/healthz"), timeout=60, message="the web to answer")
    start_process("worker")
    wait_for(lambda: on_the_desk(runtime) and on_the_desk(runtime)[0][2], timeout=60, message="the SMS handled")
    [(body, alert_id, _)] = on_the_desk(runtime)
    assert body == REPORT and alert_id is not None
    assert [r.path for r in fake_phone.requests if r.path.startswith("/inbox")] == ["/inbox/refresh", "/inbox"]
