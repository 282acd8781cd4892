"""Case 8: slow clients. The web started exactly as the Procfile says (gunicorn with gateway/web/webserver.py's
settings) holds dozens of half-sent requests open; /healthz and a signed Twilio webhook still answer before the
server drops the stalled clients, and it does drop them (their threads come back). With sync workers two such
sockets made /healthz wait ~31 s."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import time

import pytest
from sqlalchemy import func, select

from gateway.models import Message
from gateway.web.webserver import READ_TIMEOUT_SECONDS
from tests.faults import logscan
from tests.faults.procs import free_port, http_status
from tests.faults.providers import http_session, inbound_form, post_sms
from tests.processes import ROOT, subprocess_env, wait_for

pytestmark = [pytest.mark.faults, pytest.mark.e2e]

SLOW_IN_HEADERS = 14  # request line and one header, then nothing
SLOW_IN_BODY = 14  # headers announcing 1,000 bytes, then 5 of them
WEB_WORKERS = 2
# 28 stalled clients fit in ONE worker's threads (gateway.web.webserver.threads = 32) with room for the two checks,
# however unevenly gunicorn's workers share the accepted connections; more than that is the buffering proxy's job.


def procfile_web() -> str:
    """The Procfile's `web:` command line."""
    text = (ROOT / "Procfile").read_text(encoding="utf-8")
    return re.search(r"^web:\s*(.+)$", text, re.M).group(1)


def half_sent(port: int, in_body: bool) -> socket.socket:
    """A connection that sends part of a webhook request and stalls."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    head = b"POST /webhooks/twilio/sms HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    if in_body:
        # A signature header (any value): checking it needs the form, so the server must read the stalled body.
        # Without one the request is refused on its headers at once and never holds a thread.
        head += b"X-Twilio-Signature: c2xvdw==\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        head += b"Content-Length: 1000\r\n\r\nFrom="
    sock.sendall(head)
    return sock


def dropped(sock: socket.socket) -> bool:
    """Whether the server answered or closed a stalled connection (it no longer holds a thread for it)."""
    sock.settimeout(0.05)
    try:
        sock.recv(4096)
        return True  # an answer (400) or EOF
    except TimeoutError:
        return False
    except OSError:
        return True  # reset


@pytest.fixture
def procfile_web_process(env, net_log, tmp_path):
    """`web:` of the Procfile, run by a shell as a Procfile host does, in its own process group; output kept."""
    port = free_port()
    process_env = subprocess_env({**env, "PORT": str(port), "WEB_CONCURRENCY": str(WEB_WORKERS)}, net_log)
    log_path = tmp_path / "procfile-web.log"
    with open(log_path, "wb") as log:
        popen = subprocess.Popen(
            ["bash", "-c", "exec " + procfile_web()],
            env=process_env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(
            lambda: http_status(base + "/readyz") == 200 or popen.poll() is not None, timeout=60, message="web ready"
        )
        assert popen.poll() is None, log_path.read_text(errors="replace")[-3000:]
        yield port, base, log_path
    finally:
        if popen.poll() is None:
            os.killpg(popen.pid, 15)
            try:
                popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(popen.pid, 9)
                popen.wait(timeout=10)
        logscan.LOGS.append(("procfile-web", log_path.read_text(encoding="utf-8", errors="replace")))


def timed(call):
    """(result, seconds) of a call."""
    start = time.monotonic()
    result = call()
    return result, time.monotonic() - start


@pytest.mark.timeout(60)
def test_web_answers_while_slow_clients_stall(runtime, procfile_web_process, fake_twilio, row):
    """8. Slow clients: dozens of half-sent requests against the Procfile's web."""
    port, base, log_path = procfile_web_process
    slow = [half_sent(port, in_body=i % 2 == 1) for i in range(SLOW_IN_HEADERS + SLOW_IN_BODY)]
    opened = time.monotonic()
    time.sleep(0.5)  # every stalled request has reached a worker
    session = http_session()
    # Bound: an answer before the server gives up on the stalled clients, never a tight timing.
    health, health_s = timed(lambda: session.get(base + "/healthz", timeout=READ_TIMEOUT_SECONDS))
    form = inbound_form(fake_twilio.account_sid, "+22370001234", "Tension au marche de Sofara")
    webhook, webhook_s = timed(
        lambda: post_sms(session, base, fake_twilio.auth_token, form, timeout=READ_TIMEOUT_SECONDS)
    )
    held_meanwhile = sum(not dropped(sock) for sock in slow)
    # The server drops stalled clients after its read timeout: their threads are free again.
    wait_for(lambda: all(dropped(sock) for sock in slow), timeout=READ_TIMEOUT_SECONDS + 15, message="slow dropped")
    dropped_after = time.monotonic() - opened
    for sock in slow:
        sock.close()
    after = http_status(base + "/healthz")
    with runtime.db.transaction() as db:
        stored = db.scalar(select(func.count()).select_from(Message).where(Message.direction == "in"))
    output = log_path.read_text(encoding="utf-8", errors="replace")

    row.set(
        sent=f"{len(slow)} half-sent requests held open ({SLOW_IN_HEADERS} in headers, {SLOW_IN_BODY} in body), "
        "/healthz + 1 signed SMS webhook",
        stored=f"/healthz {health.status_code} in {health_s:.2f} s, webhook {webhook.status_code} in "
        f"{webhook_s:.2f} s, {stored} stored",
        duplicates="n/a",
        lost=f"stalled clients dropped after {dropped_after:.0f} s (read timeout {READ_TIMEOUT_SECONDS} s)",
        five_xx=sum(r.status_code >= 500 for r in (health, webhook)),
    )
    assert health.status_code == 200
    assert webhook.status_code == 200 and stored == 1
    assert held_meanwhile == len(slow), "the stalled clients were dropped before the checks: the bound proves nothing"
    assert after == 200
    assert "Traceback" not in output and "WORKER TIMEOUT" not in output, output[-3000:]
