"""A gateway with no SMS channel says so when it starts: `gateway run`, `gateway web` and `gateway worker` each print
one warning line naming what to set (issue 13, point 6), and the web still becomes ready (Telegram-only is allowed).
"""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request

import pytest

from tests.processes import wait_for

pytestmark = pytest.mark.e2e

_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # straight to 127.0.0.1


def _free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _readyz(base: str) -> tuple[int, dict] | None:
    """Status and body of /readyz, or None while nothing answers."""
    try:
        with _OPENER.open(base + "/readyz", timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")
    except (OSError, ValueError):
        return None


STARTS = [
    ("web", False, 1),
    ("worker", False, 1),
    ("run", False, 1),  # once, not once more by each of its web and worker
    ("web", True, 0),
    ("worker", True, 0),
]


@pytest.mark.parametrize(
    ("command", "console", "warnings"), STARTS, ids=[f"{c} {'console' if on else 'no SMS'}" for c, on, _ in STARTS]
)
def test_start_up_warns_when_no_channel_carries_sms(start_process, command, console, warnings):
    extra = {"GATEWAY_CONSOLE_CHANNEL": "1" if console else ""}
    if command == "worker":
        process = start_process("worker", "--burst", extra_env=extra)
        wait_for(lambda: process.popen.poll() is not None, timeout=60, message="the burst worker to finish")
        assert process.popen.returncode == 0
    else:
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        process = start_process(command, "--port", str(port), extra_env=extra)
        status, body = wait_for(lambda: _readyz(base), timeout=60, message=f"gateway {command} to answer /readyz")
        assert status == 200 and body["status"] == "ready", "no SMS channel does not make the web unready"
        assert ("warning" in body) is not console
        process.stop()
    lines = [line for line in process.output().splitlines() if "SMS channel" in line]
    assert len(lines) == warnings, lines
    for line in lines:
        assert line.startswith("warning: no SMS channel") and "TWILIO_ACCOUNT_SID" in line
        assert "SMS_CHANNEL=android" in line
    assert "Traceback" not in process.output()
