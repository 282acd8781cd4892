"""A facilitator moves a commitment of her district's roadmap in a real headless Chromium: from the menu to the
district's table (the overdue item marked), to the item, through the status form with a note, and sees the new
status and the history line; the screenshot is kept as an artefact."""

from __future__ import annotations

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait
from sqlalchemy import select

from gateway.models import AuditEntry, RoadmapItem
from tests.gateway.console.browser import chromium, live_browser, log_in, screenshot  # noqa: F401 - the fixtures
from tests.gateway.console.desk_support import PASSWORD, make_user
from tests.gateway.roadmaps.support import import_sample

pytestmark = pytest.mark.slow


def test_a_facilitator_changes_a_status_through_the_form(runtime, directory, browser):
    import_sample(runtime)
    email = make_user(runtime, "awa@example.org", "facilitator", district="KORO")
    log_in(browser, email, PASSWORD)

    browser.find_element(By.LINK_TEXT, "Feuilles de route").click()
    WebDriverWait(browser, 10).until(lambda b: b.find_elements(By.ID, "roadmap-districts"))
    assert [r.get_attribute("data-district") for r in browser.find_elements(By.CSS_SELECTOR, "tr[data-district]")] == [
        "KORO"
    ]
    browser.find_element(By.LINK_TEXT, "Koro").click()
    WebDriverWait(browser, 10).until(lambda b: b.find_elements(By.ID, "roadmap"))
    row = browser.find_element(By.CSS_SELECTOR, "tr[data-ref=R28]")
    assert "en retard" in row.text and "Réouverture de l'école de Bondo" in row.text
    row.find_element(By.LINK_TEXT, "R28").click()

    WebDriverWait(browser, 10).until(lambda b: b.find_elements(By.ID, "form-status"))
    assert browser.find_element(By.ID, "item-status").get_attribute("data-status") == "reversed"
    Select(browser.find_element(By.ID, "new-status")).select_by_value("in_progress")
    browser.find_element(By.ID, "status-note").send_keys("Deux enseignants affectés, rentrée lundi")
    browser.find_element(By.ID, "action-status").click()

    # The form's answer is a new page: the old page's element may go stale between finding and reading it.
    WebDriverWait(browser, 10, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda b: b.find_element(By.ID, "item-status").get_attribute("data-status") == "in_progress"
    )
    assert "R28 : état changé en « en cours »." in browser.find_element(By.CSS_SELECTOR, "p.flash").text
    newest = browser.find_element(By.CSS_SELECTOR, "#history tbody tr")
    assert "recul → en cours" in newest.text
    assert email in newest.text and "Deux enseignants affectés, rentrée lundi" in newest.text
    screenshot(browser, "roadmap-item-status-changed")
    with runtime.db.transaction() as session:
        assert session.get(RoadmapItem, 28).status == "in_progress"
        assert session.scalar(select(AuditEntry.action).order_by(AuditEntry.id.desc()).limit(1)) == "roadmap_status"
