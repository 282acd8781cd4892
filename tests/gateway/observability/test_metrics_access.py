"""Who may read `/metrics`, as a table: with METRICS_TOKEN set only its bearer (401 with `WWW-Authenticate: Bearer`
otherwise); without one, only a client on this machine that no proxy forwarded (403 otherwise), whatever
X-Forwarded-For claims when PROXY_HOPS trusts it."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from gateway.core.config import ConfigError, load_settings

TOKEN = "m3tr1cs-t0ken-for-tests-0123456789"
REMOTE = "203.0.113.7"  # a client elsewhere on the Internet (TEST-NET-3)


@dataclass(frozen=True)
class Case:
    """One scrape: the gateway's token, the socket peer, the headers; what it gets."""

    label: str
    token: str | None
    peer: str
    headers: dict[str, str] = field(default_factory=dict)
    proxy_hops: int = 1
    status: int = 200
    reason: str = ""


CASES = [
    Case("token: the right bearer", TOKEN, REMOTE, {"Authorization": f"Bearer {TOKEN}"}),
    Case("token: the right bearer, scheme in lower case", TOKEN, REMOTE, {"Authorization": f"bearer {TOKEN}"}),
    Case("token: a wrong bearer", TOKEN, REMOTE, {"Authorization": "Bearer not-the-token"}, status=401,
         reason="wrong metrics token"),
    Case("token: the token's prefix", TOKEN, REMOTE, {"Authorization": f"Bearer {TOKEN[:-1]}"}, status=401),
    Case("token: missing", TOKEN, REMOTE, status=401, reason="bearer token is required"),
    Case("token: Basic instead of Bearer", TOKEN, REMOTE, {"Authorization": f"Basic {TOKEN}"}, status=401),
    Case("token: loopback still needs it", TOKEN, "127.0.0.1", status=401),
    Case("no token: loopback peer", None, "127.0.0.1"),
    Case("no token: IPv6 loopback peer", None, "::1"),
    Case("no token: remote peer", None, REMOTE, status=403, reason="this machine only"),
    Case("no token: remote peer claiming 127.0.0.1 (trusted proxy hop)", None, REMOTE,
         {"X-Forwarded-For": "127.0.0.1"}, status=403, reason="this machine only"),
    Case("no token: remote peer claiming 127.0.0.1 (no proxy trusted)", None, REMOTE,
         {"X-Forwarded-For": "127.0.0.1"}, proxy_hops=0, status=403),
    Case("no token: a proxy on this machine forwarding someone", None, "127.0.0.1",
         {"X-Forwarded-For": REMOTE}, status=403),
    Case("no token: a proxy on this machine forwarding 127.0.0.1", None, "127.0.0.1",
         {"X-Forwarded-For": "127.0.0.1"}, status=403),
    Case("no token: a proxy using Forwarded", None, "127.0.0.1", {"Forwarded": "for=203.0.113.7"}, status=403),
    Case("no token: a proxy using X-Real-IP", None, "127.0.0.1", {"X-Real-IP": REMOTE}, status=403),
]  # fmt: skip


@pytest.fixture
def case(request) -> Case:
    """The row under test."""
    return request.param


@pytest.fixture
def env(base_env, case) -> dict[str, str]:
    """The test gateway with the row's token and proxy hops."""
    out = {**base_env, "PROXY_HOPS": str(case.proxy_hops)}
    return {**out, "METRICS_TOKEN": case.token} if case.token else out


@pytest.mark.parametrize("case", CASES, ids=[c.label for c in CASES], indirect=True)
def test_who_may_scrape(client, case):
    response = client.get("/metrics", headers=case.headers, environ_base={"REMOTE_ADDR": case.peer})
    assert response.status_code == case.status, response.get_data(as_text=True)
    if case.status == 200:
        assert response.content_type.startswith("text/plain")
        assert "gateway_outbox_messages" in response.get_data(as_text=True)
        assert response.headers["Cache-Control"] == "no-store"
        return
    body = response.get_json()
    assert case.reason in body["reason"] and "gateway_" not in response.get_data(as_text=True)
    if case.status == 401:
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    else:
        assert "METRICS_TOKEN" in body["reason"]


def test_a_short_token_is_refused_at_start(base_env):
    with pytest.raises(ConfigError, match="METRICS_TOKEN must have at least 16 characters"):
        load_settings(env={**base_env, "METRICS_TOKEN": "short"})
