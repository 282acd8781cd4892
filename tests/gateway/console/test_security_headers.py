"""Console pages carry strict security headers (a CSP without inline code), session cookies are HttpOnly,
SameSite=Lax and Secure behind https, and no console template holds inline script or style (the CSP would block
it in a real browser, so the page would silently break)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.gateway.console.auth_support import PASSWORD, add_staff, csrf_token, log_in

TEMPLATES = Path(__file__).resolve().parents[3] / "gateway" / "console" / "templates"


def test_console_pages_carry_the_security_headers(runtime, directory, client):
    add_staff(runtime, "awa@example.org")
    pages = [client.get("/console/login"), client.get("/console/no-such-page")]
    log_in(client, "awa@example.org")
    pages += [client.get("/console/"), client.get("/console/account")]
    for page in pages:
        csp = page.headers["Content-Security-Policy"]
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert "script-src 'self'" in csp and "style-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert page.headers["X-Frame-Options"] == "DENY"
        assert page.headers["X-Content-Type-Options"] == "nosniff"
        assert page.headers["Cache-Control"] == "no-store"


def test_the_session_cookie_is_httponly_and_samesite(runtime, directory, client):
    add_staff(runtime, "awa@example.org")
    cookie = log_in(client, "awa@example.org").headers["Set-Cookie"]
    assert cookie.startswith("gateway_session=") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain http on a test machine: a Secure cookie would never come back


class TestBehindHttps:
    """PUBLIC_BASE_URL is https: the cookie never travels in clear."""

    @pytest.fixture
    def env(self, base_env):
        return {**base_env, "PUBLIC_BASE_URL": "https://gateway.example.org"}

    def test_the_session_cookie_is_secure(self, runtime, directory, client):
        add_staff(runtime, "awa@example.org")
        answer = log_in(client, "awa@example.org", base_url="https://gateway.example.org")
        assert "Secure" in answer.headers["Set-Cookie"]


def test_no_console_template_has_inline_script_or_style():
    templates = sorted(TEMPLATES.rglob("*.html"))
    assert templates
    for path in templates:
        html = path.read_text(encoding="utf-8")
        for tag in re.findall(r"<script\b[^>]*>", html, flags=re.I):
            assert "src=" in tag, f"{path.name}: inline <script>"
        assert not re.search(r"<style\b", html, flags=re.I), f"{path.name}: <style> element"
        assert not re.search(r"\sstyle\s*=", html, flags=re.I), f"{path.name}: style= attribute"
        assert not re.search(r"\son[a-z]+\s*=", html, flags=re.I), f"{path.name}: inline event handler"
        assert not re.search(r"\shx-on", html, flags=re.I), f"{path.name}: hx-on (evaluated code)"
        assert "javascript:" not in html.lower(), f"{path.name}: javascript: URL"


class TestFormsBehindHttps:
    """Behind the TLS proxy (X-Forwarded-Proto: https) the browser must send a same-origin Referer for Flask-WTF's
    strict check to pass: the console's pages ask for exactly that, and a post from another site is refused."""

    HTTPS = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "gateway.example.org"}

    def login(self, client, referer: str):
        token = csrf_token(client)
        form = {"email": "awa@example.org", "password": PASSWORD, "csrf_token": token}
        return client.post("/console/login", data=form, headers={**self.HTTPS, "Referer": referer})

    def test_pages_keep_the_referrer_on_the_same_site_only(self, runtime, directory, client):
        page = client.get("/console/login", headers=self.HTTPS)
        # no-referrer would make every https login fail; unsafe-url would leak paths to other sites.
        assert page.headers["Referrer-Policy"] == "same-origin"

    def test_a_login_with_a_same_origin_referer_succeeds(self, runtime, directory, client):
        add_staff(runtime, "awa@example.org")
        answer = self.login(client, "https://gateway.example.org/console/login")
        assert answer.status_code == 302 and answer.headers["Location"].endswith("/console/")

    def test_a_login_posted_from_another_site_is_refused(self, runtime, directory, client):
        add_staff(runtime, "awa@example.org")
        answer = self.login(client, "https://evil.example.com/console/login")
        assert answer.status_code == 400
        assert client.get("/console/", headers=self.HTTPS).status_code == 302  # no session


@pytest.mark.parametrize(
    "method, path", [("post", "/webhooks/telegram"), ("get", "/console/"), ("get", "/console/login")]
)
def test_a_query_string_that_is_not_utf8_never_crashes(client, method, path):
    """The console's language choice runs before every route, webhooks included: broken bytes in the query string
    (as the fuzz campaign sends them through gunicorn) must give the route's own answer, never a 500."""
    response = getattr(client, method)(path, environ_overrides={"QUERY_STRING": "lang=\xff\xfe&x=\xbf"})
    assert response.status_code < 500, response.get_data(as_text=True)
