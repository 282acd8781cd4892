"""Multiprocess mode: counts made in separate processes (gunicorn's workers, RQ workers) add up in one scrape of
any process, the shared directory is private, and a start of the whole gateway wipes the last run's counts."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlencode

import pytest
import requests
from twilio.request_validator import RequestValidator

from gateway.observability import multiproc
from tests.fakes.twilio_api import FROM_NUMBER, PUBLIC_BASE_URL
from tests.gateway.alerts.desk_helpers import LEADER
from tests.gateway.observability.scrape import scrape, value
from tests.processes import wait_for

ROOT = Path(__file__).resolve().parents[3]
# A process of the gateway: prepares the directory as the app factory and the worker command do, then counts.
COUNTING = """
import sys
from pathlib import Path
from gateway.observability import multiproc
multiproc.prepare(Path(sys.argv[1]))
from gateway.observability.metrics import count_send, count_webhook
for _ in range(int(sys.argv[2])):
    count_webhook("twilio", "sms", 200)
count_send("twilio", "sent", None, 0.2)
"""

pytestmark = pytest.mark.slow


def count_in_a_process(instance: Path, webhooks: int) -> None:
    """Run one real process that counts `webhooks` webhooks and one send, and wait for it."""
    env = {k: v for k, v in os.environ.items() if k != multiproc.ENV}
    env["PYTHONPATH"] = str(ROOT)
    subprocess.run([sys.executable, "-c", COUNTING, str(instance), str(webhooks)], env=env, check=True, timeout=60)


@pytest.fixture
def shared_dir(tmp_path, monkeypatch) -> Path:
    """The metrics directory of an instance folder, in force for this test's scrapes."""
    path = tmp_path / "instance" / multiproc.DEFAULT_FOLDER
    monkeypatch.setenv(multiproc.ENV, str(path))
    return path


def test_two_processes_add_up_in_one_scrape(client, tmp_path, shared_dir):
    count_in_a_process(tmp_path / "instance", 3)
    count_in_a_process(tmp_path / "instance", 4)
    assert len(list(shared_dir.glob("counter_*.db"))) == 2  # one file per process
    assert stat.S_IMODE(shared_dir.stat().st_mode) == 0o700
    text = scrape(client)
    assert value(text, "gateway_webhooks_total", channel="twilio", route="sms", status="200") == 7
    assert value(text, "gateway_send_attempts_total", channel="twilio", outcome="sent") == 2
    assert value(text, "gateway_send_seconds_count", channel="twilio") == 2
    assert "gateway_outbox_messages" in text  # the scrape-time gauges come along

    multiproc.prepare(tmp_path / "instance", wipe=True)  # `gateway run` / `gateway web` starting again
    assert list(shared_dir.glob("*.db")) == []
    assert value(scrape(client), "gateway_webhooks_total") == 0


def test_gateway_run_web_and_worker_processes_add_up(start_process, directory, fake_twilio, env, tmp_path):
    """`gateway run`: inbound counted by a gunicorn worker, sends counted by the RQ worker, one scrape shows both;
    the counts of a previous run are wiped at the start."""
    stale = Path(env["GATEWAY_INSTANCE_PATH"]) / multiproc.DEFAULT_FOLDER / "counter_999999.db"
    stale.parent.mkdir(parents=True, exist_ok=True)
    stale.write_bytes(b"left by an earlier run")
    port = free_port()
    process = start_process("run", "--port", str(port), extra_env=fake_twilio.env())
    http = requests.Session()
    http.trust_env = False  # straight to 127.0.0.1, whatever proxy the environment names
    base = f"http://127.0.0.1:{port}"
    wait_for(lambda: _answers(http, base + "/readyz"), timeout=60, message="gateway run to answer")
    assert not stale.exists()
    for n in range(3):
        form = {"MessageSid": f"SM{n:032d}", "AccountSid": fake_twilio.account_sid, "From": LEADER,
                "To": FROM_NUMBER, "Body": f"Bonjour {n}"}  # fmt: skip
        signature = RequestValidator(fake_twilio.auth_token).compute_signature(
            PUBLIC_BASE_URL + "/webhooks/twilio/sms", form
        )
        response = http.post(base + "/webhooks/twilio/sms", data=urlencode(form), timeout=10,
                             headers={"X-Twilio-Signature": signature,
                                      "Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
        assert response.status_code == 200, process.output()
    sent = wait_for(lambda: len(fake_twilio.sids) >= 3 and fake_twilio.sids, timeout=60, message="three replies")
    text = wait_for(
        lambda: (
            (t := http.get(base + "/metrics", timeout=10).text)
            and value(t, "gateway_send_attempts_total", channel="twilio", outcome="sent") >= len(sent)
            and t
        ),
        timeout=30,
        message="the worker's sends in the web's scrape",
    )
    assert value(text, "gateway_inbound_messages_total", channel="twilio", outcome="stored") == 3
    assert value(text, "gateway_webhooks_total", channel="twilio", route="sms", status="200") == 3
    # Every send the fake accepted was counted by the worker (it may have sent more since the scrape).
    assert len(sent) <= value(text, "gateway_send_attempts_total", channel="twilio", outcome="sent")
    assert value(text, "gateway_send_attempts_total", channel="twilio", outcome="sent") <= len(fake_twilio.sids)


def _answers(http, url: str) -> bool:
    try:
        return http.get(url, timeout=5).status_code == 200
    except OSError:
        return False


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
