"""Cases 10 and 11: private servers that a case may freeze (SIGSTOP: the kernel still accepts connections and
acknowledges what is written, nothing answers), webhooks timed one by one, and the counts both cases make."""

from __future__ import annotations

import glob
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import redis
import requests
from sqlalchemy import select

from gateway.models import Direction, Message
from tests.faults.population import inbound_rows
from tests.faults.procs import free_port, wait_until
from tests.faults.providers import http_session, post_sms, twilio_deliveries
from tests.processes import wait_for

ANSWER_WITHIN_SECONDS = 2.0


def _signal_all(pids: list[int], sig: int) -> None:
    for pid in pids:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


class PrivateRedis:
    """A redis-server of this case alone, on a free port in a temporary folder (never the shared one)."""

    def __init__(self, folder: Path) -> None:
        """Start it and wait until it answers."""
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        args = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(folder)]
        args += ["--save", "", "--appendonly", "no"]
        self.popen = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis.from_url(self.url, socket_timeout=1)
        wait_for(lambda: _answers(client), timeout=20, message="the private redis-server")
        client.close()

    def freeze(self) -> None:
        """SIGSTOP the server."""
        _signal_all([self.popen.pid], signal.SIGSTOP)

    def thaw(self) -> None:
        """SIGCONT the server."""
        _signal_all([self.popen.pid], signal.SIGCONT)

    def stop(self) -> None:
        """Thaw (a stopped process ignores SIGTERM until then), terminate, wait."""
        self.thaw()
        self.popen.terminate()
        try:
            self.popen.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait(timeout=10)


def _answers(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False


class PrivatePostgres:
    """A PostgreSQL cluster of this case alone (initdb as the `postgres` user when run as root), on a free port with
    its socket in its own folder: freezing it touches nobody else's tests."""

    def __init__(self) -> None:
        """initdb, start, and wait until it accepts connections."""
        [bindir] = sorted(glob.glob("/usr/lib/postgresql/*/bin"))[-1:] or [""]
        self.bindir = Path(bindir) if bindir else Path(os.path.dirname(shutil.which("pg_ctl") or "pg_ctl"))
        self.folder = Path(tempfile.mkdtemp(prefix="gateway-pg-"))
        self.data = self.folder / "data"
        self.port = free_port()
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_user:
            shutil.chown(self.folder, "postgres")
        initdb = [str(self.bindir / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8"]
        self._run(*initdb, "--no-sync")
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1"
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.folder / "log"),
                  "-w", "start")  # fmt: skip
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        subprocess.run([*self.as_user, *args], check=True, capture_output=True, timeout=120)

    def pids(self) -> list[int]:
        """The postmaster and every process it forked (backends, checkpointer, walwriter...)."""
        postmaster = int((self.data / "postmaster.pid").read_text().split()[0])
        children = []
        for stat in glob.glob("/proc/[0-9]*/stat"):
            try:
                fields = Path(stat).read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == postmaster:
                children.append(int(Path(stat).parent.name))
        return [postmaster, *children]

    def freeze(self) -> None:
        """SIGSTOP the whole cluster."""
        self.frozen = self.pids()
        _signal_all(self.frozen, signal.SIGSTOP)

    def thaw(self) -> None:
        """SIGCONT every process frozen."""
        _signal_all(getattr(self, "frozen", []), signal.SIGCONT)

    def stop(self) -> None:
        """Thaw, stop immediately, remove the folder."""
        self.thaw()
        try:
            self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


def worker_serving(process) -> None:
    """Wait until a `gateway worker` listens on its queues with its scheduler started: a freeze during its start-up
    (before RQ's loop, which waits for Redis) makes it exit, for its supervisor to restart."""
    started = ("Listening on", "Scheduler for")
    wait_for(lambda: all(s in process.output() for s in started) or process.popen.poll() is not None, timeout=60,
             message="the worker to serve")  # fmt: skip
    assert process.popen.poll() is None, process.output()[-2000:]


@dataclass
class Answer:
    """One webhook as the provider saw it: the status (or "timeout") and how long it waited."""

    status: int | str
    seconds: float


def deliver_spread(base: str, token: str, forms: list[dict], start: float, spread: float) -> list[Answer]:
    """POST every form once (Twilio never retries an SMS webhook), spread evenly over `spread` seconds from the
    monotonic `start`, each in its own thread as Twilio's parallel deliveries are; each answer timed."""
    session = http_session()

    def deliver(index: int) -> Answer:
        time.sleep(max(start + index * spread / len(forms) - time.monotonic(), 0))
        began = time.monotonic()
        try:
            status = post_sms(session, base, token, forms[index]).status_code
        except requests.RequestException:
            status = "timeout"
        return Answer(status, time.monotonic() - began)

    with ThreadPoolExecutor(max_workers=len(forms)) as pool:
        return list(pool.map(deliver, range(len(forms))))


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (share 0.99: p99)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(share * len(ordered))) - 1))]


@dataclass
class Outcome:
    """What a freeze case counts once everything settled."""

    stored: int
    lost: int
    stored_twice: int
    replies: int
    sent: Counter
    slowest: float
    p99: float


def settle_and_count(runtime, fake_twilio, forms: list[dict], answers: list[Answer], timeout: float = 120) -> Outcome:
    """Wait until every message sent is stored and handled and every reply reached the fake Twilio; count. (After a
    thaw one worker drains some 400 jobs: measured 60 to 80 s with the 2 cores loaded by other test runs.)"""
    sids = {form["MessageSid"] for form in forms}

    def handled() -> bool:
        rows = inbound_rows(runtime)
        return {m.provider_id for m in rows} >= sids and all(m.processed_at for m in rows)

    wait_until(handled, timeout=timeout, interval=1)
    stored = inbound_rows(runtime)
    by_sid = Counter(m.provider_id for m in stored)
    with runtime.db.transaction() as session:
        reply_ids = set(session.scalars(select(Message.id).where(Message.direction == Direction.OUT)))
    wait_until(lambda: len(twilio_deliveries(fake_twilio, reply_ids)) >= len(reply_ids), timeout=timeout, interval=1)
    times = [a.seconds for a in answers]
    return Outcome(
        stored=len(stored),
        lost=len(sids - set(by_sid)),
        stored_twice=sum(n - 1 for n in by_sid.values()),
        replies=len(reply_ids),
        sent=twilio_deliveries(fake_twilio, reply_ids),
        slowest=max(times),
        p99=percentile(times, 0.99),
    )
