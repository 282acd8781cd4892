"""`gateway status` as an operator runs it, against the fake providers over HTTP: exit 0 and every check ok when
leaders' messages get through; exit 1 with the reasons listed when a person is needed (a provider unreachable,
hanging or refusing our credentials, no recent sweep, an alert nobody took); never a reporter, number or text."""

from __future__ import annotations

import json
import socket
import time
from contextlib import contextmanager
from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import select, update

from gateway.cli import main
from gateway.models import Alert, Contact, Message, utcnow
from gateway.observability.readings import record_sweep
from tests.chat import Chat
from tests.fakes.telegram_api import SECRET, TOKEN, Canned
from tests.fakes.twilio_api import closed_port
from tests.gateway.alerts.desk_helpers import LEADER, URGENT

# The commands configure logging on the root logger: conftest's `restore_logging` puts it back after each test.
pytestmark = pytest.mark.usefixtures("restore_logging")

CHECKS = ["database", "redis", "channel twilio", "channel telegram", "channel android", "queues", "sweep", "inbound",
          "outbox", "failures", "alerts", "pace"]  # fmt: skip


@pytest.fixture
def env(base_env, fake_twilio, fake_telegram, fake_phone) -> dict[str, str]:
    """The test gateway with all three providers faked: Twilio, Telegram, and the phone carrying SMS."""
    telegram = {**fake_telegram.env(), "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_WEBHOOK_SECRET": SECRET}
    return {**base_env, **fake_twilio.env(), **telegram, **fake_phone.env(), "GATEWAY_CONSOLE_CHANNEL": ""}


@pytest.fixture
def status(env, redis_client):
    """Run `gateway status` (JSON unless told) with the test environment plus `extra`; a sweep just happened
    unless the test says otherwise."""
    runner = CliRunner()

    def run(*args: str, swept: float | None = 0.0, **extra: str):
        if swept is not None:
            record_sweep(redis_client, time.time() - swept)
        args = args or ("--format", "json")
        return runner.invoke(main, ["status", *args], env={**env, **extra})

    return run


def report(result) -> dict:
    """The JSON report; the exit code is checked by the caller."""
    assert "Traceback" not in result.output, result.output
    return json.loads(result.output)


def check(body: dict, name: str) -> dict:
    """One check of the report."""
    return next(c for c in body["checks"] if c["name"] == name)


def test_all_well_exits_0_with_every_check(status, directory):
    result = status()
    body = report(result)
    assert result.exit_code == 0, result.output
    assert body["status"] == "ok" and body["reasons"] == []
    assert [c["name"] for c in body["checks"]] == CHECKS
    assert {c["state"] for c in body["checks"]} == {"ok"}, body
    assert check(body, "channel twilio")["account_status"] == "active"
    assert (
        check(body, "channel telegram")["mode"] == "polling" and check(body, "channel telegram")["pending_updates"] == 0
    )
    assert check(body, "channel android")["health"] == "pass"
    assert set(check(body, "queues")["queues"]) == {"gateway-urgent", "gateway-bulk", "intake"}
    assert check(body, "inbound")["oldest_unhandled_seconds"] is None
    assert check(body, "alerts")["unacknowledged"] == []


def test_the_table_says_all_is_well(status, directory):
    result = status("--format", "table")
    assert result.exit_code == 0, result.output
    assert "all is well" in result.output and "PROBLEM" not in result.output
    assert result.output.splitlines()[0].split()[:2] == ["ok", "database"]


def test_an_unreachable_provider_needs_a_person(status, directory):
    with closed_port() as url:
        result = status(TWILIO_API_BASE_URL=url)
    body = report(result)
    assert result.exit_code == 1
    twilio = check(body, "channel twilio")
    assert twilio["state"] == "problem" and twilio["reachable"] is False
    assert body["reasons"] == ["channel twilio: Twilio does not answer (ConnectionError)"]


def test_refused_credentials_need_a_person(status, directory):
    result = status(TWILIO_AUTH_TOKEN="0" * 32)
    assert result.exit_code == 1
    assert report(result)["reasons"] == [
        "channel twilio: Twilio refuses our credentials: check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN"
    ]


def test_a_suspended_account_needs_a_person(status, directory, fake_twilio):
    fake_twilio.account_status = "suspended"
    result = status()
    assert result.exit_code == 1
    assert "the Twilio account is suspended" in report(result)["reasons"][0]


