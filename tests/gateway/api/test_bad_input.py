"""Bad input to the API: each a 4xx with the nested error and a clear reason, and nothing changed in the database."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from sqlalchemy import select, update

from gateway.alerts.desk import MAX_NOTE
from gateway.models import StaffUser, utcnow
from gateway.staff import sessions
from gateway.staff.accounts import revoke_tokens
from gateway.staff.second_factor import new_secret
from tests.gateway.api.conftest import assert_error, footprint

RESOLVE = {"status": "resolved", "note": "calme revenu"}


def _set_user(runtime, email: str, **values) -> None:
    with runtime.db.transaction() as session:
        session.execute(update(StaffUser).where(StaffUser.email == email).values(**values))


ADMIN = "Bearer {admin}"
STATUS_PATH = "/alerts/{ref}/status"
REVEAL_PATH = "/alerts/{ref}/reveal"
JSON = "application/json"

# (label, method, path, how the body is sent, Authorization header, status, code); {ref} is a KORO report.
BAD_REQUESTS = [
    ("unknown ref", "POST", "/alerts/424242/status", {"json": RESOLVE}, ADMIN, 404, "not_found"),
    ("ref not a number", "POST", "/alerts/12abc/status", {"json": RESOLVE}, ADMIN, 404, "not_found"),
    ("huge ref", "POST", "/alerts/99999999999999999999999/status", {"json": RESOLVE}, ADMIN, 404, "not_found"),
    (
        "oversized note",
        "POST",
        STATUS_PATH,
        {"json": {"status": "resolved", "note": "x" * (MAX_NOTE + 1)}},
        ADMIN,
        422,
        "invalid",
    ),  # fmt: skip
    ("unknown status", "POST", STATUS_PATH, {"json": {"status": "closed"}}, ADMIN, 422, "invalid"),
    ("status new", "POST", STATUS_PATH, {"json": {"status": "new"}}, ADMIN, 422, "invalid"),
    ("status not a text", "POST", STATUS_PATH, {"json": {"status": 3}}, ADMIN, 422, "invalid"),
    ("missing status", "POST", STATUS_PATH, {"json": {}}, ADMIN, 422, "invalid"),
    ("note not a text", "POST", STATUS_PATH, {"json": {"status": "resolved", "note": ["x"]}}, ADMIN, 422, "invalid"),
    (
        "form-encoded",
        "POST",
        STATUS_PATH,
        {"data": "status=resolved", "content_type": "application/x-www-form-urlencoded"},
        ADMIN,
        415,
        "unsupported_media_type",
    ),  # fmt: skip
    (
        "text/plain",
        "POST",
        STATUS_PATH,
        {"data": '{"status": "resolved"}', "content_type": "text/plain"},
        ADMIN,
        415,
        "unsupported_media_type",
    ),  # fmt: skip
    ("no body", "POST", STATUS_PATH, {}, ADMIN, 415, "unsupported_media_type"),
    (
        "malformed JSON",
        "POST",
        STATUS_PATH,
        {"data": '{"status": "resolved",', "content_type": JSON},
        ADMIN,
        400,
        "malformed_json",
    ),  # fmt: skip
    (
        "not UTF-8",
        "POST",
        STATUS_PATH,
        {"data": b'{"status": "\xff"}', "content_type": JSON},
        ADMIN,
        400,
        "malformed_json",
    ),  # fmt: skip
    ("JSON list", "POST", STATUS_PATH, {"json": ["resolved"]}, ADMIN, 400, "malformed_json"),
    ("unknown category", "POST", "/alerts/{ref}/triage", {"json": {"category": "weather"}}, ADMIN, 422, "invalid"),
    (
        "severity as text",
        "POST",
        "/alerts/{ref}/triage",
        {"json": {"category": "other", "severity": "3"}},
        ADMIN,
        422,
        "invalid",
    ),  # fmt: skip
    (
        "severity true",
        "POST",
        "/alerts/{ref}/triage",
        {"json": {"category": "other", "severity": True}},
        ADMIN,
        422,
        "invalid",
    ),  # fmt: skip
    ("empty reply", "POST", "/alerts/{ref}/reply", {"json": {"text": "   "}}, ADMIN, 422, "invalid"),
    ("reply too long", "POST", "/alerts/{ref}/reply", {"json": {"text": "mot " * 200}}, ADMIN, 422, "invalid"),
    ("body over 64 KiB", "POST", "/alerts/{ref}/reply", {"json": {"text": "x" * 70_000}}, ADMIN, 413, "too_large"),
    ("reason too long", "POST", REVEAL_PATH, {"json": {"reason": "x" * 501}}, ADMIN, 422, "invalid"),
    (
        "reveal form-encoded",
        "POST",
        REVEAL_PATH,
        {"data": "reason=x", "content_type": "text/plain"},
        ADMIN,
        415,
        "unsupported_media_type",
    ),  # fmt: skip
    ("GET on a write route", "GET", STATUS_PATH, {}, ADMIN, 405, "method_not_allowed"),
    ("GET on the reveal", "GET", REVEAL_PATH + "?reason=x", {}, ADMIN, 405, "method_not_allowed"),
    ("DELETE an alert", "DELETE", "/alerts/{ref}", {}, ADMIN, 405, "method_not_allowed"),
    ("unknown URL", "GET", "/nothing/here", {}, ADMIN, 404, "not_found"),
    ("no token", "POST", STATUS_PATH, {"json": RESOLVE}, None, 401, "unauthorized"),
    ("not bearer", "POST", STATUS_PATH, {"json": RESOLVE}, "Basic YWRtaW46YWRtaW4=", 401, "unauthorized"),
    ("forged token", "POST", STATUS_PATH, {"json": RESOLVE}, "Bearer gwt_" + "A" * 43, 401, "unauthorized"),
    ("token with junk", "POST", STATUS_PATH, {"json": RESOLVE}, ADMIN + "x", 401, "unauthorized"),
    ("empty bearer", "POST", STATUS_PATH, {"json": RESOLVE}, "Bearer ", 401, "unauthorized"),
]


@pytest.mark.parametrize("label,method,path,send,auth,status,code", BAD_REQUESTS, ids=[r[0] for r in BAD_REQUESTS])
def test_bad_request_is_refused_and_changes_nothing(runtime, client, staff, reports, label, method, path, send, auth,
                                                    status, code):  # fmt: skip
    headers = {"Authorization": auth.format(admin=staff.tokens["admin"])} if auth else {}
    before = footprint(runtime)
    response = client.open("/api/v1" + path.format(ref=reports["KORO"]), method=method, headers=headers, **send)
    assert_error(response, status, code)
    assert footprint(runtime) == before
    if status == 405:
        assert response.headers["Allow"]
    if status == 401:
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "query,code",
    [
        ("cursor=garbage", "bad_cursor"),
        ("cursor=eyJmIjp7fSwiYiI6OTk5fQ.forged", "bad_cursor"),
        ("limit=0", "invalid"),
        ("limit=201", "invalid"),
        ("limit=ten", "invalid"),
        ("status=open", "invalid"),
        ("severity=4", "invalid"),
        ("since=yesterday", "invalid"),
        ("since=2025-13-01", "invalid"),
        ("since=9999-12-31T23:00:00-05:00", "invalid"),  # past the last day in UTC
        ("since=0001-01-01T00:00:00%2B05:00", "invalid"),  # before the first day in UTC
        ("since=0001-01-01T00:00:00 05:00", "invalid"),  # the same with its `+` unencoded
        ("district=TIMBUKTU", "invalid"),
    ],
)
def test_bad_list_parameters(api, reports, query, code):
    assert_error(api("GET", f"/alerts?{query}", "admin"), 400 if code == "bad_cursor" else 422, code)


def test_revoked_token_and_disabled_user_are_401(runtime, api, staff, reports):
    with runtime.db.transaction() as session:
        user = session.scalar(select(StaffUser).where(StaffUser.email == staff.emails["officer_koro"]))
        assert revoke_tokens(session, user) == 1
    _set_user(runtime, staff.emails["fac_koro"], disabled_at=utcnow())
    before = footprint(runtime)
    for who in ("officer_koro", "fac_koro"):
        assert_error(api("GET", "/alerts", who), 401, "unauthorized")
        assert_error(api("POST", f"/alerts/{reports['KORO']}/reply", who, {"text": "Merci"}), 401, "unauthorized")
    assert footprint(runtime) == before


def _login(runtime, client, email: str, started: int | None = None, second_factor: bool = True) -> None:
    """A console session for the account, as the login page starts it (optionally started at `started`)."""
    with runtime.db.transaction() as session:
        user = session.scalar(select(StaffUser).where(StaffUser.email == email))
        with client.session_transaction() as cookie:
            sessions.start(cookie, user, second_factor=second_factor)
            if started is not None:
                cookie["at"] = started


def _csrf_token(client) -> str:
    """The CSRF token the console's pages carry for this session."""
    page = client.get("/console/login").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_session_cookie_reads_and_writes_with_csrf_only(runtime, client, staff, reports):
    _login(runtime, client, staff.emails["officer_koro"])
    assert client.get("/api/v1/alerts").status_code == 200
    path = f"/api/v1/alerts/{reports['KORO']}/status"
    before = footprint(runtime)
    assert_error(client.post(path, json={"status": "acknowledged"}), 403, "csrf")
    assert_error(client.post(path, json={"status": "acknowledged"}, headers={"X-CSRFToken": "forged"}), 403, "csrf")
    assert footprint(runtime) == before
    token = _csrf_token(client)
    response = client.post(path, json={"status": "acknowledged"}, headers={"X-CSRFToken": token})
    assert response.status_code == 200 and response.get_json()["status"] == "acknowledged"


