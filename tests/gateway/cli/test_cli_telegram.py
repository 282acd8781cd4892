"""`gateway telegram set-webhook|delete-webhook|poll` and `gateway contacts telegram-link` as an administrator runs
them, against a fake Bot API: what Telegram is told, what polling stores, and one clear line when something is off.
"""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from gateway.cli import main
from gateway.directory.telegram_identity import LINK_CODE_KEY
from gateway.models import Alert, Contact, Direction, Message
from tests.fakes.telegram_api import SECRET, SECRET_HEADER, TOKEN, telegram_update
from tests.inbound_jobs import handle_job_ids, handle_queued

PUBLIC_BASE_URL = "https://gw.example.org"
WEBHOOK_URL = PUBLIC_BASE_URL + "/webhooks/telegram"
MAMADOU = "+22371139685"  # Mamadou Dembélé, leader at Kotaka: in the directory, no Telegram account yet
ONESHOT = "ALERTE 3 des hommes armés au marché de Socoura"  # from Seydou Togo, linked to Telegram


@pytest.fixture
def env(base_env, fake_telegram) -> dict[str, str]:
    """The test gateway with its Telegram channel pointed at the fake Bot API."""
    return {**base_env, **fake_telegram.env()}


# The commands configure logging on the root logger: conftest's `restore_logging` puts it back after each test.
pytestmark = pytest.mark.usefixtures("restore_logging")


@pytest.fixture
def run(env):
    """Invoke the real `gateway` command with the test environment plus PUBLIC_BASE_URL (and `extra`)."""
    runner = CliRunner()

    def invoke(*args: str, **extra: str):
        return runner.invoke(main, list(args), env={**env, "PUBLIC_BASE_URL": PUBLIC_BASE_URL, **extra})

    return invoke


def assert_one_line_failure(result) -> str:
    """Non-zero exit, no traceback, one `Error:` line and nothing else; return that line."""
    assert result.exit_code != 0, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    assert "Traceback" not in result.output and TOKEN not in result.output
    return lines[0]


def test_set_webhook_points_telegram_at_the_public_url(run, fake_telegram):
    result = run("telegram", "set-webhook")
    assert result.exit_code == 0, result.output
    assert WEBHOOK_URL in result.output
    [call] = fake_telegram.calls
    assert (call.method, call.token_ok) == ("setWebhook", True)
    assert call.params["url"] == WEBHOOK_URL and call.params["secret_token"] == SECRET
    assert call.json("allowed_updates") == ["message", "edited_message", "callback_query"]
    assert fake_telegram.webhook_url == WEBHOOK_URL


@pytest.mark.parametrize(
    ("extra", "reason"),
    [
        ({"PUBLIC_BASE_URL": ""}, "PUBLIC_BASE_URL must be an https:// URL"),
        ({"PUBLIC_BASE_URL": "http://gw.example.org"}, "PUBLIC_BASE_URL must be an https:// URL"),
        ({"TELEGRAM_WEBHOOK_SECRET": "not a valid secret!"}, "TELEGRAM_WEBHOOK_SECRET must be 1-256 characters"),
        ({"TELEGRAM_BOT_TOKEN": ""}, "Telegram is off"),
        ({"TELEGRAM_BOT_TOKEN": "654321:XYZ-not_the_token"}, "Telegram refused set_webhook: InvalidToken"),
    ],
    ids=["no PUBLIC_BASE_URL", "http PUBLIC_BASE_URL", "bad secret", "no token", "token refused"],
)
def test_set_webhook_refuses_with_one_line(run, fake_telegram, extra, reason):
    line = assert_one_line_failure(run("telegram", "set-webhook", **extra))
    assert reason in line
    assert fake_telegram.webhook_url == ""
    assert "654321:XYZ-not_the_token" not in line


def test_delete_webhook(run, fake_telegram):
    fake_telegram.webhook_url = WEBHOOK_URL
    result = run("telegram", "delete-webhook")
    assert result.exit_code == 0, result.output
    assert [c.method for c in fake_telegram.calls] == ["deleteWebhook"]
    assert fake_telegram.webhook_url == ""


