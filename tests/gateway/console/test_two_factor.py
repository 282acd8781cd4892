"""The TOTP second factor: admins must enrol before anything else, a code is asked after the password, a code
cannot be replayed, a recovery code works once; CONSOLE_REQUIRE_2FA=all extends the rule to everyone."""

from __future__ import annotations

import re

import pytest

from tests.gateway.console.auth_support import (
    PASSWORD,
    add_staff,
    audit_rows,
    code_now,
    csrf_token,
    log_in,
    next_code,
    post,
    user,
)

ENROL = "/console/account/2fa"


def enrol(client) -> list[str]:
    """Scan (read the secret from the page), confirm with a code; the recovery codes shown once."""
    page = client.get(ENROL).get_data(as_text=True)
    assert 'src="data:image/svg+xml' in page  # the QR code, inline: no request to anyone else
    secret = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', page).group(1).replace(" ", "")
    done = post(client, ENROL, {"code": code_now(secret)}, token_from=ENROL)
    assert done.status_code == 200
    return re.findall(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>", done.get_data(as_text=True))


def test_an_admin_without_totp_must_enrol_before_seeing_anything(runtime, directory, client):
    add_staff(runtime, "boss@example.org", role="admin")
    answer = log_in(client, "boss@example.org")
    assert answer.status_code == 302 and answer.headers["Location"].endswith(ENROL)
    for path in ("/console/", "/console/audit", "/console/account", "/console/login"):
        elsewhere = client.get(path)
        assert elsewhere.status_code == 302 and elsewhere.headers["Location"].endswith(ENROL), path
    wrong = post(client, ENROL, {"code": "000000"}, token_from=ENROL)
    assert wrong.status_code == 422 and user(runtime, "boss@example.org").totp_secret is None
    codes = enrol(client)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert client.get("/console/audit").status_code == 200
    assert client.get(ENROL).get_data(as_text=True).count("<code>") == 0  # shown once, never again
    stored = user(runtime, "boss@example.org").recovery_codes
    assert not any(code in stored or code.replace("-", "") in stored for code in codes)  # kept hashed
    assert [e.actor for e in audit_rows(runtime, "2fa_enrolled")] == ["boss@example.org"]


def test_the_enrolment_secret_is_the_one_the_page_showed(runtime, directory, client):
    """A code made with another secret (the user's own choice, or a stale page) does not enrol."""
    add_staff(runtime, "boss@example.org", role="admin")
    log_in(client, "boss@example.org")
    client.get(ENROL)
    other = add_staff(runtime, "other@example.org", role="admin", totp=True)
    assert post(client, ENROL, {"code": code_now(other.secret)}, token_from=ENROL).status_code == 422


def test_an_officer_may_go_without_a_second_factor_by_default(runtime, directory, client):
    add_staff(runtime, "awa@example.org")
    assert log_in(client, "awa@example.org").headers["Location"].endswith("/console/")
    assert client.get("/console/").status_code == 200


def test_with_totp_the_password_alone_leads_to_the_code_step(runtime, directory, client):
    factor = add_staff(runtime, "awa@example.org", totp=True)
    step = log_in(client, "awa@example.org")
    assert step.status_code == 200 and 'name="otp"' in step.get_data(as_text=True)
    assert 'name="password"' not in step.get_data(as_text=True)
    assert client.get("/console/").headers["Location"].endswith("/console/login")
    assert 'name="otp"' in client.get("/console/login").get_data(as_text=True)
    wrong = post(client, "/console/login", {"otp": "123456" if code_now(factor.secret) != "123456" else "654321"})
    assert wrong.status_code == 401 and client.get("/console/").status_code == 302
    done = post(client, "/console/login", {"otp": code_now(factor.secret)})
    assert done.status_code == 302 and client.get("/console/").status_code == 200
    assert audit_rows(runtime, "login")[-1].detail.endswith("totp")
    assert [e.target for e in audit_rows(runtime, "login_failed")] == ["console second factor"]


def test_email_password_and_code_may_come_in_one_post(runtime, directory, client):
    factor = add_staff(runtime, "awa@example.org", totp=True)
    answer = log_in(client, "awa@example.org", otp=code_now(factor.secret))
    assert answer.status_code == 302 and client.get("/console/").status_code == 200


def test_a_code_cannot_be_used_twice(runtime, directory, client, app):
    factor = add_staff(runtime, "awa@example.org", totp=True)
    code = code_now(factor.secret)
    assert log_in(client, "awa@example.org", otp=code).status_code == 302
    thief = app.test_client()
    replayed = log_in(thief, "awa@example.org", otp=code)
    assert replayed.status_code == 401 and thief.get("/console/").status_code == 302
    assert log_in(thief, "awa@example.org", otp=next_code(factor.secret)).status_code == 302


def test_a_recovery_code_works_once(runtime, directory, client, app):
    factor = add_staff(runtime, "awa@example.org", totp=True)
    code = factor.codes[3]
    log_in(client, "awa@example.org")
    assert post(client, "/console/login", {"otp": code.upper().replace("-", " ")}).status_code == 302
    assert client.get("/console/").status_code == 200
    used = audit_rows(runtime, "2fa_recovery_used")
    assert [(e.actor, e.detail) for e in used] == [("awa@example.org", "9 recovery code(s) left")]
    again = app.test_client()
    assert log_in(again, "awa@example.org", otp=code).status_code == 401
    assert log_in(again, "awa@example.org", otp=factor.codes[4]).status_code == 302


def test_the_code_step_expires_and_asks_for_the_password_again(runtime, directory, client):
    factor = add_staff(runtime, "awa@example.org", totp=True)
    log_in(client, "awa@example.org")
    with client.session_transaction() as cookie:
        cookie["at"] -= 3600
    late = post(client, "/console/login", {"otp": code_now(factor.secret)}, token_from="/console/login")
    assert late.status_code == 302 and "ended=1" in late.headers["Location"]
    assert client.get("/console/").status_code == 302


def test_wrong_codes_are_throttled_like_wrong_passwords(runtime, directory, client):
    factor = add_staff(runtime, "awa@example.org", totp=True)
    log_in(client, "awa@example.org")
    for _ in range(5):
        assert post(client, "/console/login", {"otp": "99999x"}).status_code == 401
    assert post(client, "/console/login", {"otp": code_now(factor.secret)}).status_code == 429
    assert client.get("/console/").status_code == 302


def test_an_officer_may_turn_totp_off_with_the_password_an_admin_may_not(runtime, directory, client, app):
    officer = add_staff(runtime, "awa@example.org", totp=True)
    log_in(client, "awa@example.org", otp=code_now(officer.secret))
    refused = post(client, f"{ENROL}/disable", {"password": "wrong password"}, token_from=ENROL)
    assert refused.status_code == 422 and user(runtime, "awa@example.org").totp_secret
    assert post(client, f"{ENROL}/disable", {"password": PASSWORD}, token_from=ENROL).status_code == 302
    assert user(runtime, "awa@example.org").totp_secret is None
    assert [e.actor for e in audit_rows(runtime, "2fa_disabled")] == ["awa@example.org"]
    admin = add_staff(runtime, "boss@example.org", role="admin", totp=True)
    boss = app.test_client()
    log_in(boss, "boss@example.org", otp=code_now(admin.secret))
    assert 'name="password"' not in boss.get(ENROL).get_data(as_text=True)
    assert post(boss, f"{ENROL}/disable", {"password": PASSWORD}, token_from=ENROL).status_code == 403
    assert user(runtime, "boss@example.org").totp_secret


def test_turning_totp_off_ends_the_other_sessions_not_this_one(runtime, directory, client, app):
    officer = add_staff(runtime, "awa@example.org", totp=True)
    log_in(client, "awa@example.org", otp=code_now(officer.secret))
    other = app.test_client()
    log_in(other, "awa@example.org", otp=officer.codes[0])
    assert other.get("/console/").status_code == 200
    assert post(client, f"{ENROL}/disable", {"password": PASSWORD}, token_from=ENROL).status_code == 302
    assert client.get("/console/").status_code == 200
    assert "ended=1" in other.get("/console/").headers["Location"]


def test_a_session_owing_its_code_cannot_reach_the_enrolment_page(runtime, directory, client):
    """Else a stolen password could replace the second factor with the thief's own."""
    factor = add_staff(runtime, "awa@example.org", totp=True)
    log_in(client, "awa@example.org")
    assert client.get(ENROL).headers["Location"].endswith("/console/login")
    token = csrf_token(client, "/console/login")
    assert client.post(ENROL, data={"csrf_token": token, "code": "123456"}).status_code == 302
    assert user(runtime, "awa@example.org").totp_secret == factor.secret


class TestEveryoneMustEnrol:
    """CONSOLE_REQUIRE_2FA=all."""

    @pytest.fixture
    def env(self, base_env):
        return {**base_env, "CONSOLE_REQUIRE_2FA": "all"}

    def test_an_officer_without_totp_is_sent_to_enrolment(self, runtime, directory, client):
        add_staff(runtime, "awa@example.org")
        assert log_in(client, "awa@example.org").headers["Location"].endswith(ENROL)
        assert client.get("/console/").headers["Location"].endswith(ENROL)
        enrol(client)
        assert client.get("/console/").status_code == 200
