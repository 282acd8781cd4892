"""Logging in to the console: passwords, sessions that end, disabled accounts, CSRF, where the login leads."""

from __future__ import annotations

from gateway.models import utcnow
from gateway.staff.accounts import find_user, hash_password
from tests.gateway.console.auth_support import (
    PASSWORD,
    add_staff,
    audit_rows,
    csrf_token,
    log_in,
    post,
)


def test_the_right_password_opens_the_console_and_is_audited(runtime, directory, client):
    add_staff(runtime, "awa@example.org")
    answer = log_in(client, "Awa@Example.org ")
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/console/")
    assert client.get("/console/").status_code == 200
    logins = audit_rows(runtime, "login")
    assert [(e.actor, e.target) for e in logins] == [("awa@example.org", "console")]
    assert logins[0].detail.startswith("from 127.0.0.1")


def test_a_wrong_password_and_an_unknown_email_get_the_same_answer(runtime, directory, client):
    add_staff(runtime, "awa@example.org")
    wrong = log_in(client, "awa@example.org", "not the password")
    unknown = log_in(client, "nobody@example.org", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    strip = lambda page: csrf_free(page.get_data(as_text=True))  # noqa: E731 - the token differs, nothing else
    assert strip(wrong) == strip(unknown)
    assert "E-mail ou mot de passe incorrect" in wrong.get_data(as_text=True)
    assert client.get("/console/").status_code == 302
    assert [e.actor for e in audit_rows(runtime, "login_failed")] == ["awa@example.org", "nobody@example.org"]


def csrf_free(html: str) -> str:
    """A page without its CSRF tokens (random per session)."""
    import re

    return re.sub(r'(value|content)="[^"]{40,}"', "", html)


def test_a_disabled_account_cannot_log_in_and_its_open_session_ends(runtime, directory, client):
    add_staff(runtime, "awa@example.org")
    assert log_in(client, "awa@example.org").status_code == 302
    with runtime.db.transaction() as db:
        find_user(db, "awa@example.org").disabled_at = utcnow()
    answer = client.get("/console/")
    assert answer.status_code == 302 and "/console/login" in answer.headers["Location"]
    assert log_in(client, "awa@example.org").status_code == 401
    assert client.get("/console/").status_code == 302


def test_a_password_reset_ends_the_open_sessions(runtime, directory, client, app):
    add_staff(runtime, "awa@example.org")
    log_in(client, "awa@example.org")
    other = app.test_client()
    log_in(other, "awa@example.org")
    assert client.get("/console/").status_code == other.get("/console/").status_code == 200
    with runtime.db.transaction() as db:
        find_user(db, "awa@example.org").password_hash = hash_password("a brand new password")
    for browser in (client, other):
        answer = browser.get("/console/")
        assert answer.status_code == 302 and "ended=1" in answer.headers["Location"]
    assert log_in(client, "awa@example.org", "a brand new password").status_code == 302


def test_an_expired_session_sends_back_to_the_login_with_a_clear_message(runtime, directory, client):
    add_staff(runtime, "awa@example.org")
    log_in(client, "awa@example.org")
    with client.session_transaction() as cookie:
        cookie["at"] -= 12 * 3600 + 60
    answer = client.get("/console/?status=new")
    assert answer.status_code == 302
    assert "ended=1" in answer.headers["Location"] and "next=" in answer.headers["Location"]
    page = client.get(answer.headers["Location"], headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Your session has ended" in page
    assert client.get("/console/").status_code == 302  # still out, and no longer 'ended' once told


def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(runtime, directory, client):
    add_staff(runtime, "awa@example.org")
    refused = client.post("/console/login", data={"email": "awa@example.org", "password": PASSWORD})
    assert refused.status_code == 400
    assert refused.mimetype == "text/html" and "Formulaire expiré" in refused.get_data(as_text=True)
    assert audit_rows(runtime) == []
    log_in(client, "awa@example.org")
    before = audit_rows(runtime)
    changed = client.post(
        "/console/account/password",
        data={"current_password": PASSWORD, "new_password": "x" * 12, "new_password_confirm": "x" * 12},
        headers={"Accept-Language": "en"},
    )
    assert changed.status_code == 400 and "Form expired" in changed.get_data(as_text=True)
    assert client.get("/console/").status_code == 200  # the password did not change: the session holds
    assert len(audit_rows(runtime)) == len(before)


def test_the_login_goes_back_where_the_user_was_going_but_never_off_site(runtime, directory, client):
    add_staff(runtime, "awa@example.org")
    answer = client.get("/console/account")
    assert answer.status_code == 302 and "next=/console/account" in answer.headers["Location"]
    went = log_in(client, "awa@example.org", next="/console/account")
    assert went.headers["Location"].endswith("/console/account")
    client.post("/console/logout", data={"csrf_token": csrf_token(client, "/console/account")})
    away = log_in(client, "awa@example.org", next="//evil.example")
    assert away.headers["Location"].endswith("/console/")


def test_logout_ends_the_session_and_is_audited(runtime, directory, client):
    add_staff(runtime, "awa@example.org")
    log_in(client, "awa@example.org")
    client.post("/console/logout", data={"csrf_token": csrf_token(client, "/console/")})
    assert client.get("/console/").status_code == 302
    logouts = audit_rows(runtime, "logout")
    assert [(e.actor, e.target, e.detail) for e in logouts] == [("awa@example.org", "console", "from 127.0.0.1")]
    client.post("/console/logout", data={"csrf_token": csrf_token(client)})  # no session any more: nothing to record
    assert len(audit_rows(runtime, "logout")) == 1


def test_a_password_typed_into_the_email_field_is_never_kept_in_the_audit(runtime, directory, client):
    add_staff(runtime, "awa@example.org")
    assert log_in(client, PASSWORD, PASSWORD).status_code == 401
    assert log_in(client, " Awa@Example.org", "not the password").status_code == 401
    failures = audit_rows(runtime, "login_failed")
    assert [e.actor for e in failures] == ["?", "awa@example.org"]
    assert not any(PASSWORD in f"{e.actor} {e.target} {e.detail}" for e in audit_rows(runtime))


def test_changing_ones_password_needs_the_current_one_and_ends_the_other_sessions(runtime, directory, client, app):
    add_staff(runtime, "awa@example.org")
    other = app.test_client()
    log_in(client, "awa@example.org")
    log_in(other, "awa@example.org")
    form = {"current_password": "wrong password", "new_password": "new password 1"}
    form["new_password_confirm"] = form["new_password"]
    wrong = post(client, "/console/account/password", form, token_from="/console/account")
    assert wrong.status_code == 422 and "Mot de passe actuel incorrect" in wrong.get_data(as_text=True)
    short = {"current_password": PASSWORD, "new_password": "short", "new_password_confirm": "short"}
    assert post(client, "/console/account/password", short, token_from="/console/account").status_code == 422
    assert other.get("/console/").status_code == 200
    form["current_password"] = PASSWORD
    done = post(client, "/console/account/password", form, token_from="/console/account")
    assert done.status_code == 302
    assert client.get("/console/").status_code == 200  # this session goes on
    assert other.get("/console/").status_code == 302  # the other one ended
    assert [e.actor for e in audit_rows(runtime, "password_change")] == ["awa@example.org"]
    assert log_in(other, "awa@example.org", "new password 1").status_code == 302


def test_the_session_cookie_is_replaced_at_login(runtime, directory, client):
    add_staff(runtime, "awa@example.org")
    client.get("/console/login")
    with client.session_transaction() as cookie:
        cookie["planted"] = "by someone else"
    log_in(client, "awa@example.org")
    with client.session_transaction() as cookie:
        assert "planted" not in cookie