@contextmanager
def silent_server():
    """A URL on 127.0.0.1 that accepts connections (the kernel's backlog) and never answers: a hung provider."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        sock.close()


@pytest.mark.slow
def test_a_hanging_provider_is_reported_after_the_probe_timeout(status, directory):
    with silent_server() as url:
        result = status(TELEGRAM_API_BASE_URL=url, ANDROID_GATEWAY_URL=url)
    body = report(result)
    assert result.exit_code == 1
    assert check(body, "channel telegram")["summary"] == "Telegram does not answer (TimedOut)"
    assert check(body, "channel android")["summary"].startswith("the phone does not answer (ReadTimeout)")
    assert check(body, "channel twilio")["state"] == "ok"  # the others were asked all the same


def test_a_recent_telegram_delivery_error_needs_a_person(status, directory, fake_telegram):
    info = {"url": "https://gw.example.org/webhooks/telegram", "has_custom_certificate": False,
            "pending_update_count": 7, "last_error_date": int(time.time()) - 120,
            "last_error_message": "Wrong response from the webhook: 502 Bad Gateway"}  # fmt: skip
    fake_telegram.script("getWebhookInfo", Canned(200, {"ok": True, "result": info}))
    result = status()
    body = report(result)
    assert result.exit_code == 1
    telegram = check(body, "channel telegram")
    assert telegram["mode"] == "webhook" and telegram["pending_updates"] == 7
    assert "502 Bad Gateway" in body["reasons"][0] and "2 min ago" in body["reasons"][0]


@pytest.mark.parametrize("swept,state", [(None, "problem"), (600.0, "problem"), (5.0, "ok")])
def test_the_last_sweep(status, directory, redis_client, swept, state):
    redis_client.delete("gw:sweep:last")
    result = status(swept=swept)
    sweep = check(report(result), "sweep")
    assert sweep["state"] == state and result.exit_code == (1 if state == "problem" else 0)
    if swept is None:
        assert sweep["summary"] == "no sweep recorded: is a worker running?"


def test_an_alert_nobody_took_needs_a_person_without_saying_who_sent_it(status, runtime, directory):
    Chat(runtime, LEADER).send(URGENT)
    fresh = report(status())
    assert check(fresh, "alerts")["state"] == "warn"  # the ladder is still climbing: worth a look, not yet late
    with runtime.db.transaction() as session:
        session.execute(update(Alert).values(created_at=utcnow() - timedelta(minutes=25)))
        reporter = session.scalar(select(Contact).where(Contact.phone == LEADER))
        bodies = session.scalars(select(Message.body)).all()
    result = status()
    body = report(result)
    assert result.exit_code == 1
    alerts = check(body, "alerts")
    assert [(a["district"], a["count"]) for a in alerts["unacknowledged"]] == [("MOPTI", 1)]
    assert 25 * 60 <= alerts["unacknowledged"][0]["oldest_seconds"] < 30 * 60
    assert "alerts: not taken yet: MOPTI 1 (oldest 25 min)" in body["reasons"]
    table = status("--format", "table").output
    for output in (result.output, table):
        marks = [reporter.name, LEADER, LEADER[-8:], "#1", *[b for b in bodies if b]]
        assert not [m for m in marks if m in output]
    assert "need a person" in table and "not taken yet: MOPTI 1" in table


def test_stored_messages_no_worker_picked_up_are_counted(status, directory, redis_client):
    from workers.intake import push

    for message_id in (101, 102, 103):
        push(redis_client, message_id)
    queues = check(report(status()), "queues")
    assert queues["queues"]["intake"] == {"waiting": 3}
    assert "3 stored message(s) not yet picked up by a worker" in queues["summary"]


def test_an_unhandled_inbound_message_and_an_overdue_outbox_row(status, runtime, directory):
    Chat(runtime, LEADER).send("Bonjour")  # handled at once, its reply queued
    with runtime.db.transaction() as session:
        session.execute(update(Message).values(created_at=utcnow() - timedelta(minutes=10), processed_at=None))
    body = report(status())
    assert check(body, "inbound")["state"] == "problem" and check(body, "outbox")["state"] == "problem"
    assert check(body, "inbound")["oldest_unhandled_seconds"] >= 600
    assert check(body, "outbox")["oldest_due_seconds"] >= 600


def test_a_database_that_does_not_answer_is_a_problem_not_a_crash(status, directory):
    result = status(DATABASE_URL="postgresql://nobody@127.0.0.1:1/none")
    body = report(result)
    assert result.exit_code == 1
    assert check(body, "database")["state"] == "problem"
    assert "inbound" not in [c["name"] for c in body["checks"]]  # what needs the database is left out


@pytest.mark.slow
def test_a_database_that_hangs_is_a_problem_within_seconds(status, directory):
    with silent_server() as url:
        result = status(DATABASE_URL=url.replace("http://", "postgresql://nobody@") + "/gateway")
    body = report(result)
    assert result.exit_code == 1
    assert check(body, "database")["summary"] == "no answer within 5 s"
    assert check(body, "sweep")["state"] == "ok"  # Redis was asked all the same
