"""Android inbox recovery without processes: `--since` as people write it, the gap a starting worker finds, and
`gateway android recover` against the fake phone (app v1.68): its refresh replays land in the Flask app (the phone's
webhook), and the SMS its inbox lists that the gateway lacks are stored and handed to the workers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from gateway.cli import main
from gateway.messaging import android_recovery
from gateway.messaging.android_recovery import gap_at_start, parse_since, schedule_recovery_at_start
from gateway.models import AuditEntry, Direction, Message
from gateway.observability.readings import record_sweep
from tests.fakes.android_phone import PASSWORD
from workers import intake
from workers.queues import QUEUE_BULK, queue

LEADER = "+22371139685"  # Mamadou Dembélé, leader at Kotaka (MOPTI)
NOW = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)
DEAD_URL = "http://127.0.0.1:9/webhooks/android"  # the gateway is down: nothing listens

pytestmark = pytest.mark.usefixtures("restore_logging")


@pytest.fixture
def env(base_env, fake_phone) -> dict[str, str]:
    """The fake phone as SMS channel; its webhooks land in the test client (see `phone`)."""
    return {**base_env, **fake_phone.env(), "PUBLIC_BASE_URL": "https://gw.example.org"}


@pytest.fixture
def phone(fake_phone, client):
    """The fake phone with its sms:received webhook registered, delivering into the Flask app."""
    fake_phone.post_webhook({"id": "gateway-sms-received", "url": "https://gw.example.org/webhooks/android",
                             "event": "sms:received"})  # fmt: skip
    fake_phone.route_to = client
    return fake_phone


def run(env, *args: str, **extra: str):
    """The real `gateway` command with the test environment."""
    return CliRunner().invoke(main, list(args), env={**env, **extra})


def inbound_count(runtime) -> int:
    """Inbound rows stored."""
    with runtime.db.transaction() as session:
        return session.scalar(select(func.count()).select_from(Message).where(Message.direction == Direction.IN))


@pytest.mark.parametrize(
    "text,expected",
    [
        ("2h", NOW - timedelta(hours=2)),
        ("90m", NOW - timedelta(minutes=90)),
        ("3d", NOW - timedelta(days=3)),
        (" 45 S ", NOW - timedelta(seconds=45)),
        ("2026-12-07T04:00", datetime(2026, 12, 7, 4, 0, tzinfo=UTC)),
        ("2026-12-07T04:00Z", datetime(2026, 12, 7, 4, 0, tzinfo=UTC)),
        ("2026-12-07T05:00+01:00", datetime(2026, 12, 7, 4, 0, tzinfo=UTC)),
    ],
)
def test_since_as_people_write_it(text, expected):
    assert parse_since(text, NOW) == expected


@pytest.mark.parametrize(
    "text,reason",
    [("", "expected an ISO time"), ("yesterday", "expected an ISO time"), ("2w", "expected an ISO time"),
     ("2026-12-08T00:00", "not in the past"), ("0h", "not in the past"), ("900h", "more than 31 days")],
)  # fmt: skip
def test_since_refused_with_a_reason(text, reason):
    with pytest.raises(ValueError, match=reason):
        parse_since(text, NOW)


def test_gap_at_start_from_the_last_heartbeat(redis_client):
    now = NOW.timestamp()
    assert gap_at_start(redis_client, now) is None, "no heartbeat (Redis emptied): nothing known"
    record_sweep(redis_client, now - 30)
    assert gap_at_start(redis_client, now) is None, "a restart within the phone's retries"
    record_sweep(redis_client, now - 3600)
    assert gap_at_start(redis_client, now) == (now - 3600 - 300, now), "an hour away, plus five minutes' margin"


def test_a_starting_worker_queues_one_recovery_job_for_the_gap(settings, redis_client):
    record_sweep(redis_client, datetime.now(UTC).timestamp() - 3600)
    assert schedule_recovery_at_start(settings, redis_client) is True
    assert schedule_recovery_at_start(settings, redis_client) is False, "a second worker starting at once"
    [job] = queue(redis_client, QUEUE_BULK).get_jobs()
    assert job.func_name == android_recovery.RECOVER_JOB_FUNC
    since, until = job.args
    assert 3600 + 300 - 5 < until - since < 3600 + 300 + 5


def test_a_starting_worker_without_the_android_channel_queues_nothing(env, redis_client):
    from gateway.core.config import load_settings

    settings = load_settings({**env, "ANDROID_GATEWAY_URL": "", "SMS_CHANNEL": ""})
    record_sweep(redis_client, datetime.now(UTC).timestamp() - 3600)
    assert schedule_recovery_at_start(settings, redis_client) is False
    assert queue(redis_client, QUEUE_BULK).count == 0


def test_the_job_with_the_phone_off_fails_in_one_log_line(runtime, fake_phone, caplog):
    fake_phone.stop()
    now = datetime.now(UTC).timestamp()
    assert android_recovery.run_recovery_job(runtime, now - 3600, now) == "failed"
    [line] = [r.getMessage() for r in caplog.records if "android recovery" in r.getMessage()]
    assert "does not answer" in line and PASSWORD not in line


def inbound_rows(runtime) -> list[tuple[str, str]]:
    """(sender, text) of the inbound rows, oldest first."""
    with runtime.db.transaction() as session:
        rows = session.scalars(select(Message).where(Message.direction == Direction.IN).order_by(Message.id))
        return [(row.address, row.body) for row in rows]


def test_an_sms_whose_webhook_ran_out_is_read_from_the_inbox_list_once(env, runtime, directory, phone, redis_client):
    missed = phone.inject_inbound(DEAD_URL, LEADER, "ALERTE 2 dispute au puits", datetime.now(UTC) - timedelta(hours=1))
    assert missed.status == 0, "the gateway was down when the SMS came; the app recorded it all the same"
    old = phone.inject_inbound(DEAD_URL, LEADER, "hors de la fenêtre", datetime.now(UTC) - timedelta(hours=5))
    assert old.status == 0
    result = run(env, "android", "recover", "--since", "2h")
    assert result.exit_code == 0, result.output
    assert "its inbox lists 1 SMS since then: 1 missing here, now stored and handled" in result.output
    [refresh] = [r for r in phone.requests if r.path == "/inbox/refresh"]
    assert refresh.auth_ok and refresh.answered == 202 and refresh.body["triggerWebhooks"] is True
    assert sum(d.status == 200 for d in phone.deliveries) == 0, "v1.68 re-sends nothing the app had recorded"
    assert inbound_rows(runtime) == [(LEADER, "ALERTE 2 dispute au puits")], "the SMS of the gap, not the older one"
    assert intake.waiting(redis_client) == 1, "handed to the workers like a webhook's"
    again = run(env, "android", "recover", "--since", "2h")
    assert again.exit_code == 0 and "1 SMS since then: 0 missing here" in again.output, again.output
    assert len(inbound_rows(runtime)) == 1 and intake.waiting(redis_client) == 1, "recognised, not queued twice"


def test_an_sms_the_app_missed_comes_back_by_its_webhook_and_is_not_stored_twice(env, runtime, directory, phone):
    phone.inject_inbound(DEAD_URL, LEADER, "OUI 12", datetime.now(UTC) - timedelta(minutes=30), app_missed=True)
    result = run(env, "android", "recover", "--since", "1h")
    assert result.exit_code == 0, result.output
    assert sum(d.status == 200 for d in phone.deliveries) == 1, "the refresh emitted it"
    assert "lists 1 SMS since then: 0 missing here" in result.output, "the list found it stored by its webhook"
    assert inbound_rows(runtime) == [(LEADER, "OUI 12")]


def test_an_older_app_replaying_everything_and_the_list_store_each_sms_once(env, runtime, directory, phone):
    phone.refresh_skips_recorded = False  # apps before v1.65.2
    start = datetime.now(UTC) - timedelta(minutes=50)
    for minute, text in enumerate(("ALERTE 1 bruit au marché", "OUI 7", "AIDE")):
        phone.inject_inbound(DEAD_URL, LEADER, text, start + timedelta(minutes=minute))
    assert run(env, "android", "recover", "--since", "1h").exit_code == 0
    assert sum(d.status == 200 for d in phone.deliveries) == 3
    assert inbound_rows(runtime) == [(LEADER, "ALERTE 1 bruit au marché"), (LEADER, "OUI 7"), (LEADER, "AIDE")]


def test_a_long_list_is_read_page_by_page_and_stored_oldest_first(env, runtime, phone, redis_client):
    start = datetime.now(UTC) - timedelta(hours=3)
    texts = [f"message {n}" for n in range(501)]
    for n, text in enumerate(texts):
        phone.inject_inbound(DEAD_URL, f"+2237600{n:04d}", text, start + timedelta(seconds=n))
    result = run(env, "android", "recover", "--since", "4h")
    assert result.exit_code == 0 and "lists 501 SMS since then: 501 missing here" in result.output, result.output
    pages = [r for r in phone.requests if r.path == "/inbox"]
    assert [r.answered for r in pages] == [200, 200]
    assert [body for _, body in inbound_rows(runtime)] == texts
    assert intake.waiting(redis_client) == 501


def test_listed_sms_from_a_name_are_skipped_like_their_webhook(env, runtime, directory, phone):
    phone.inject_inbound(DEAD_URL, "ORANGE", "Votre forfait expire", datetime.now(UTC) - timedelta(minutes=20))
    phone.inject_inbound(DEAD_URL, LEADER, "OUI 12", datetime.now(UTC) - timedelta(minutes=10))
    result = run(env, "android", "recover", "--since", "1h")
    assert result.exit_code == 0 and "lists 2 SMS since then: 1 missing here" in result.output, result.output
    assert inbound_rows(runtime) == [(LEADER, "OUI 12")]


def test_an_app_without_the_inbox_list_still_gets_the_refresh(env, runtime, phone, monkeypatch):
    from bots import android_inbox

    monkeypatch.setattr(android_inbox, "LIST_PATH", "/no-such-list")
    result = run(env, "android", "recover", "--since", "2h")
    assert result.exit_code == 0, result.output
    assert "cannot list its inbox: update it" in result.output
    assert [r.path for r in phone.requests if r.path == "/inbox/refresh"] == ["/inbox/refresh"]


def test_each_recovery_is_audited_with_what_it_found(env, runtime, directory, phone):
    phone.inject_inbound(DEAD_URL, LEADER, "ALERTE 2 dispute au puits", datetime.now(UTC) - timedelta(hours=1))
    assert run(env, "android", "recover", "--since", "2h").exit_code == 0
    with runtime.db.transaction() as session:
        [entry] = session.scalars(select(AuditEntry).where(AuditEntry.action == "android_recover"))
        assert "listed 1, stored 1" in entry.detail and LEADER not in entry.detail


@pytest.mark.parametrize(
    "args,extra,expected",
    [
        (("--since", "yesterday"), {}, "expected an ISO time"),
        (("--since", "2026-01-01T00:00"), {}, "more than 31 days"),
        (("--since", "2h"), {"ANDROID_GATEWAY_PASSWORD": "not-the-password"}, "credentials"),
        (("--since", "2h"), {"ANDROID_GATEWAY_URL": "", "SMS_CHANNEL": ""}, "ANDROID_GATEWAY_URL"),
        ((), {}, "Missing option '--since'"),
    ],
    ids=["bad-since", "too-far", "wrong-password", "channel-off", "no-since"],
)
def test_recover_explains_what_is_wrong_in_one_line(env, phone, args, extra, expected):
    result = run(env, "android", "recover", *args, **extra)
    assert result.exit_code != 0 and expected in result.output, result.output
    assert "Traceback" not in result.output and "not-the-password" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error")]
    assert len(errors) == 1


def test_recover_with_the_phone_off(env, phone):
    phone.stop()
    result = run(env, "android", "recover", "--since", "2h")
    assert result.exit_code == 1 and "does not answer" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_recover_falls_back_to_the_older_export(env, phone, monkeypatch):
    from bots import android_inbox

    monkeypatch.setattr(android_inbox, "REFRESH_PATH", "/no-such-route")
    result = run(env, "android", "recover", "--since", "2h")
    assert result.exit_code == 0, result.output
    assert [r.path for r in phone.requests if r.method == "POST"][-2:] == ["/no-such-route", "/messages/inbox/export"]
