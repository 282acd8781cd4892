"""Fixtures of the fault-injection suite: quick timings, fake providers that fail on purpose, real processes in
their own process groups, the counts table (printed at the end and written to last_table.md) and the log corpus
that case 7 scans."""

from __future__ import annotations

import logging

import pytest

from tests.conftest import running_fake
from tests.faults import logscan, table
from tests.faults.procs import Gateway
from tests.faults.providers import FaultPlan, FlakyTelegram, FlakyTwilio

# Quick retries, short provider timeouts and sweeps every second, so that every case ends in bounded time.
TIMINGS = {
    "RETRY_BACKOFF_SECONDS": "0.5",
    "PROVIDER_TIMEOUT_SECONDS": "1",
    "OUTBOX_STALE_SECONDS": "2",
    "SWEEP_INTERVAL_SECONDS": "1",
    "QUIET_HOURS": "",
    "DIGEST_AT": "off",  # a digest sent by an evening run's sweep is not a message any case expects
    "LOG_LEVEL": "INFO",
}


@pytest.fixture
def fault_plan() -> FaultPlan:
    """No injected failures unless a test overrides this fixture."""
    return FaultPlan()


@pytest.fixture
def fake_twilio(fault_plan):
    """A fake Twilio REST API on 127.0.0.1 that fails calls by the fault plan."""
    yield from running_fake(FlakyTwilio(fault_plan))


@pytest.fixture
def fake_telegram(fault_plan):
    """A fake Telegram Bot API on 127.0.0.1 that fails sendMessage by the fault plan."""
    yield from running_fake(FlakyTelegram(fault_plan))


@pytest.fixture
def env(base_env, fake_twilio, fake_telegram) -> dict[str, str]:
    """The gateway under test: Twilio and Telegram pointed at the fakes, quick timings."""
    logscan.remember(secrets=(fake_twilio.auth_token, fake_telegram.token, "s3cr3t_TOKEN-1"))
    return {**base_env, **fake_twilio.env(), **fake_telegram.env(), **TIMINGS}


@pytest.fixture
def gateway(env, net_log, tmp_path):
    """Starts real gateway processes (web under gunicorn, RQ workers); stopped and their output kept at teardown."""
    processes = Gateway(env, net_log, tmp_path, logscan.LOGS)
    yield processes
    processes.close()


@pytest.fixture
def row(request):
    """The test's row of the counts table; the case name is the test's docstring's first line."""
    doc = (request.function.__doc__ or request.node.name).strip().splitlines()[0]
    return table.row_for(request.node.nodeid, doc.rstrip("."))


@pytest.fixture(autouse=True)
def in_process_logs(request):
    """Keep every log record of this process during the test (as the gateway's handler would write it)."""
    handler = logscan.CollectingHandler(f"in-process {request.node.name}")
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield handler
    root.removeHandler(handler)
    root.setLevel(level)
    handler.flush_to_corpus()


def pytest_collection_modifyitems(items):
    """Case 7 (the log scan) runs last, after every case that adds to the log corpus, whatever its number."""
    items.sort(key=lambda item: "test_7_logs_clean.py" in item.nodeid)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Note each phase's outcome on the test's row of the table."""
    report = yield
    table.record_outcome(item.nodeid, report.when, report.passed, report.skipped, report.duration)
    return report


def pytest_terminal_summary(terminalreporter):
    """Print the counts table and write it to tests/faults/last_table.md."""
    if not table.ROWS:
        return
    text = table.write()
    terminalreporter.section("fault-injection counts")
    terminalreporter.write(text)
    terminalreporter.write_line(f"(written to {table.TABLE_PATH})")
