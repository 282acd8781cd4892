"""The stack a benchmark runs on: its settings, a reset database and Redis db 3, and the processes it starts
(gunicorn web, RQ workers, the fake provider, the minimal baseline app), each stopped by its process group id; plus
the in-process helpers that use the product's own runtime (the meeting notice of the fan-out benchmark)."""

from __future__ import annotations

import os
import re
import secrets
import shlex
import signal
import subprocess
import tempfile
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

from bench.common import BENCH, PG_URL, PUBLIC_BASE_URL, PYTHON, REDIS_URL, ROOT, children, free_port, pyspy, wait_http

FROM_NUMBER = "+15005550006"
# Variables of the gateway that must not leak into a benchmark from the caller's environment.
_GATEWAY_VARS = tuple(
    "TWILIO_ TELEGRAM_ ANDROID_ SMS_CHANNEL DATABASE_URL REDIS_URL PUBLIC_BASE_URL ESCALATION_ FOLLOWUP_ QUIET_HOURS "
    "GATEWAY_ LOG_LEVEL SWEEP_ OUTBOX_ SEND_ PROVIDER_ RETRY_".split()
)


class Stack:
    """One benchmark's settings: a scratch folder, a database (reset), Redis db 3 (flushed), fake Twilio creds."""

    def __init__(self, db: str, name: str) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix=f"bench-{name}-"))
        self.db = db
        self.account_sid = "AC" + secrets.token_hex(16)
        self.auth_token = secrets.token_hex(16)
        self.database_url = f"sqlite:///{self.dir / 'gateway.db'}" if db == "sqlite" else PG_URL
        self.procs: list[Proc] = []

    def env(self, **extra: str) -> dict[str, str]:
        """The environment of a gateway process (nothing inherited from the caller's gateway settings)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(_GATEWAY_VARS)}
        env.update(
            GATEWAY_INSTANCE_PATH=str(self.dir),
            DATABASE_URL=self.database_url,
            REDIS_URL=REDIS_URL,
            PUBLIC_BASE_URL=PUBLIC_BASE_URL,
            TWILIO_ACCOUNT_SID=self.account_sid,
            TWILIO_AUTH_TOKEN=self.auth_token,
            TWILIO_FROM_NUMBER=FROM_NUMBER,
            TWILIO_API_BASE_URL="http://127.0.0.1:9",
            SMS_CHANNEL="twilio",
            QUIET_HOURS="",
            RETRY_BACKOFF_SECONDS="1",
            SWEEP_INTERVAL_SECONDS="15",
            PYTHONPATH=str(ROOT),
        )
        env.update(extra)
        return env

    def reset(self) -> None:
        """Empty Redis db 3 and the database, then migrate."""
        import redis

        redis.Redis.from_url(REDIS_URL).flushdb()
        if self.db == "postgres":
            import psycopg

            with psycopg.connect(PG_URL, autocommit=True) as conn:
                conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
                conn.execute("CREATE SCHEMA public")
        self.gateway("db", "upgrade")

    def gateway(self, *args: str, **extra: str) -> str:
        """Run one `gateway` command to completion; its output."""
        done = subprocess.run(
            [PYTHON, "-m", "gateway", *args],
            env=self.env(**extra),
            cwd=self.dir,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if done.returncode:
            raise RuntimeError(f"gateway {' '.join(args)} failed: {done.stdout}{done.stderr}")
        return done.stdout

    def start(self, name: str, args: list[str], env: dict[str, str] | None = None) -> Proc:
        """Start a long-running process (its own session), output to `<dir>/<name>.log`."""
        proc = Proc(name, args, env or self.env(), self.dir)
        self.procs.append(proc)
        return proc

    def stop_all(self) -> None:
        """Stop every process this stack started, newest first."""
        for proc in reversed(self.procs):
            proc.stop()
        self.procs.clear()


class Proc:
    """A subprocess in its own process group, stopped by that group's id."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], cwd: Path) -> None:
        self.name, self.log = name, cwd / f"{name}.log"
        with open(self.log, "ab") as out:
            self.popen = subprocess.Popen(
                args, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.pid = self.popen.pid

    def stop(self, timeout: float = 15) -> None:
        """SIGTERM to the group, then SIGKILL after `timeout`."""
        if self.popen.poll() is not None:
            return
        for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5)):
            try:
                os.killpg(self.pid, sig)
            except ProcessLookupError:
                return
            try:
                self.popen.wait(wait)
                return
            except subprocess.TimeoutExpired:
                continue