def test_a_reveal_with_the_session_cookie_needs_the_csrf_token(runtime, client, staff, reports):
    """A page of another site can make the browser post with its cookie, but cannot read the console's token."""
    _login(runtime, client, staff.emails["coord_mopti"])
    path = f"/api/v1/alerts/{reports['KORO']}/reveal"
    before = footprint(runtime)
    for headers in ({}, {"X-CSRFToken": "forged"}):
        refused = client.post(path, json={"reason": "forged"}, headers=headers)
        assert_error(refused, 403, "csrf")
        assert "+223" not in refused.get_data(as_text=True)
    assert footprint(runtime) == before, "no reveal, no audit row"
    response = client.post(path, json={"reason": "menace"}, headers={"X-CSRFToken": _csrf_token(client)})
    assert response.status_code == 200 and response.get_json()["reporter"]["name"] == "Abdoulaye Tangara"


def test_a_session_that_owes_its_second_factor_or_its_enrolment_is_401(runtime, client, staff, reports, monkeypatch):
    """The API's cookie path answers as the console would send the browser: to its code or to enrolment."""
    path = f"/api/v1/alerts/{reports['KORO']}/status"
    before = footprint(runtime)
    _login(runtime, client, staff.emails["officer_koro"])  # logged in while CONSOLE_REQUIRE_2FA was `admin`
    assert client.get("/api/v1/alerts").status_code == 200
    token = _csrf_token(client)
    monkeypatch.setattr(runtime, "settings", replace(runtime.settings, console_require_2fa="all"))
    assert "second factor" in assert_error(client.get("/api/v1/alerts"), 401, "unauthorized")["message"]
    assert_error(client.post(path, json={"status": "acknowledged"}, headers={"X-CSRFToken": token}), 401)
    monkeypatch.setattr(runtime, "settings", replace(runtime.settings, console_require_2fa="admin"))
    _login(runtime, client, staff.emails["admin"])  # an admin without TOTP: the rule applies whatever the session says
    assert_error(client.get(f"/api/v1/alerts/{reports['KORO']}"), 401, "unauthorized")
    _set_user(runtime, staff.emails["fac_koro"], totp_secret=new_secret())
    _login(runtime, client, staff.emails["fac_koro"], second_factor=False)  # password given, code still owed
    assert "code" in assert_error(client.get("/api/v1/alerts"), 401, "unauthorized")["message"]
    assert footprint(runtime) == before


def test_expired_session_and_disabled_account_are_401(runtime, client, staff, reports):
    _login(runtime, client, staff.emails["officer_koro"], started=1)  # 1970: long past the 12 hours
    assert_error(client.get("/api/v1/alerts"), 401, "unauthorized")
    _login(runtime, client, staff.emails["fac_koro"])
    assert client.get("/api/v1/alerts").status_code == 200
    _set_user(runtime, staff.emails["fac_koro"], disabled_at=utcnow())
    assert_error(client.get(f"/api/v1/alerts/{reports['KORO']}"), 401, "unauthorized")


def test_errors_elsewhere_keep_their_shape(client):
    body = client.get("/nothing/here").get_json()
    assert body["error"] == "Not Found" and "reason" in body
