"""A KORO facilitator opens the service pulse in a real headless Chromium: twelve weeks of rounds in four communes
drawn as small multiples, the response rate and the roadmap progress, all visible (images decoded, sizes above
zero) under the console's CSP; the screenshot is saved as an artefact."""

from __future__ import annotations

import base64
import random
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from gateway.models import RoadmapItem
from gateway.pulse.results import week_window
from tests.gateway.console.browser import chromium, live_browser, log_in, screenshot  # noqa: F401 - the fixtures
from tests.gateway.console.desk_support import PASSWORD, make_user
from tests.gateway.pulse.factory import answers, district, leaders, pulse_round

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

COMMUNES = {"Bondo": ["school", "health", "security", "administration"], "Koro": ["school", "health"],
            "Dinangourou": ["security"], "Madougou": ["water", "market"]}  # fmt: skip


def twelve_weeks(runtime) -> None:
    """Rounds of the last twelve weeks in KORO, answers drawn with a fixed seed (some weeks too few), a roadmap."""
    draw = random.Random(17)
    today = datetime.now(ZoneInfo("Africa/Bamako")).date()
    with runtime.db.transaction() as db:
        koro = district(db, "KORO")
        for commune, services in COMMUNES.items():
            people = leaders(db, koro, commune, 5)
            for week in week_window(today, 12)[1:]:
                made = pulse_round(db, koro, commune, week, services, people)
                replies = ["".join(draw.choice("1123") for _ in services) for _ in range(draw.choice([1, 3, 4, 5]))]
                answers(db, made, people, replies)
        for n, status in enumerate(["done", "done", "in_progress", "stalled", "planned"]):
            due = date(2020, 1, 1) if status == "planned" else date(2099, 1, 1)
            db.add(RoadmapItem(natural_key=f"browser-{n}", district_id=koro.id, commune="Bondo", service="school",
                               commitment=f"Engagement {n}", due=due, status=status))  # fmt: skip


def test_a_facilitator_sees_the_district_charts(runtime, directory, browser):
    twelve_weeks(runtime)
    log_in(browser, make_user(runtime, "awa@example.org", "facilitator", district="KORO"), PASSWORD)
    browser.get(browser.base_url + "/console/pulse")
    browser.find_element(By.CSS_SELECTOR, 'tr[data-district="KORO"] a').click()
    WebDriverWait(browser, 10).until(lambda b: b.find_elements(By.ID, "pulse-multiples"))
    images = browser.find_elements(By.CSS_SELECTOR, "img.chart")
    assert len(images) == 3
    WebDriverWait(browser, 10).until(lambda b: all(i.get_attribute("complete") == "true" for i in images))
    for image in images:
        natural = browser.execute_script("return [arguments[0].naturalWidth, arguments[0].naturalHeight]", image)
        assert natural[0] > 0 and natural[1] > 0, "the SVG decoded"
        assert image.size["width"] > 100 and image.size["height"] > 50, "shown at a visible size"
    multiples = base64.b64decode(images[0].get_attribute("src").split(",", 1)[1]).decode()
    assert all(f"{commune} · " in multiples for commune in COMMUNES)
    table = browser.find_element(By.ID, "pulse-table").text
    assert all(commune in table for commune in COMMUNES)
    screenshot(browser, "console-pulse-district")
