"""The composer in a real headless Chromium: a facilitator types a text with a character outside GSM-7, the live
counter (static/broadcasts.js) and the server preview (htmx) both say UCS-2 and show the text that will be sent,
the confirmation step, the sending, then the delivery bar reaching 100 % without a reload while an RQ worker
sends. Screenshots go to ARTIFACTS_DIR."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select

from gateway.models import Broadcast
from tests.gateway.broadcasts.test_broadcast_delivery import run_jobs
from tests.gateway.console.browser import chromium, live_browser, log_in, screenshot  # noqa: F401 - the fixtures
from tests.gateway.console.desk_support import PASSWORD, make_user

pytestmark = pytest.mark.e2e

UCS2_TEXT = "Réunion à Koro – «urgent» ✓ venez"


def test_a_facilitator_composes_previews_confirms_and_watches_the_delivery(runtime, directory, browser):
    make_user(runtime, "awa@example.org", "facilitator", district="KORO")
    log_in(browser, "awa@example.org", PASSWORD)
    browser.get(browser.base_url + "/console/broadcasts/new")
    wait = WebDriverWait(browser, 10)
    browser.find_element(By.ID, "broadcast-text").send_keys(UCS2_TEXT)

    counter = browser.find_element(By.ID, "broadcast-counter")
    wait.until(lambda b: counter.get_attribute("data-encoding") == "UCS-2")
    assert counter.get_attribute("data-segments") == "1" and "✓" in counter.text
    wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, "#broadcast-preview [data-ucs2]"))
    preview = browser.find_element(By.ID, "broadcast-preview")
    assert preview.find_element(By.CSS_SELECTOR, "[data-encoding]").get_attribute("data-encoding") == "UCS-2"
    assert preview.find_element(By.ID, "broadcast-sms-text").text == UCS2_TEXT
    assert preview.find_element(By.CSS_SELECTOR, "[data-recipients]").get_attribute("data-recipients") == "26"
    screenshot(browser, "broadcast-compose")

    browser.find_element(By.ID, "broadcast-review").click()
    wait.until(lambda b: b.find_elements(By.ID, "broadcast-send"))
    with runtime.db.sessions() as session:
        assert session.scalars(select(Broadcast)).all() == [], "the confirmation page sends nothing"
    browser.find_element(By.ID, "broadcast-send").click()
    wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, ".delivery[data-percent]"))
    assert browser.find_element(By.CSS_SELECTOR, "[data-count=queued]").text == "26"

    run_jobs(runtime)  # the worker sends while the page stays open
    WebDriverWait(browser, 15).until(
        lambda b: b.find_element(By.CSS_SELECTOR, ".delivery").get_attribute("data-percent") == "100"
    )
    assert browser.find_element(By.CSS_SELECTOR, "[data-count=queued]").text == "0"
    assert browser.find_element(By.ID, "broadcast-text").text == UCS2_TEXT
    screenshot(browser, "broadcast-delivered")
