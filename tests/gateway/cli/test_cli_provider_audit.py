"""Changes to a provider's configuration from the CLI are audited (actor `cli:<os user>`) once the provider took
them, never with a secret, and not at all when refused: `android register-webhooks`, `telegram set-webhook` and
`telegram delete-webhook`."""

from __future__ import annotations

import pytest

from tests.fakes.telegram_api import SECRET, TOKEN
from tests.gateway.cli.audit_support import ACTOR, audit, changes, invoker

PUBLIC_BASE_URL = "https://gw.example.org"

pytestmark = pytest.mark.usefixtures("restore_logging")


class TestAndroid:
    @pytest.fixture
    def env(self, base_env, fake_phone):
        return {**base_env, **fake_phone.env(), "PUBLIC_BASE_URL": PUBLIC_BASE_URL}

    def test_register_webhooks_is_audited_with_the_ids_and_the_url(self, env, fake_phone):
        run = invoker(env)
        assert run("android", "register-webhooks").exit_code == 0
        [row] = audit(run)
        assert (row["actor"], row["action"], row["target"]) == (ACTOR, "android_webhooks_register", "android phone")
        assert row["detail"].endswith(f"→ {PUBLIC_BASE_URL}/webhooks/android")
        assert set(row["detail"].split(" → ")[0].split(", ")) == set(fake_phone.webhooks)
        assert fake_phone.signing_key not in str(row) and fake_phone.password not in str(row)

    @pytest.mark.parametrize(
        "extra",
        [{"ANDROID_GATEWAY_SIGNING_KEY": ""}, {"ANDROID_GATEWAY_PASSWORD": "wrong"}, {"PUBLIC_BASE_URL": "http://x"}],
        ids=["no-signing-key", "credentials-refused", "url-refused"],
    )
    def test_a_refused_registration_is_not_audited(self, env, fake_phone, extra):
        run = invoker(env)
        assert run("android", "register-webhooks", **extra).exit_code != 0
        assert fake_phone.webhooks == {} and audit(run) == []


class TestTelegram:
    @pytest.fixture
    def env(self, base_env, fake_telegram):
        return {**base_env, **fake_telegram.env(), "PUBLIC_BASE_URL": PUBLIC_BASE_URL}

    def test_set_and_delete_webhook_are_audited_without_the_secret(self, env, fake_telegram):
        run = invoker(env)
        assert run("telegram", "set-webhook").exit_code == 0
        assert run("telegram", "delete-webhook").exit_code == 0
        rows = audit(run)
        assert changes(run) == [
            (ACTOR, "telegram_webhook_set", "telegram bot"),
            (ACTOR, "telegram_webhook_delete", "telegram bot"),
        ]
        assert rows[0]["detail"] == f"{PUBLIC_BASE_URL}/webhooks/telegram"
        assert SECRET not in str(rows) and TOKEN not in str(rows)

    @pytest.mark.parametrize(
        ("command", "extra"),
        [
            ("set-webhook", {"PUBLIC_BASE_URL": "http://gw.example.org"}),
            ("set-webhook", {"TELEGRAM_BOT_TOKEN": "654321:XYZ-not_the_token"}),
            ("delete-webhook", {"TELEGRAM_BOT_TOKEN": "654321:XYZ-not_the_token"}),
            ("delete-webhook", {"TELEGRAM_BOT_TOKEN": ""}),
        ],
        ids=["set-http-url", "set-token-refused", "delete-token-refused", "delete-telegram-off"],
    )
    def test_a_refused_webhook_change_is_not_audited(self, env, fake_telegram, command, extra):
        run = invoker(env)
        assert run("telegram", command, **extra).exit_code != 0
        assert audit(run) == []