def import_directory(stack: Stack, rows: list[dict]) -> None:
    """Write the rows as a CSV in the stack's folder and import them with `gateway contacts import`."""
    from bench.gen_directory import write

    stack.gateway("contacts", "import", str(write(rows, stack.dir / "directory.csv")))


def start_fake(stack: Stack) -> str:
    """Start the zero-latency fake provider; its base URL."""
    port = free_port()
    stack.start("fake-provider", [PYTHON, "-m", "bench.fake_provider", "--port", str(port)])
    wait_http(f"http://127.0.0.1:{port}/health")
    return f"http://127.0.0.1:{port}"


def fake_log(base_url: str, start: int = 0) -> list[list]:
    """What the fake provider received from index `start`: [epoch, channel, to, body] each."""
    import json

    with urllib.request.urlopen(f"{base_url}/_log?from={start}", timeout=30) as response:
        return json.loads(response.read())


def start_web(stack: Stack, port: int, workers: int = 2, env: dict | None = None) -> Proc:
    """`python -m gateway web --port P --workers N`, ready."""
    proc = stack.start("web", [PYTHON, "-m", "gateway", "web", "--port", str(port), "--workers", str(workers)], env)
    wait_http(f"http://127.0.0.1:{port}/healthz")
    return proc


def procfile_web(app: str | None, port: int, workers: int = 2, threads: int | None = None) -> list[str]:
    """The Procfile's `web:` command as a production start runs it (gunicorn, its config module, worker class, threads
    and access log), bound to 127.0.0.1:`port` with `workers` processes; serving `app` instead of the gateway when
    given, and `--threads N` (which gunicorn lets the command line override) when asked."""
    line = next(ln for ln in (ROOT / "Procfile").read_text().splitlines() if ln.startswith("web:"))
    values = {"WEB_CONCURRENCY": str(workers), "PORT": str(port)}
    expanded = re.sub(r"\$\{(\w+):-([^}]*)\}", lambda m: values.get(m.group(1), m.group(2)), line[len("web:") :])
    args = shlex.split(expanded)
    if args[0] != "gunicorn":
        raise RuntimeError(f"the Procfile's web command is not gunicorn: {args[0]}")
    args = [PYTHON, "-m", "gunicorn", *args[1:]]
    args = [a.replace("0.0.0.0:", "127.0.0.1:") for a in args]
    if app is not None:
        args[-1] = app
    if threads is not None:
        args[-1:-1] = ["--threads", str(threads)]
    return args


def start_procfile_web(stack: Stack, port: int, workers: int = 2, env: dict | None = None, threads: int | None = None):
    """The gateway under the Procfile's web command, ready."""
    proc = stack.start("web", procfile_web(None, port, workers, threads), env)
    wait_http(f"http://127.0.0.1:{port}/healthz")
    return proc


def start_minimal(stack: Stack, port: int, workers: int = 2, threads: int | None = None) -> Proc:
    """The baseline app under the Procfile's web command (same worker class, threads, access log), ready."""
    proc = stack.start("minimal", procfile_web("bench.minimal_app:app", port, workers, threads))
    wait_http(f"http://127.0.0.1:{port}/healthz")
    return proc


def start_workers(stack: Stack, count: int, env: dict | None = None, variant: list[str] | None = None) -> list[Proc]:
    """`count` RQ workers: `python -m gateway worker` (forks a work-horse per job), or with `variant` the bench
    launcher `python -m bench.worker_variant …` (e.g. `--simple`: the same worker without the fork)."""
    args = [PYTHON, "-m", "bench.worker_variant", *variant] if variant else [PYTHON, "-m", "gateway", "worker"]
    procs = [stack.start(f"worker{i}", args, env) for i in range(count)]
    time.sleep(1.5)  # registration, scheduler lock
    return procs


def web_workers(master: Proc) -> list[int]:
    """The gunicorn worker pids of a master."""
    return children(master.pid)


