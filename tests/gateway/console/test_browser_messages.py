"""The message log and the channel health panel in a real headless Chromium (strict CSP, htmx): the home page loads
the panel by itself and shows Twilio not reachable after a failed send; a coordinator finds a leader's message in the
log with the number masked, reveals it with a reason and sees it on that page only."""

from __future__ import annotations

import pytest
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from gateway.messaging.outbox import queue_message
from tests.fakes.twilio_api import server_error
from tests.gateway.console.browser import chromium, live_browser, log_in, screenshot  # noqa: F401 - the fixtures
from tests.gateway.console.desk_support import PASSWORD, audit_rows, make_user
from tests.gateway.console.message_log_support import MOPTI_LEADER, add_message, contact_by_phone
from workers.outbound import send_message

pytestmark = pytest.mark.e2e


@pytest.fixture
def env(base_env, fake_twilio):
    """Twilio is the fake."""
    return {**base_env, **fake_twilio.env()}


def test_the_home_page_shows_a_failing_channel(runtime, directory, browser, fake_twilio):
    fake_twilio.script(server_error())
    with runtime.db.transaction() as db:
        message_id = queue_message(db, runtime, body="Reunion demain", channel="twilio", address=MOPTI_LEADER).id
    assert send_message(message_id) == "retry"
    log_in(browser, make_user(runtime, "moussa@example.org", "officer", district="KORO"), PASSWORD)
    WebDriverWait(browser, 10).until(lambda b: b.find_elements(By.ID, "health-panel"))
    line = browser.find_element(By.CSS_SELECTOR, '#health-panel tr[data-channel="twilio"]')
    assert line.get_attribute("data-state") == "unreachable" and "injoignable" in line.text
    assert MOPTI_LEADER not in browser.page_source
    screenshot(browser, "health-panel")


def test_a_coordinator_reveals_one_number_with_a_reason(runtime, directory, browser):
    message_id = add_message(runtime, "<b>bagarre</b> au marche", contact_by_phone(runtime, MOPTI_LEADER))
    log_in(browser, make_user(runtime, "fatou@example.org", "coordinator", region="Mopti"), PASSWORD)
    browser.get(browser.base_url + "/console/messages")
    row = browser.find_element(By.CSS_SELECTOR, f'tr[data-id="{message_id}"]')
    assert "<b>bagarre</b> au marche" in row.text  # the markup shown as text
    assert MOPTI_LEADER not in browser.page_source and "M••• D•••" in row.text
    screenshot(browser, "message-log")
    row.find_element(By.LINK_TEXT, "Ouvrir").click()
    browser.find_element(By.NAME, "reason").send_keys("rappeler le leader")
    browser.find_element(By.CSS_SELECTOR, "form.reveal button[type=submit]").click()
    moving = (StaleElementReferenceException, NoSuchElementException)  # the page being replaced by the answer
    WebDriverWait(browser, 10, ignored_exceptions=moving).until(
        lambda b: MOPTI_LEADER in b.find_element(By.CSS_SELECTOR, "dd.address").text
    )
    assert "Mamadou Dembélé" in browser.find_element(By.CSS_SELECTOR, "dd.who").text
    assert [e.detail for e in audit_rows(runtime) if e.action == "reveal_message"] == ["rappeler le leader"]
    browser.get(browser.base_url + "/console/messages")
    assert MOPTI_LEADER not in browser.page_source
