"""The alert desk in a real headless Chromium against the gateway served over HTTP, with a real worker process:
an officer logs in, sees an urgent SMS alert appear without reloading, opens it, takes it and resolves it; the
paged officers get their SMS and the audit holds the officer's moves. Scope, the observer's view and CSRF too.
Screenshots of the inbox and the alert page go to ARTIFACTS_DIR (tests/artifacts/ by default)."""

from __future__ import annotations

import pytest
import requests
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from gateway.models import AlertStatus, Contact, Notification
from tests.fakes.twilio_api import FROM_NUMBER, PUBLIC_BASE_URL, new_sid
from tests.gateway.console.browser import chromium, live_browser, log_in, screenshot  # noqa: F401 - the fixtures
from tests.gateway.console.desk_support import PASSWORD, alert_row, audit_rows, leader_of, make_user, report
from tests.processes import wait_for

pytestmark = pytest.mark.e2e

REPORT = "ALERTE 3 les jeunes et les gendarmes s'affrontent au marche"
POLL_DEADLINE = 15  # seconds: a duty officer sees a new urgent alert within this, without touching the page


@pytest.fixture
def env(base_env, fake_twilio):
    """The gateway (and its worker) sending SMS to the fake Twilio."""
    return {**base_env, **fake_twilio.env()}


def post_signed_sms(base_url: str, fake, phone: str, body: str) -> None:
    """Twilio's inbound-SMS webhook, signed with the auth token over the public URL, posted over HTTP."""
    sid = new_sid()
    form = {"MessageSid": sid, "SmsSid": sid, "AccountSid": fake.account_sid, "From": phone, "To": FROM_NUMBER,
            "Body": body, "NumMedia": "0", "NumSegments": "1", "ApiVersion": "2010-04-01"}  # fmt: skip
    path = "/webhooks/twilio/sms"
    signature = RequestValidator(fake.auth_token).compute_signature(PUBLIC_BASE_URL + path, form)
    response = requests.post(base_url + path, data=form, headers={"X-Twilio-Signature": signature}, timeout=10)
    assert response.status_code == 200, response.text[:300]


def rows(browser) -> list[int]:
    """The references listed in the inbox."""
    return [int(row.get_attribute("data-ref")) for row in browser.find_elements(By.CSS_SELECTOR, "tr[data-ref]")]


def still_the_same_page(element) -> bool:
    """False when the page was reloaded since `element` was found."""
    try:
        element.is_displayed()
        return True
    except StaleElementReferenceException:
        return False


def click(browser, element_id: str) -> None:
    """Click a button and wait for the next page."""
    old = browser.find_element(By.TAG_NAME, "html")
    browser.find_element(By.ID, element_id).click()
    WebDriverWait(browser, 10).until(lambda b: not still_the_same_page(old))