def outbox_left(stack: Stack) -> int:
    """Work left: outbound rows not yet sent (queued or sending), and inbound messages not yet handled (their
    handling job makes replies)."""
    from sqlalchemy import and_, create_engine, func, or_, select

    from gateway.core.config import normalise_database_url
    from gateway.models import Direction, Message, MessageStatus

    engine = create_engine(normalise_database_url(stack.database_url))
    try:
        with engine.connect() as conn:
            return conn.scalar(
                select(func.count())
                .select_from(Message)
                .where(
                    or_(
                        and_(
                            Message.direction == Direction.OUT,
                            Message.status.in_([MessageStatus.QUEUED, MessageStatus.SENDING]),
                        ),
                        and_(Message.direction == Direction.IN, Message.processed_at.is_(None)),
                    )
                )
            )
    finally:
        engine.dispose()


def runtime_for(stack: Stack, **env):
    """A gateway runtime in this process, configured like the stack's processes."""
    from gateway.core.config import load_settings
    from gateway.core.runtime import build_runtime, set_process_runtime

    runtime = build_runtime(load_settings(stack.env(**env)))
    set_process_runtime(runtime)
    return runtime


def notice_transaction(runtime, district_code: str) -> tuple:
    """The measured work: create_meeting in one transaction (commit and after-commit enqueues included)."""
    from sqlalchemy import select

    from gateway.meetings.service import create_meeting
    from gateway.models import District, utcnow

    t0 = time.perf_counter()
    with runtime.db.transaction() as session:
        district = session.scalar(select(District).where(District.code == district_code))
        summary = create_meeting(
            session,
            runtime,
            district=district,
            starts_at=utcnow() + timedelta(days=3),
            place="Mairie de Koro",
            agenda="Transhumance",
        )
        t1 = time.perf_counter()
    return summary, t0, t1, time.perf_counter()


def create_notice(runtime, district_code: str, profile: str | None = None) -> dict:
    """create_meeting for the district in one transaction; seconds spent building, committing, enqueueing."""
    import gateway.messaging.outbox as outbox

    spent = {"enqueue": 0.0}
    # The after-commit enqueue the outbox calls: `enqueue_new` (batched) since b05b0a1, `enqueue_send` before.
    name = "enqueue_new" if hasattr(outbox, "enqueue_new") else "enqueue_send"
    original = getattr(outbox, name)

    def timed_enqueue(*args, **kwargs):  # bench-only instrumentation of the after-commit hook
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent["enqueue"] += time.perf_counter() - start

    setattr(outbox, name, timed_enqueue)
    spy = pyspy(os.getpid(), BENCH / "profiles" / profile, 120, subprocesses=False) if profile else None
    if spy:
        time.sleep(1)  # py-spy attaches
    try:
        summary, t0, t1, t2 = notice_transaction(runtime, district_code)
    finally:
        setattr(outbox, name, original)
        if spy:
            spy.send_signal(signal.SIGINT)
            spy.wait(30)
    return {
        "invitees": summary.invitees,
        "build": t1 - t0,
        "commit": t2 - t1 - spent["enqueue"],
        "enqueue": spent["enqueue"],
        "total": t2 - t0,
    }


def queued_sample(stack: Stack, limit: int = 50) -> tuple[list[str], str]:
    """Addresses of up to `limit` queued outbound rows and the body of the first: what the bare-loop baseline of
    the send benchmark sends, so that it posts the same kind of request as the gateway."""
    from sqlalchemy import create_engine, select

    from gateway.core.config import normalise_database_url
    from gateway.models import Direction, Message, MessageStatus

    engine = create_engine(normalise_database_url(stack.database_url))
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(Message.address, Message.body)
                .where(Message.direction == Direction.OUT, Message.status == MessageStatus.QUEUED)
                .order_by(Message.id)
                .limit(limit)
            ).all()
    finally:
        engine.dispose()
    return [r.address for r in rows], rows[0].body if rows else "Bonjour"


def start_bare_senders(
    stack: Stack, count: int, base_url: str, seconds: float, to_numbers: list[str], body: str
) -> list[Proc]:
    """`count` processes of bench/bare_send.py (a bare loop of twilio's `Client.messages.create`) against the fake
    at `base_url`, with the stack's credentials; they start sending together once all have imported twilio."""
    start_at = time.time() + 3.0
    args = [
        PYTHON,
        "-m",
        "bench.bare_send",
        "--base-url",
        base_url,
        "--account-sid",
        stack.account_sid,
        "--auth-token",
        stack.auth_token,
        "--from",
        FROM_NUMBER,
        "--to",
        ",".join(to_numbers),
        "--body",
        body,
        "--seconds",
        str(seconds),
        "--start-at",
        repr(start_at),
    ]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return [stack.start(f"bare-send{i}", args, env) for i in range(count)]
