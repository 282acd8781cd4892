"""Login throttling: five failures of one account, or twenty from one address, in 15 minutes stop the logins —
even with the right password — with a 429 page that says how long to wait; the refusals are audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from gateway.models import AuditEntry
from gateway.staff import login_throttle
from tests.gateway.console.auth_support import add_staff, audit_rows, log_in


def fail(client, email: str, times: int, address: str = "127.0.0.1") -> None:
    """`times` wrong passwords for `email` from `address`."""
    for _ in range(times):
        answer = log_in(client, email, "not the password", address=address)
        assert answer.status_code == 401


def age_failures(runtime, minutes: int) -> None:
    """Pretend the failures so far happened `minutes` earlier."""
    with runtime.db.transaction() as db:
        for entry in db.scalars(select(AuditEntry)):
            entry.at -= timedelta(minutes=minutes)


@pytest.fixture
def awa(runtime, directory):
    """An officer's account."""
    add_staff(runtime, "awa@example.org")
    return "awa@example.org"


def test_five_failures_of_an_account_stop_even_the_right_password(runtime, awa, client):
    fail(client, awa, login_throttle.PER_ACCOUNT)
    refused = log_in(client, awa, address="10.1.1.1", language="en")  # from anywhere else too
    assert refused.status_code == 429
    assert "Too many login attempts: try again in 15 minute(s)." in refused.get_data(as_text=True)
    assert int(refused.headers["Retry-After"]) == 15 * 60
    assert client.get("/console/").status_code == 302  # no session started
    throttled = audit_rows(runtime, "login_throttled")
    assert [(e.actor, e.detail) for e in throttled] == [(awa, "from 10.1.1.1")]
    assert audit_rows(runtime, "login") == []


def test_four_failures_do_not_stop_the_owner(runtime, awa, client):
    fail(client, awa, login_throttle.PER_ACCOUNT - 1)
    assert log_in(client, awa).status_code == 302


def test_the_throttle_lifts_when_the_failures_are_older_than_15_minutes(runtime, awa, client):
    fail(client, awa, login_throttle.PER_ACCOUNT)
    age_failures(runtime, 10)
    refused = log_in(client, awa)
    assert refused.status_code == 429 and "dans 5 minute(s)" in refused.get_data(as_text=True)
    age_failures(runtime, 6)
    assert log_in(client, awa).status_code == 302


def test_an_unknown_account_is_throttled_exactly_like_a_real_one(runtime, awa, client):
    fail(client, awa, login_throttle.PER_ACCOUNT)
    fail(client, "ghost@example.org", login_throttle.PER_ACCOUNT)
    real = log_in(client, awa, "still wrong")
    ghost = log_in(client, "ghost@example.org", "still wrong")
    assert real.status_code == ghost.status_code == 429
    assert [e.actor for e in audit_rows(runtime, "login_throttled")] == [awa, "ghost@example.org"]


def test_twenty_failures_from_one_address_stop_every_account_from_there(runtime, awa, client):
    for n in range(login_throttle.PER_ADDRESS):
        fail(client, f"guess{n}@example.org", 1, address="10.9.9.9")
    assert log_in(client, awa, address="10.9.9.9").status_code == 429
    assert client.get("/console/").status_code == 302
    assert log_in(client, awa, address="10.2.2.2").status_code == 302  # the owner, from their own office


def test_a_throttled_attempt_does_not_count_as_a_failure(runtime, awa, client):
    """Else every refused try would push the end of the wait further away."""
    fail(client, awa, login_throttle.PER_ACCOUNT)
    for _ in range(3):
        assert log_in(client, awa, "wrong again").status_code == 429
    assert len(audit_rows(runtime, "login_failed")) == login_throttle.PER_ACCOUNT
    age_failures(runtime, 16)
    assert log_in(client, awa).status_code == 302
