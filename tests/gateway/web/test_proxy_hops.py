"""PROXY_HOPS: how many reverse proxies' X-Forwarded-* headers the web process trusts. Behind the documented proxy
(1, the default) the client's address comes from X-Forwarded-For; reached directly (0) the headers are ignored, so
a forged X-Forwarded-For cannot dodge the login throttle's count per address."""

from __future__ import annotations

import pytest

from gateway.core.config import ConfigError, load_settings
from gateway.staff import login_throttle
from tests.gateway.console.auth_support import add_staff, audit_rows, post


def wrong_login(client, email: str, forged: str):
    """A wrong password from 127.0.0.1, claiming to come from `forged`."""
    form = {"email": email, "password": "not the password"}
    return post(client, "/console/login", form, environ_base={"REMOTE_ADDR": "127.0.0.1"},
                headers={"X-Forwarded-For": forged})  # fmt: skip


def test_behind_one_proxy_the_address_comes_from_x_forwarded_for(runtime, directory, client):
    assert runtime.settings.proxy_hops == 1
    assert wrong_login(client, "awa@example.org", "10.9.9.9").status_code == 401
    assert [e.detail for e in audit_rows(runtime, "login_failed")] == ["from 10.9.9.9"]


class TestReachedDirectly:
    """PROXY_HOPS=0: gunicorn faces the clients itself."""

    @pytest.fixture
    def env(self, base_env):
        return {**base_env, "PROXY_HOPS": "0"}

    def test_a_forged_x_forwarded_for_does_not_change_the_address(self, runtime, directory, client):
        assert wrong_login(client, "awa@example.org", "10.9.9.9").status_code == 401
        assert [e.detail for e in audit_rows(runtime, "login_failed")] == ["from 127.0.0.1"]

    def test_a_new_forged_address_each_time_is_still_throttled(self, runtime, directory, client):
        add_staff(runtime, "awa@example.org")
        for n in range(login_throttle.PER_ADDRESS):
            assert wrong_login(client, f"guess{n}@example.org", f"10.0.0.{n}").status_code == 401
        assert wrong_login(client, "awa@example.org", "10.0.1.1").status_code == 429


@pytest.mark.parametrize("raw", ["-1", "one"])
def test_proxy_hops_must_be_a_whole_number_from_zero(base_env, raw):
    with pytest.raises(ConfigError, match="PROXY_HOPS"):
        load_settings(env={**base_env, "PROXY_HOPS": raw})
