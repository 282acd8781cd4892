"""`gateway android register-webhooks|status` as an administrator runs them, against the fake phone: what the phone
is told (seven webhooks under fixed ids, idempotent), what the status shows, and one clear line when something is off.
"""

from __future__ import annotations

import httpx
import pytest
from click.testing import CliRunner
from sqlalchemy import select

from gateway.cli import main
from gateway.messaging.outbox import queue_message
from gateway.models import Contact, MessageStatus
from tests.fakes.android_phone import PASSWORD, USER

PUBLIC_BASE_URL = "https://gw.example.org"
WEBHOOK_URL = PUBLIC_BASE_URL + "/webhooks/android"
EXPECTED_HOOKS = {
    "gateway-sms-received": "sms:received",
    "gateway-sms-sent": "sms:sent",
    "gateway-sms-delivered": "sms:delivered",
    "gateway-sms-failed": "sms:failed",
    "gateway-sms-data-received": "sms:data-received",  # what a person sends besides SMS (docs/media.md)
    "gateway-mms-received": "mms:received",
    "gateway-mms-downloaded": "mms:downloaded",
}


@pytest.fixture
def env(base_env, fake_phone) -> dict[str, str]:
    """The test gateway with the fake phone as its SMS channel and a public URL the phone can call."""
    return {**base_env, **fake_phone.env(), "PUBLIC_BASE_URL": PUBLIC_BASE_URL}


# The commands configure logging on the root logger: conftest's `restore_logging` puts it back after each test.
pytestmark = pytest.mark.usefixtures("restore_logging")


@pytest.fixture
def run(env):
    """Invoke the real `gateway` command with the test environment (plus `extra`)."""
    runner = CliRunner()

    def invoke(*args: str, **extra: str):
        return runner.invoke(main, list(args), env={**env, **extra})

    return invoke


def assert_one_line_failure(result) -> str:
    """Non-zero exit, no traceback, one `Error:` line and nothing else; return that line."""
    assert result.exit_code != 0, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    assert "Traceback" not in result.output and PASSWORD not in result.output
    return lines[0]


def hooks(fake) -> dict[str, tuple[str, str]]:
    """The phone's webhooks: id → (event, url)."""
    return {h["id"]: (h["event"], h["url"]) for h in fake.webhooks.values()}


def test_register_webhooks_puts_seven_fixed_ids_on_the_phone(run, fake_phone):
    result = run("android", "register-webhooks")
    assert result.exit_code == 0, result.output
    assert WEBHOOK_URL in result.output
    assert hooks(fake_phone) == {hook_id: (event, WEBHOOK_URL) for hook_id, event in EXPECTED_HOOKS.items()}
    posts = [r for r in fake_phone.requests if r.path == "/webhooks"]
    assert [(r.method, r.auth_ok, r.answered) for r in posts] == [("POST", True, 201)] * len(EXPECTED_HOOKS)


def test_register_webhooks_twice_still_leaves_seven(run, fake_phone):
    assert run("android", "register-webhooks").exit_code == 0
    result = run("android", "register-webhooks")
    assert result.exit_code == 0, result.output
    assert len(fake_phone.webhooks) == 7 and set(fake_phone.webhooks) == set(EXPECTED_HOOKS)


def test_register_webhooks_replaces_an_old_url(run, fake_phone):
    run("android", "register-webhooks", PUBLIC_BASE_URL="https://old.example.org")
    run("android", "register-webhooks")
    assert {url for _, url in hooks(fake_phone).values()} == {WEBHOOK_URL}


@pytest.mark.parametrize(
    "extra,expected",
    [
        ({"PUBLIC_BASE_URL": ""}, "PUBLIC_BASE_URL"),
        ({"ANDROID_GATEWAY_SIGNING_KEY": ""}, "ANDROID_GATEWAY_SIGNING_KEY"),
        ({"ANDROID_GATEWAY_PASSWORD": "not-the-password"}, "credentials"),
        ({"PUBLIC_BASE_URL": "http://192.168.1.20:8000"}, "answered 400"),
        ({"ANDROID_GATEWAY_URL": "", "SMS_CHANNEL": ""}, "ANDROID_GATEWAY_URL"),
    ],
    ids=["no-public-url", "no-signing-key", "wrong-password", "lan-http-url", "channel-off"],
)
def test_register_webhooks_explains_what_is_wrong_in_one_line(run, fake_phone, extra, expected):
    line = assert_one_line_failure(run("android", "register-webhooks", **extra))
    assert expected in line, line
    assert fake_phone.webhooks == {}