def test_poll_refuses_while_a_webhook_is_set(run, fake_telegram, runtime, directory):
    fake_telegram.webhook_url = WEBHOOK_URL
    fake_telegram.queue_updates(telegram_update("text", text=ONESHOT))
    line = assert_one_line_failure(run("telegram", "poll", "--once"))
    assert "delete-webhook" in line
    assert [c.method for c in fake_telegram.calls] == ["getWebhookInfo"]
    with runtime.db.transaction() as session:
        assert session.scalars(select(Message)).all() == []


def stored(runtime) -> tuple[list[Message], list[Alert]]:
    """The inbound messages and the alerts, oldest first."""
    with runtime.db.transaction() as session:
        inbound = session.scalars(select(Message).where(Message.direction == Direction.IN).order_by(Message.id)).all()
        return list(inbound), list(session.scalars(select(Alert).order_by(Alert.id)))


def test_poll_once_feeds_updates_to_the_pipeline_once(run, fake_telegram, runtime, directory):
    update = telegram_update("text", text=ONESHOT)
    fake_telegram.queue_updates(update, update)  # the same update delivered twice
    result = run("telegram", "poll", "--once")
    assert result.exit_code == 0, result.output
    [poll, confirm] = fake_telegram.calls_to("getUpdates")
    assert float(poll.params.get("timeout", 0)) == 0, "--once must not long-poll"
    assert poll.json("allowed_updates") == ["message", "edited_message", "callback_query"]
    assert int(confirm.params["offset"]) == update["update_id"] + 1, "what was handled is confirmed to Telegram"
    assert handle_queued(runtime) == 1, "stored once, handled by one job"

    inbound, alerts = stored(runtime)
    assert [(m.channel, m.provider_id, m.body) for m in inbound] == [("telegram", str(update["update_id"]), ONESHOT)]
    with runtime.db.transaction() as session:
        seydou = session.scalar(select(Contact.id).where(Contact.telegram_id == 1445857208))
    assert [(a.reporter_id, a.severity, a.source) for a in alerts] == [(seydou, 3, "oneshot")]

    fake_telegram.queue_updates(update)  # delivered once more anyway (a lost confirmation)
    again = run("telegram", "poll", "--once")
    assert again.exit_code == 0, again.output
    assert handle_job_ids(runtime) == [], "a replay queues nothing"
    inbound_again, alerts_again = stored(runtime)
    assert [m.id for m in inbound_again] == [m.id for m in inbound] and [a.id for a in alerts_again] == [alerts[0].id]


def test_poll_once_with_nothing_waiting(run, fake_telegram, runtime, directory):
    result = run("telegram", "poll", "--once")
    assert result.exit_code == 0, result.output
    assert "0 update(s) handled" in result.output
    assert [c.method for c in fake_telegram.calls] == ["getWebhookInfo", "getUpdates"]


def test_telegram_link_prints_a_one_time_code(run, runtime, directory, redis_client, client):
    result = run("contacts", "telegram-link", "71 13 96 85")
    assert result.exit_code == 0, result.output
    match = re.search(r"/start ([0-9a-f]+)", result.output)
    assert match, result.output
    code = match.group(1)
    assert f"code for Mamadou Dembélé: {code}" in result.output
    with runtime.db.transaction() as session:
        mamadou = session.scalar(select(Contact.id).where(Contact.phone == MAMADOU))
    assert redis_client.get(LINK_CODE_KEY + code) == str(mamadou).encode()

    start = telegram_update("start_code", text=f"/start {code}")
    response = client.post("/webhooks/telegram", data=json.dumps(start), content_type="application/json",
                           headers={SECRET_HEADER: SECRET})  # fmt: skip
    assert response.status_code == 200
    handle_queued(runtime)
    with runtime.db.transaction() as session:
        assert session.get(Contact, mamadou).telegram_id == start["message"]["from"]["id"]
    assert redis_client.get(LINK_CODE_KEY + code) is None, "the code can be used again"


@pytest.mark.parametrize(
    ("phone", "reason"),
    [("+22370000001", "is not in the directory"), ("not-a-phone", "'not-a-phone'")],
    ids=["unknown phone", "not a phone"],
)
def test_telegram_link_refuses_with_one_line(run, directory, redis_client, phone, reason):
    line = assert_one_line_failure(run("contacts", "telegram-link", phone))
    assert reason in line and "70000001" not in line, "the number is masked"
    assert redis_client.keys(LINK_CODE_KEY + "*") == []
