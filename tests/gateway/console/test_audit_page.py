"""The audit page: admins only (404 for anyone else), newest first, filters, pages, hostile text escaped."""

from __future__ import annotations

from gateway.core import audit
from tests.gateway.console.auth_support import add_staff, code_now, log_in

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def admin_client(runtime, app):
    """A browser logged in as an admin (with TOTP)."""
    factor = add_staff(runtime, "boss@example.org", role="admin", totp=True)
    browser = app.test_client()
    assert log_in(browser, "boss@example.org", otp=code_now(factor.secret)).status_code == 302
    return browser


def test_the_audit_page_is_for_admins_only(runtime, directory, app, client):
    admin = admin_client(runtime, app)
    assert admin.get("/console/audit").status_code == 200
    for role in ("coordinator", "facilitator", "officer", "observer"):
        add_staff(runtime, f"{role}@example.org", role=role)
        browser = app.test_client()
        log_in(browser, f"{role}@example.org")
        refused = browser.get("/console/audit")
        assert refused.status_code == 404, role
        assert refused.mimetype == "text/html" and "Page introuvable" in refused.get_data(as_text=True)
    assert "/console/audit" in admin.get("/console/").get_data(as_text=True)
    assert "/console/audit" not in browser.get("/console/").get_data(as_text=True)


def test_entries_are_shown_newest_first_with_hostile_text_escaped(runtime, directory, app):
    admin = admin_client(runtime, app)
    with runtime.db.transaction() as db:
        audit.record(db, "cli:ops", "user_add", "awa@example.org", "officer KORO")
        audit.record(db, "awa@example.org", "alert_note", "alert #7", HOSTILE)
    page = admin.get("/console/audit").get_data(as_text=True)
    assert HOSTILE not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    rows = page.split("<tbody>")[1]
    assert rows.index("alert_note") < rows.index("officer KORO") < rows.index("login")  # newest first


def test_filters_by_user_action_and_date(runtime, directory, app):
    admin = admin_client(runtime, app)
    with runtime.db.transaction() as db:
        audit.record(db, "cli:ops", "user_add", "awa@example.org", "officer KORO")
        audit.record(db, "awa@example.org", "alert_note", "alert #7", "seen at the market")
    by_user = admin.get("/console/audit?user=ops").get_data(as_text=True)
    assert "officer KORO" in by_user and "seen at the market" not in by_user
    by_action = admin.get("/console/audit?action=alert_note").get_data(as_text=True)
    assert "seen at the market" in by_action and "officer KORO" not in by_action
    assert "seen at the market" not in admin.get("/console/audit?since=2999-01-01").get_data(as_text=True)
    assert "seen at the market" in admin.get("/console/audit?since=2000-01-01").get_data(as_text=True)
    bad = admin.get("/console/audit?since=yesterday", headers={"Accept-Language": "en"})
    assert bad.status_code == 400 and "YYYY-MM-DD" in bad.get_data(as_text=True)
    assert admin.get("/console/audit?before=abc").status_code == 400


def test_a_long_log_comes_a_page_at_a_time(runtime, directory, app):
    admin = admin_client(runtime, app)
    with runtime.db.transaction() as db:
        for n in range(70):
            audit.record(db, "cli:ops", "alert_note", f"alert #{n}", f"note number {n:03d}")
    first = admin.get("/console/audit?action=alert_note").get_data(as_text=True)
    assert "note number 069" in first and "note number 020" in first and "note number 019" not in first
    older = first.split('class="pager"><a href="')[1].split('"')[0].replace("&amp;", "&")
    assert "action=alert_note" in older
    second = admin.get(older).get_data(as_text=True)
    assert "note number 019" in second and "note number 000" in second and "note number 020" not in second
    assert 'class="pager"' not in second
