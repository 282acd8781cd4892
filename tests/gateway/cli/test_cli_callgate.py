"""`gateway callgate register-webhooks|status` as an administrator runs them, against the fake CallGate phone: three
webhooks under fixed ids (idempotent), a status that says what is missing and exits non-zero when a person is
needed, and one clear line when something is off."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from gateway.cli import main
from tests.fakes.callgate_phone import PASSWORD

PUBLIC_BASE_URL = "https://gw.example.org"
WEBHOOK_URL = PUBLIC_BASE_URL + "/webhooks/callgate"
EXPECTED_HOOKS = {
    "gateway-call-ringing": ("call:ringing", WEBHOOK_URL),
    "gateway-call-started": ("call:started", WEBHOOK_URL),
    "gateway-call-ended": ("call:ended", WEBHOOK_URL),
}

# The commands configure logging on the root logger: conftest's `restore_logging` puts it back after each test.
pytestmark = pytest.mark.usefixtures("restore_logging")


@pytest.fixture
def env(base_env, fake_callgate) -> dict[str, str]:
    """The test gateway with the fake phone's CallGate and a public URL the phone can call."""
    return {**base_env, **fake_callgate.env(), "PUBLIC_BASE_URL": PUBLIC_BASE_URL}


@pytest.fixture
def run(env):
    """Invoke the real `gateway` command with the test environment (plus `extra`)."""
    runner = CliRunner()
    return lambda *args, **extra: runner.invoke(main, list(args), env={**env, **extra})


def hooks(fake) -> dict[str, tuple[str, str]]:
    """The phone's webhooks: id → (event, url)."""
    return {h["id"]: (h["event"], h["url"]) for h in fake.webhooks.values()}


def one_line_failure(result) -> str:
    """Non-zero exit, no traceback, one `Error:` line and nothing else; return that line."""
    assert result.exit_code != 0, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    assert "Traceback" not in result.output and PASSWORD not in result.output
    return lines[0]


def test_register_webhooks_puts_three_fixed_ids_on_the_phone_idempotently(run, fake_callgate):
    for _ in range(2):
        result = run("callgate", "register-webhooks")
        assert result.exit_code == 0, result.output
        assert WEBHOOK_URL in result.output
    assert hooks(fake_callgate) == EXPECTED_HOOKS
    posts = [r for r in fake_callgate.requests if r.path == "/api/v1/webhooks" and r.method == "POST"]
    assert [(r.auth_ok, r.answered) for r in posts] == [(True, 201)] * 6


def test_status_after_registering_is_clean(run, fake_callgate):
    run("callgate", "register-webhooks")
    result = run("callgate", "status")
    assert result.exit_code == 0, result.output
    assert "phone: answers" in result.output
    assert all(f"webhook {event}: registered" in result.output for event, _ in EXPECTED_HOOKS.values())
    assert "last call event received: never" in result.output


def test_status_names_a_missing_webhook_and_exits_non_zero(run, fake_callgate):
    run("callgate", "register-webhooks")
    fake_callgate.webhooks.pop("gateway-call-ended")
    result = run("callgate", "status")
    assert result.exit_code == 1 and "webhook call:ended: missing" in result.output


def test_status_when_the_phone_is_off(run, fake_callgate):
    fake_callgate.stop()
    result = run("callgate", "status")
    assert result.exit_code == 1 and "phone: does not answer" in result.output


@pytest.mark.parametrize(
    ("args", "extra", "expected"),
    [
        (("register-webhooks",), {"CALLGATE_PASSWORD": "wrong"}, "refused our credentials"),
        (("status",), {"CALLGATE_URL": ""}, "missed calls are off"),
        (("register-webhooks",), {"PUBLIC_BASE_URL": ""}, "set PUBLIC_BASE_URL"),
        (("register-webhooks",), {"PUBLIC_BASE_URL": "http://10.0.0.5:8000"}, "must be https://"),
    ],
    ids=["wrong-password", "off", "no-public-url", "lan-http-url"],
)
def test_misuse_is_one_line(run, args, extra, expected):
    assert expected in one_line_failure(run("callgate", *args, **extra))


def test_phone_off_at_registration_is_one_line(run, fake_callgate):
    fake_callgate.stop()
    assert "does not answer at CALLGATE_URL" in one_line_failure(run("callgate", "register-webhooks"))


def test_signing_key_is_required_with_the_url(run):
    result = run("callgate", "status", CALLGATE_SIGNING_KEY="")
    assert result.exit_code != 0 and "CALLGATE_SIGNING_KEY" in result.output and "Traceback" not in result.output
