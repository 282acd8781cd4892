"""Real processes for tests: the environment of a gateway subprocess, the subprocess itself (stopped at teardown),
the `start_process` and `net_log` fixtures (re-exported by tests/conftest.py) and `wait_for`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests import netguard

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def net_log(tmp_path_factory) -> Path:
    """File where subprocesses record blocked connection attempts."""
    path = tmp_path_factory.mktemp("net") / "attempts.log"
    path.touch()
    os.environ[netguard.LOG_ENV] = str(path)
    return path


def subprocess_env(env: dict[str, str], net_log: Path) -> dict[str, str]:
    """The environment for a gateway subprocess: the test settings plus the network guard."""
    out = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "TELEGRAM_", "ANDROID_"))}
    out.update(env)
    out["PYTHONPATH"] = os.pathsep.join([str(ROOT / "tests" / "sitecustomize"), str(ROOT)])
    out[netguard.LOG_ENV] = str(net_log)
    return out


class Process:
    """A gateway subprocess whose output goes to a file, stopped at teardown."""

    def __init__(self, args: list[str], env: dict[str, str], log_path: Path) -> None:
        self.log_path = log_path
        self.log_file = open(log_path, "ab")
        self.popen = subprocess.Popen(
            [sys.executable, "-m", "gateway", *args],
            env=env,
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so teardown can reap whatever it forked
        )

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15) -> int:
        """Stop the process and wait for it."""
        if self.popen.poll() is None:
            self.popen.send_signal(sig)
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        try:
            os.killpg(self.popen.pid, signal.SIGKILL)  # leftovers only (e.g. a child of a SIGKILLed process)
        except (ProcessLookupError, PermissionError):
            pass
        self.log_file.close()
        return self.popen.returncode

    def output(self) -> str:
        """Everything the process printed so far (also after it stopped)."""
        if not self.log_file.closed:
            self.log_file.flush()
        return self.log_path.read_text(encoding="utf-8", errors="replace")


@pytest.fixture
def start_process(env, net_log, tmp_path):
    """Start `gateway <args>` as a real subprocess; every one started is stopped at teardown."""
    started: list[Process] = []

    def start(*args: str, extra_env: dict[str, str] | None = None) -> Process:
        proc_env = subprocess_env({**env, **(extra_env or {})}, net_log)
        process = Process(list(args), proc_env, tmp_path / f"proc-{len(started)}-{args[0]}.log")
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()


def wait_for(predicate, timeout: float = 20.0, interval: float = 0.1, message: str = "condition"):
    """Poll until `predicate()` is truthy, or fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout}s waiting for {message}")
