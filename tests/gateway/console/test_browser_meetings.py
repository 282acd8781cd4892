"""A facilitator runs a meeting from the console in a real headless Chromium, against the gateway served over HTTP
with a real worker process and the fake Twilio: she fills the form, sees the segments and the cost in the preview,
sends it, watches the delivery bar reach 100 % without reloading, and sees a YES and a NO arrive by signed SMS
webhooks. The SMS the fake Twilio was asked to send are exactly the segments the preview announced."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select

from gateway.messaging.sms_text import count_segments
from gateway.models import Broadcast, Invitation
from tests.gateway.console.browser import chromium, live_browser, log_in, screenshot  # noqa: F401 - the fixtures
from tests.gateway.console.desk_support import PASSWORD, leaders_of, make_user
from tests.gateway.console.meetings_support import ahead
from tests.gateway.console.test_browser_desk import post_signed_sms, still_the_same_page
from tests.processes import wait_for

pytestmark = pytest.mark.e2e

DELIVERY_DEADLINE = 60  # seconds for the worker to hand ~26 notices to the fake Twilio and the bar to show it
ANSWER_DEADLINE = 20  # the answers section polls every 5 s


@pytest.fixture
def env(base_env, fake_twilio):
    """SMS through the fake Twilio, no quiet hours (base_env), a segment cost for the preview."""
    return {**base_env, **fake_twilio.env(), "SMS_SEGMENT_COST": "25 XOF", "QUIET_HOURS": ""}


def fill(browser, name: str, value: str) -> None:
    """Set a form field (date and time inputs take their ISO value whatever the browser's locale)."""
    element = browser.find_element(By.NAME, name)
    browser.execute_script("arguments[0].value = arguments[1];", element, value)


def text_of(browser, element_id: str) -> str:
    return browser.find_element(By.ID, element_id).text.strip()


def bar_percent(browser) -> str | None:
    """The delivery bar's percentage, read afresh (htmx replaces the element)."""
    bars = browser.find_elements(By.CSS_SELECTOR, "div.sending[data-kind=meeting_notice] .delivery")
    return bars[0].get_attribute("data-percent") if bars else None


def answer_count(browser, answer: str) -> str | None:
    found = browser.find_elements(By.CSS_SELECTOR, f"#meeting-answers .answer-counts [data-answer={answer}] b")
    return found[0].text if found else None


def test_a_facilitator_runs_a_meeting_from_the_console(runtime, directory, browser, fake_twilio, start_process):
    email = make_user(runtime, "awa@example.org", "facilitator", district="KORO")
    start_process("worker")
    log_in(browser, email, PASSWORD)

    browser.get(browser.base_url + "/console/meetings")
    browser.find_element(By.ID, "new-meeting").click()
    WebDriverWait(browser, 10).until(lambda b: b.find_elements(By.ID, "meeting-form"))
    day, clock = ahead(5)
    fill(browser, "date", day)
    fill(browser, "time", clock)
    browser.find_element(By.NAME, "place").send_keys("Mairie de Koro")
    browser.find_element(By.NAME, "agenda").send_keys("Transhumance et puits")
    browser.find_element(By.ID, "meeting-preview").click()
    WebDriverWait(browser, 10).until(lambda b: b.find_elements(By.ID, "plan"))
    segments = int(text_of(browser, "plan-segments"))
    assert segments > 0
    assert text_of(browser, "plan-cost") == f"{segments * 25} XOF"
    assert "Mairie de Koro" in browser.find_element(By.CSS_SELECTOR, "pre.notice-text").text
    screenshot(browser, "console-meeting-preview")

    browser.find_element(By.ID, "meeting-send").click()
    WebDriverWait(browser, 10).until(lambda b: b.find_elements(By.ID, "meeting-status"))
    ref = int(browser.current_url.rstrip("/").rsplit("/", 1)[1])
    assert f"#{ref}" in browser.find_element(By.TAG_NAME, "h1").text
    heading = browser.find_element(By.TAG_NAME, "h1")
    WebDriverWait(browser, DELIVERY_DEADLINE).until(
        lambda b: bar_percent(b) == "100", "the delivery bar did not reach 100 %"
    )
    assert still_the_same_page(heading), "htmx refreshed the bar; the page never reloaded"

    with runtime.db.transaction() as session:
        broadcast = session.scalar(select(Broadcast).where(Broadcast.meeting_id == ref))
        assert broadcast.segments == segments
        invited = {i.contact.phone for i in session.scalars(select(Invitation).where(Invitation.meeting_id == ref))}
    notices = [r.form for r in fake_twilio.requests if f"#{ref}" in r.form.get("Body", "")]
    assert {form["To"] for form in notices} <= invited
    assert sum(count_segments(form["Body"]).segments for form in notices) == segments, "what Twilio was asked"

    yes, no = leaders_of(runtime, "KORO", "sms")[:2]
    post_signed_sms(browser.base_url, fake_twilio, yes.phone, f"OUI {ref}")
    post_signed_sms(browser.base_url, fake_twilio, no.phone, f"NON #{ref}")
    WebDriverWait(browser, ANSWER_DEADLINE).until(
        lambda b: (answer_count(b, "yes"), answer_count(b, "no")) == ("1", "1"), "the answers did not appear"
    )
    assert still_the_same_page(heading)
    tally = browser.find_element(By.CSS_SELECTOR, "#meeting-answers p.tally").text
    assert tally.startswith(f"#{ref}: 1 oui, 1 non, "), "the tally as the facilitators receive it, kept up to date"
    rows = {
        row.get_attribute("data-contact"): row.get_attribute("data-answer")
        for row in browser.find_elements(By.CSS_SELECTOR, "#invitees tr[data-contact]")
    }
    assert rows[str(yes.id)] == "yes" and rows[str(no.id)] == "no"
    assert yes.phone not in browser.page_source, "a facilitator never sees a full number"
    screenshot(browser, "console-meeting")
    wait_for(lambda: len([r for r in fake_twilio.requests if r.form.get("To") == yes.phone]) >= 2, timeout=20,
             message="the leader's confirmation of their answer")  # fmt: skip