def test_register_webhooks_with_the_phone_down(run, fake_phone):
    fake_phone.stop()
    line = assert_one_line_failure(run("android", "register-webhooks"))
    assert "does not answer" in line


def queue_rows(runtime, statuses: list[str]) -> None:
    """One message per status to SMS leaders on the Android channel, plus one console row that must not count."""
    with runtime.db.transaction() as session:
        leaders = session.scalars(
            select(Contact).where(Contact.role == "leader", Contact.channel == "sms").order_by(Contact.id)
        ).all()
        for contact, status in zip(leaders, statuses, strict=False):
            queue_message(session, runtime, body="Test", contact=contact).status = status
        queue_message(session, runtime, body="Test", channel="console", address=leaders[0].phone)


def test_status_shows_the_phone_answers_and_what_waits(run, runtime, directory, fake_phone):
    queued, sending, sent, failed = MessageStatus.QUEUED, MessageStatus.SENDING, MessageStatus.SENT, "failed"
    queue_rows(runtime, [queued, queued, queued, sending, sent, failed])
    result = run("android", "status")
    assert result.exit_code == 0, result.output
    assert "phone: answers (pass)" in result.output
    assert "waiting in the outbox: 4" in result.output, result.output
    assert "20 SMS parts a minute (+5 for urgent ones)" in result.output
    assert [r.path for r in fake_phone.requests] == ["/health", "/webhooks"], "health, then an authenticated read"
    assert "refuses our credentials" not in result.output


def test_status_says_when_the_phone_refuses_our_credentials(run, env, fake_phone):
    result = run("android", "status", ANDROID_GATEWAY_PASSWORD="not-the-password")
    assert result.exit_code == 0, result.output
    assert "phone: answers" in result.output and "refuses our credentials" in result.output
    assert "not-the-password" not in result.output


def test_status_with_nothing_waiting(run, fake_phone):
    result = run("android", "status")
    assert result.exit_code == 0, result.output
    assert "phone: answers" in result.output and "waiting in the outbox: 0" in result.output


def test_status_with_the_phone_down_still_counts_what_waits(run, runtime, directory, fake_phone):
    queue_rows(runtime, [MessageStatus.QUEUED, MessageStatus.QUEUED])
    fake_phone.stop()
    result = run("android", "status")
    assert result.exit_code == 0, result.output
    assert "phone: does not answer" in result.output and "phone: answers" not in result.output
    assert "waiting in the outbox: 2" in result.output


def test_the_fake_phone_answers_like_the_app(fake_phone):
    """The fake's own contract, as the gateway relies on it (the real app's routes, codes and rules)."""
    assert httpx.get(fake_phone.url + "/health").json()["status"] == "pass", "no auth needed"
    refused = httpx.post(fake_phone.url + "/webhooks", json={}, auth=(USER, "wrong"))
    assert refused.status_code == 401 and "Basic" in refused.headers["WWW-Authenticate"]
    with httpx.Client(base_url=fake_phone.url, auth=(USER, PASSWORD)) as phone:
        send = {"id": "x1", "textMessage": {"text": "Bonjour"}, "phoneNumbers": ["+22371139685"]}
        assert phone.post("/message", json=send).status_code == 202, "/message is an alias"
        assert phone.post("/messages", json=send).status_code == 409
        assert phone.get("/messages/x1").json()["recipients"][0]["phoneNumber"] == "+22371139685"
        assert phone.post("/messages", json={**send, "id": "x2", "dataMessage": {"data": "AA=="}}).status_code == 400
        lan = phone.post("/webhooks", json={"id": "h", "url": "http://192.168.1.20/x", "event": "sms:received"})
        assert lan.status_code == 400 and "message" in lan.json()
        for url in ("http://127.0.0.1:8000/webhooks/android", WEBHOOK_URL):
            assert phone.post("/webhook", json={"id": "h", "url": url, "event": "sms:received"}).status_code == 201
        assert [h["url"] for h in phone.get("/webhooks").json()] == [WEBHOOK_URL], "an upsert on id"
        assert phone.delete("/webhooks/h").status_code == 204 and phone.get("/webhooks").json() == []
