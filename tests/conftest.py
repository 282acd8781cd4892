"""Shared fixtures: a real Redis, a real database (SQLite file, or PostgreSQL with TEST_DATABASE_URL), the app,
real worker processes (tests/processes.py), and a network guard that fails the session if anything tries to leave
127.0.0.1."""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis
from sqlalchemy import text

from gateway.core.config import load_settings
from gateway.core.db import Database
from gateway.core.migrate import upgrade
from gateway.core.runtime import build_runtime, set_process_runtime
from gateway.directory.import_export import apply_rows, read_rows, validate
from gateway.models import Base
from tests import netguard
from tests.fakes.android_phone import FakePhone
from tests.fakes.callgate_phone import FakeCallGate
from tests.fakes.s3_store import HERMETIC_ENV, FakeS3
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.twilio_api import FakeTwilio
from tests.processes import ROOT, net_log, start_process  # noqa: F401 - fixtures re-exported for every test

# The fictional sample directory shipped with the gateway: a clone stands alone, without ../shared.
SAMPLE_DIRECTORY = ROOT / "gateway" / "sample" / "directory.csv"


def pytest_configure(config):
    """Install the network guard before any test runs."""
    netguard.install()


def pytest_sessionfinish(session, exitstatus):
    """Fail the whole session if any test or subprocess tried to reach the internet."""
    attempts = list(netguard.ATTEMPTS)
    log_path = os.environ.get(netguard.LOG_ENV)
    if log_path and os.path.exists(log_path):
        attempts += [line for line in Path(log_path).read_text().splitlines() if line]
    if attempts:
        print(f"\nNETWORK GUARD: {len(attempts)} attempt(s) to leave 127.0.0.1: {sorted(set(attempts))[:5]}")
        session.exitstatus = 1


# --- fake providers ----------------------------------------------------------------------------------------


def running_fake(fake):
    """A fake provider on 127.0.0.1, started for one test and stopped after it."""
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def fake_twilio() -> Iterator[FakeTwilio]:
    """A running fake Twilio API (tests.fakes.twilio_api)."""
    yield from running_fake(FakeTwilio())


@pytest.fixture
def fake_telegram() -> Iterator[FakeTelegram]:
    """A running fake Telegram Bot API (tests.fakes.telegram_api)."""
    yield from running_fake(FakeTelegram())


@pytest.fixture
def fake_callgate() -> Iterator[FakeCallGate]:
    """A running fake office phone with CallGate (tests.fakes.callgate_phone)."""
    yield from running_fake(FakeCallGate())


@pytest.fixture
def fake_phone() -> Iterator[FakePhone]:
    """A running fake Android phone with SMS Gateway for Android (tests.fakes.android_phone)."""
    yield from running_fake(FakePhone())