def test_an_officer_follows_an_sms_alert_from_arrival_to_resolution(
    runtime, directory, browser, fake_twilio, start_process
):
    leader = leader_of(runtime, "KORO", "sms")  # a leader who reports by SMS
    email = make_user(runtime, "moussa@example.org", "officer", district="KORO")
    start_process("worker")
    log_in(browser, email, PASSWORD)
    assert rows(browser) == []
    heading = browser.find_element(By.TAG_NAME, "h1")

    post_signed_sms(browser.base_url, fake_twilio, leader.phone, REPORT)
    WebDriverWait(browser, POLL_DEADLINE).until(lambda b: rows(b), "the alert did not appear within 15 s")
    assert still_the_same_page(heading)  # htmx swapped the list in; the page itself never reloaded
    [ref] = rows(browser)
    assert browser.find_element(By.CSS_SELECTOR, f"tr[data-ref='{ref}']").get_attribute("class") == "severity-3"
    screenshot(browser, "console-inbox")

    browser.find_element(By.LINK_TEXT, f"#{ref}").click()
    WebDriverWait(browser, 10).until(lambda b: b.find_elements(By.ID, "alert-status"))
    page = browser.page_source
    assert "un leader de" in page and leader.phone not in page and leader.name not in page
    box = browser.find_element(By.ID, "reply-text")
    box.send_keys("Nous arrivons, restez a l'abri.")
    counter = browser.find_element(By.ID, "reply-segments")
    assert (counter.get_attribute("data-encoding"), counter.get_attribute("data-segments")) == ("GSM-7", "1")
    screenshot(browser, "console-alert")
    box.send_keys(" ✓" + "x" * 40)  # a character outside GSM-7: Unicode, 70 to a segment
    assert (counter.get_attribute("data-encoding"), counter.get_attribute("data-segments")) == ("UCS-2", "2")

    click(browser, "action-take")
    assert browser.find_element(By.ID, "alert-status").get_attribute("data-status") == AlertStatus.ACKNOWLEDGED
    assert f"#{ref}" in browser.find_element(By.CSS_SELECTOR, ".flash").text
    browser.find_element(By.CSS_SELECTOR, "#form-resolve input[name=note]").send_keys("calme revenu, reunion demain")
    click(browser, "action-resolve")
    assert browser.find_element(By.ID, "alert-status").get_attribute("data-status") == AlertStatus.RESOLVED
    assert alert_row(runtime, ref).status == AlertStatus.RESOLVED

    with runtime.db.transaction() as session:
        paged = {n.officer.phone for n in session.scalars(select(Notification).where(Notification.alert_id == ref))}
    assert paged

    def officers_told():
        bodies = {phone: [r.form["Body"] for r in fake_twilio.requests if r.form.get("To") == phone] for phone in paged}
        return bodies if all(len(texts) >= 3 for texts in bodies.values()) else None

    told = wait_for(officers_told, timeout=30, message="the paged officers' SMS (alert, taken, resolved)")
    for texts in told.values():
        assert all(f"#{ref}" in text for text in texts)
        assert any("Moussa" in text for text in texts[1:])  # who took it and closed it
        assert not any(leader.phone in text for text in texts)  # escalations carry the alert, not the reporter
    moves = [(row.action, row.detail) for row in audit_rows(runtime, email) if row.target == f"alert #{ref}"]
    assert moves == [("alert_status", "acknowledged"), ("alert_status", "resolved: calme revenu, reunion demain")]


def test_a_koro_facilitator_never_sees_a_macina_alert(runtime, directory, browser):
    macina, koro = report(runtime, "MACINA", REPORT), report(runtime, "KORO", REPORT)
    log_in(browser, make_user(runtime, "awa@example.org", "facilitator", district="KORO"), PASSWORD)
    assert rows(browser) == [koro]
    browser.get(f"{browser.base_url}/console/alerts/{macina}")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Alerte introuvable"
    assert "s'affrontent" not in browser.page_source


def test_the_observer_never_sees_a_phone_number_nor_a_body(runtime, directory, browser):
    ref = report(runtime, "KORO", REPORT)
    with runtime.db.transaction() as session:
        reporter = session.get(Contact, alert_row(runtime, ref).reporter_id)
        phones = [c.phone for c in session.scalars(select(Contact))]
    log_in(browser, make_user(runtime, "donor@example.org", "observer"), PASSWORD)
    assert rows(browser) == [ref]
    for path in ("/console/", f"/console/alerts/{ref}"):
        browser.get(browser.base_url + path)
        page = browser.page_source
        assert "affrontent" not in page and reporter.name not in page
        assert not [phone for phone in phones if phone in page or phone[-8:] in page]
    assert not browser.find_elements(By.CSS_SELECTOR, "section.actions, details.reveal")


def test_a_form_posted_without_its_csrf_token_changes_nothing(runtime, directory, browser):
    ref = report(runtime, "KORO", REPORT)
    log_in(browser, make_user(runtime, "moussa@example.org", "officer", district="KORO"), PASSWORD)
    browser.get(f"{browser.base_url}/console/alerts/{ref}")
    browser.execute_script(
        "document.querySelectorAll('form input[name=csrf_token]').forEach(function (i) { i.remove(); });"
    )
    browser.find_element(By.ID, "action-take").click()
    WebDriverWait(browser, 10).until(lambda b: "alert-status" not in b.page_source)
    assert "CSRF" in browser.page_source or "csrf" in browser.page_source.lower()
    assert alert_row(runtime, ref).status == AlertStatus.NEW
    assert not [row for row in audit_rows(runtime) if row.action == "alert_status"]
