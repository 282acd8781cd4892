"""`gateway users reset-2fa EMAIL`: for someone who lost their phone and their recovery codes. The second factor is
gone (secret, recovery codes, last step), the account's open console sessions end, an admin must enrol again at
the next login, and the reset is audited; an unknown account or one without a second factor is one `Error:` line."""

from __future__ import annotations

import pytest

from tests.gateway.cli.audit_support import ACTOR, audit, changes, invoker
from tests.gateway.cli.test_users import one_error_line
from tests.gateway.console.auth_support import add_staff, code_now, log_in, user

ENROL = "/console/account/2fa"


@pytest.fixture
def run(env):
    return invoker(env)


def test_reset_ends_the_sessions_and_the_admin_enrols_again(run, runtime, directory, client, app):
    factor = add_staff(runtime, "boss@example.org", role="admin", totp=True)
    assert log_in(client, "boss@example.org", otp=code_now(factor.secret)).status_code == 302
    assert client.get("/console/").status_code == 200
    assert user(runtime, "boss@example.org").totp_last_step is not None
    result = run("users", "reset-2fa", "Boss@Example.org")
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "second factor of boss@example.org removed; their console sessions end; "
        "they must set up a new one at their next login\n"
    )
    account = user(runtime, "boss@example.org")
    assert (account.totp_secret, account.recovery_codes, account.totp_last_step) == (None, None, None)
    ended = client.get("/console/").headers["Location"]
    assert ended.startswith("/console/login") and "ended=1" in ended, "the open session ended"
    again = app.test_client()
    assert log_in(again, "boss@example.org", otp=factor.codes[0]).headers["Location"].endswith(ENROL)
    assert again.get("/console/").headers["Location"].endswith(ENROL), "nothing opens before a new enrolment"
    [row] = [r for r in audit(run) if r["action"] == "user_reset_2fa"]
    assert (row["actor"], row["target"], row["detail"]) == (ACTOR, "boss@example.org", "10 recovery code(s) dropped")


def test_an_officer_may_go_on_without_one(run, runtime, directory):
    add_staff(runtime, "awa@example.org", totp=True)
    result = run("users", "reset-2fa", "awa@example.org")
    assert result.stdout.endswith("their console sessions end; they may set up a new one\n")
    assert changes(run) == [(ACTOR, "user_reset_2fa", "awa@example.org")]


def test_an_unknown_account_or_one_without_a_second_factor_is_one_line(run, runtime, directory):
    add_staff(runtime, "awa@example.org")
    assert one_error_line(run("users", "reset-2fa", "nobody@example.org")) == "no account for 'nobody@example.org'"
    assert one_error_line(run("users", "reset-2fa", "awa@example.org")) == "awa@example.org has no second factor"
    assert audit(run) == []
    assert run("users", "list", "--format", "json").stdout.count('"two_factor": "off"') == 1