@pytest.fixture(scope="session")
def fake_s3() -> Iterator[FakeS3]:
    """A local S3 (moto's server on 127.0.0.1) for the session, with boto3 kept off AWS and off instance metadata;
    each test takes a fresh bucket (`fake_s3.env()`)."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in HERMETIC_ENV.items():
            patch.setenv(name, value)
        yield from running_fake(FakeS3())


# --- Redis -------------------------------------------------------------------------------------------------


# Processes of the fast run: two, whatever the machine (each takes a Redis database counted down from the one named
# and, on PostgreSQL, a database of its own beside the one named: see `worker_database_url`).
XDIST_WORKERS = 2


def pytest_xdist_auto_num_workers(config) -> int:
    """`-n auto` (pyproject's addopts): two processes."""
    return XDIST_WORKERS


def xdist_worker_index() -> int:
    """0 outside xdist; the worker's number (gw0 → 0, gw1 → 1…) inside it."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    return int(worker[2:]) if worker[2:].isdigit() else 0


def worker_redis_url(url: str, index: int) -> str:
    """The Redis URL of xdist worker `index`: the named database for worker 0, the ones below it for the others."""
    if index == 0:
        return url
    parts = urlsplit(url)
    base = int(parts.path.strip("/") or 0)
    if base - index < 0:
        pytest.exit(f"TEST_REDIS_URL names database {base}: too low for {index + 1} xdist workers (use 15)", 2)
    return urlunsplit(parts._replace(path=f"/{base - index}"))


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory) -> str:
    """TEST_REDIS_URL or REDIS_URL when set; otherwise an embedded Redis for the session. Under xdist each worker
    takes its own database, counting down from the one named (tests flush theirs)."""
    url = os.environ.get("TEST_REDIS_URL") or os.environ.get("REDIS_URL")
    if url:
        yield worker_redis_url(url, xdist_worker_index())
        return
    from gateway.core.redis_server import start_embedded

    handle = start_embedded(tmp_path_factory.mktemp("redis"))
    yield handle.url
    handle.close()


@pytest.fixture
def redis_client(redis_url) -> redis.Redis:
    """A client on the test Redis, emptied before and after the test."""
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


# --- Database ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def database_template(tmp_path_factory) -> str:
    """A migrated database: PostgreSQL from TEST_DATABASE_URL (schema rebuilt), else a SQLite template file."""
    pg_url = os.environ.get("TEST_DATABASE_URL")
    if pg_url:
        from gateway.core.config import normalise_database_url

        pg_url = worker_database_url(normalise_database_url(pg_url), os.environ.get("PYTEST_XDIST_WORKER"))
        database = Database(pg_url)
        with database.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        upgrade(database)
        database.dispose()
        return pg_url
    path = tmp_path_factory.mktemp("db") / "template.db"
    database = Database(f"sqlite:///{path}")
    upgrade(database)
    database.dispose()
    return str(path)


def worker_database_url(url: str, worker: str | None) -> str:
    """The PostgreSQL database of one xdist worker: the one named for a single process, else `<name>_<worker>`,
    created on first use (each worker truncates its own tables between tests)."""
    if not worker:
        return url
    from sqlalchemy.engine import make_url

    named = make_url(url)
    own = named.set(database=f"{named.database}_{worker}")
    server = Database(url)
    try:
        with server.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": own.database}).first()
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{own.database}"'))
    finally:
        server.dispose()
    return own.render_as_string(hide_password=False)


# Set on a test whose SQLite database was copied with the sample directory already in it (see `directory`).
DIRECTORY_PREFILLED = pytest.StashKey[bool]()


@pytest.fixture(scope="session")
def sample_rows() -> list:
    """The sample directory's rows, read and validated once."""
    rows, errors = validate(read_rows(SAMPLE_DIRECTORY.read_text(encoding="utf-8")))
    assert not errors
    return rows


@pytest.fixture(scope="session")
def directory_template(database_template, sample_rows, tmp_path_factory) -> str | None:
    """SQLite: the migrated template with the sample directory imported, for the tests that use `directory` (half
    the suite: importing it in each of them cost more than most of the tests themselves). None on PostgreSQL."""
    if database_template.startswith("postgresql"):
        return None
    path = tmp_path_factory.mktemp("db") / "directory.db"
    shutil.copyfile(database_template, path)
    database = Database(f"sqlite:///{path}")
    with database.transaction() as session:
        apply_rows(session, sample_rows)
    database.dispose()
    return str(path)


@pytest.fixture
def database_url(database_template, tmp_path, request) -> str:
    """An empty, migrated database for one test (SQLite: holding the sample directory when the test uses it)."""
    if database_template.startswith("postgresql"):
        database = Database(database_template)
        tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
        with database.engine.begin() as conn:
            conn.execute(text(f"TRUNCATE TABLE {tables} RESTART IDENTITY CASCADE"))
        database.dispose()
        return database_template
    path = tmp_path / "gateway.db"
    template = database_template
    if "directory" in request.fixturenames:
        template = request.getfixturevalue("directory_template")
        request.node.stash[DIRECTORY_PREFILLED] = True
    shutil.copyfile(template, path)
    return f"sqlite:///{path}"


# --- Settings, runtime, app --------------------------------------------------------------------------------


@pytest.fixture
def base_env(tmp_path, database_url, redis_url, redis_client) -> dict[str, str]:
    """The environment of a test gateway: test database and Redis, quick sweeps, no quiet hours, no daily digest, and
    the console channel (never on by default: it delivers nothing) carrying SMS where a test configures no provider."""
    return {
        "GATEWAY_INSTANCE_PATH": str(tmp_path / "instance"),
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SWEEP_INTERVAL_SECONDS": "1",
        "OUTBOX_STALE_SECONDS": "2",
        "QUIET_HOURS": "",
        # A sweep after 18:00 would otherwise send the day's digest in the middle of any test that runs a worker.
        "DIGEST_AT": "off",
        # Likewise after PULSE_AT on a Monday: the week's pulse. Tests that want it say so.
        "PULSE_EVERY": "off",
        # The bulletins are due from Monday 09:00 even with the pulse off (BULLETIN_EVERY): off too.
        "BULLETIN_EVERY": "off",
        "LOG_LEVEL": "INFO",
        "GATEWAY_CONSOLE_CHANNEL": "1",
    }


@pytest.fixture
def env(base_env) -> dict[str, str]:
    """Override in a test module to add channel settings."""
    return base_env


@pytest.fixture
def settings(env):
    """Validated settings for the test gateway."""
    return load_settings(env=env)


@pytest.fixture
def runtime(settings):
    """The runtime of the test process (database, Redis, channels)."""
    rt = build_runtime(settings)
    set_process_runtime(rt)
    yield rt
    set_process_runtime(None)
    rt.close()


@pytest.fixture
def app(runtime):
    """The Flask app built on the test runtime."""
    from gateway.web.app import create_app

    return create_app(runtime=runtime)


@pytest.fixture
def client(app):
    """A test client of the app."""
    return app.test_client()


@pytest.fixture
def directory(runtime, sample_rows, request):
    """The sample directory, imported (on SQLite the test's database was copied with it already in)."""
    if not request.node.stash.get(DIRECTORY_PREFILLED, False):
        with runtime.db.transaction() as session:
            apply_rows(session, sample_rows)
    return sample_rows


# --- Logging -----------------------------------------------------------------------------------------------


@pytest.fixture
def restore_logging():
    """Let a test (or a command it runs) configure logging, then put the root logger, its level, handlers and
    their filters back as they were."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    filters = {id(h): list(h.filters) for h in handlers}
    yield
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
    for handler in handlers:
        handler.filters[:] = filters[id(handler)]
    root.setLevel(level)
