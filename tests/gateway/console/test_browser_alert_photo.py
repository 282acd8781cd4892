"""Issue 19's "done when" for photos, with a real worker process and a real headless Chromium: a leader's captioned
photo on Telegram (`ALERTE 3 …`) is one alert, the district's officers are paged, the leader gets the alert's
reference, and the officer who opens the alert in the console sees the photo (the browser decoded it: its natural
size is the photo's). The observer, on the same page, sees that a photo exists and never loads it."""

from __future__ import annotations

import io

import pytest
import requests
from PIL import Image
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select

from gateway.models import Alert, MediaItem, Message, Notification
from tests.fakes.telegram_api import SECRET, SECRET_HEADER, telegram_update
from tests.gateway.console.browser import chromium, live_browser, log_in, screenshot  # noqa: F401 - the fixtures
from tests.gateway.console.desk_support import PASSWORD, make_user
from tests.processes import wait_for

pytestmark = pytest.mark.e2e

LEADER_TG = 1445857208  # Seydou Togo, leader at Socoura (MOPTI), linked to Telegram in the sample directory
SIZES = {
    "AgACAgQAAxkBAAIBY2photoS": (90, 67),
    "AgACAgQAAxkBAAIBY2photoM": (320, 240),
    "AgACAgQAAxkBAAIBY2photoL": (1280, 960),
}  # fmt: skip - the fixture's three sizes of one photo


def jpeg(size: tuple[int, int]) -> bytes:
    """A real JPEG (a browser must decode it): a dusty road, roughly."""
    out = io.BytesIO()
    Image.new("RGB", size, (196, 150, 92)).save(out, "JPEG", quality=70)
    return out.getvalue()


@pytest.fixture
def env(base_env, fake_twilio, fake_telegram):
    """The gateway and its worker on the fake Telegram (the leader) and the fake Twilio (officers' SMS)."""
    return {**base_env, **fake_twilio.env(), **fake_telegram.env()}


def the_alert(runtime) -> tuple[int, list[str]] | None:
    """The alert's reference and its fetched files' statuses, once the photo is kept."""
    with runtime.db.transaction() as session:
        alert = session.scalars(select(Alert)).first()
        if alert is None:
            return None
        query = select(MediaItem.status).join(Message, Message.id == MediaItem.message_id)
        statuses = list(session.scalars(query.where(Message.alert_id == alert.id)))
        return (alert.id, statuses) if statuses and "pending" not in statuses else None


def test_a_captioned_photo_alert_reaches_the_officers_with_its_photo_in_the_console(
    runtime, directory, browser, fake_twilio, fake_telegram, start_process
):
    for file_id, size in SIZES.items():
        fake_telegram.add_file(file_id, jpeg(size))
    officer = make_user(runtime, "fatoumata@example.org", "officer", district="MOPTI")
    observer = make_user(runtime, "donor@example.org", "observer")
    start_process("worker")
    update = telegram_update("photo_caption", user_id=LEADER_TG)
    answer = requests.post(browser.base_url + "/webhooks/telegram", json=update, headers={SECRET_HEADER: SECRET},
                           timeout=10)  # fmt: skip
    assert answer.status_code == 200

    ref, statuses = wait_for(lambda: the_alert(runtime), timeout=60, message="the alert with its photo kept")
    assert statuses == ["fetched"]
    with runtime.db.transaction() as session:
        alert = session.get(Alert, ref)
        assert (alert.severity, alert.description[:30]) == (3, "Les jeunes bloquent la route d")
        notified = session.scalars(select(Notification).where(Notification.alert_id == ref)).all()
        paged = {n.officer.phone for n in notified}
        assert alert.district.code == "MOPTI" and {n.officer.district.code for n in notified} == {"MOPTI"}
    assert paged
    told = wait_for(lambda: {r.form["To"] for r in fake_twilio.requests if f"#{ref}" in r.form.get("Body", "")}
                    >= paged or None, timeout=30, message="the MOPTI officers paged")  # fmt: skip
    assert told
    leader_texts = [call.text for call in fake_telegram.calls_to("sendMessage") if call.chat_id == LEADER_TG]
    assert any(f"#{ref}" in text for text in leader_texts), leader_texts

    log_in(browser, officer, PASSWORD)
    browser.get(f"{browser.base_url}/console/alerts/{ref}")
    photo = WebDriverWait(browser, 10).until(
        lambda b: b.find_element(By.CSS_SELECTOR, f"img[src*='/alerts/{ref}/media/']")
    )
    WebDriverWait(browser, 10).until(lambda b: b.execute_script("return arguments[0].complete", photo))
    natural = browser.execute_script("return [arguments[0].naturalWidth, arguments[0].naturalHeight]", photo)
    assert tuple(natural) == SIZES["AgACAgQAAxkBAAIBY2photoL"], "the largest size, decoded by the browser"
    shown = browser.execute_script("return arguments[0].getBoundingClientRect().height", photo)
    assert 0 < shown <= 320, "shown small: the alert's actions stay on the first screen"
    screenshot(browser, "console-alert-photo")

    browser.delete_all_cookies()
    log_in(browser, observer, PASSWORD)
    browser.get(f"{browser.base_url}/console/alerts/{ref}")
    WebDriverWait(browser, 10).until(lambda b: b.find_elements(By.ID, "alert-status"))
    assert not browser.find_elements(By.CSS_SELECTOR, "img[src*='/media/'], audio")
    assert "photo" in browser.find_element(By.TAG_NAME, "main").text.lower()
