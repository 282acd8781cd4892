"""Real gateway processes for the fault suite: each in its own process group, so that a kill reaches its children
(gunicorn's workers, RQ's work-horse and scheduler); their output is kept for the log scan of case 7."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.processes import subprocess_env, wait_for

# No proxy: requests must go straight to 127.0.0.1 whatever the environment says.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def free_port() -> int:
    """A TCP port of 127.0.0.1 nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_status(url: str, timeout: float = 5) -> int | None:
    """The status of a GET, None when nothing answers."""
    try:
        with OPENER.open(url, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return None


class GatewayProcess:
    """`python -m gateway <args>` in a new session (process group); output to a file."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], log_path: Path) -> None:
        """Start the process now."""
        self.name = name
        self.kept = False  # its output went to the log corpus
        self.log_path = log_path
        self._log = open(log_path, "ab")
        self.popen = subprocess.Popen(
            [sys.executable, "-m", "gateway", *args],
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill(self) -> None:
        """SIGKILL the whole process group at once: the process and every child it forked."""
        try:
            os.killpg(self.popen.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.popen.wait(timeout=10)

    def stop(self, timeout: float = 10) -> None:
        """SIGTERM the process, wait, then SIGKILL whatever is left of its group."""
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.popen.pid, signal.SIGKILL)  # leftovers only: the group is ours alone
        except (ProcessLookupError, PermissionError):
            pass
        self.popen.wait(timeout=10)
        if not self._log.closed:
            self._log.close()

    def output(self) -> str:
        """Everything the process printed so far."""
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(encoding="utf-8", errors="replace")


class Gateway:
    """Starts the web app (gunicorn) and RQ workers of one test; all stopped, and their output kept, at teardown."""

    def __init__(self, env: dict[str, str], net_log: Path, folder: Path, corpus: list) -> None:
        """Nothing started yet."""
        self.env, self.net_log, self.folder, self.corpus = env, net_log, folder, corpus
        self.started: list[GatewayProcess] = []
        self.web_url: str | None = None

    def start(self, *args: str, extra_env: dict[str, str] | None = None) -> GatewayProcess:
        """Start one gateway process."""
        env = subprocess_env({**self.env, **(extra_env or {})}, self.net_log)
        name = f"{len(self.started)}-{args[0]}"
        process = GatewayProcess(name, list(args), env, self.folder / f"proc-{name}.log")
        self.started.append(process)
        return process

    def web(self, workers: int = 2, extra_env: dict[str, str] | None = None) -> str:
        """Start `gateway web` under gunicorn on a free port; its base URL once /readyz answers 200."""
        port = free_port()
        process = self.start(
            "web", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers), extra_env=extra_env
        )
        self.web_url = f"http://127.0.0.1:{port}"
        wait_for(
            lambda: http_status(self.web_url + "/readyz") == 200 or process.popen.poll() is not None,
            timeout=60,
            message="gateway web to be ready",
        )
        assert process.popen.poll() is None, process.output()[-3000:]
        return self.web_url

    def worker(self, extra_env: dict[str, str] | None = None) -> GatewayProcess:
        """Start one `gateway worker` (RQ worker with its scheduler and the sweeps)."""
        return self.start("worker", extra_env=extra_env)

    def close(self) -> None:
        """Stop every process and keep its output for the log scan (once per process)."""
        for process in self.started:
            if process.popen.returncode is None or not process.kept:
                process.stop()
            if not process.kept:
                self.corpus.append((process.name, process.output()))
                process.kept = True


def wait_until(predicate, timeout: float, interval: float = 0.25) -> bool:
    """Poll `predicate` until true or `timeout` seconds pass; whether it became true (no failure)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())
