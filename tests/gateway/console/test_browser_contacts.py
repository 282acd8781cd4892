"""The directory import in a real headless Chromium against the gateway served over HTTP: an admin uploads a CSV
with one bad line and sees it refused with its line number and nothing written, uploads the corrected file (with
its upload progress), confirms it and sees it imported; the export fetched with the browser's session shows no
live formula. A screenshot of the preview goes to ARTIFACTS_DIR."""

from __future__ import annotations

import csv
import io

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select

from gateway.core.untrusted import FORMULA_STARTS
from gateway.models import Contact
from tests.gateway.console.auth_support import PASSWORD, add_staff
from tests.gateway.console.browser import chromium, live_browser, log_in, screenshot  # noqa: F401 - the fixtures
from tests.gateway.console.contacts_support import csv_text, footprint
from tests.gateway.console.test_browser_desk import still_the_same_page

pytestmark = pytest.mark.e2e

FORMULA = '=HYPERLINK("http://x","y")'
GOOD = f'"{FORMULA.replace(chr(34), chr(34) * 2)}",+22376123456,,leader,Mopti,KORO,Konna,Kotaka,fr,sms,,'
OTHER = "Moussa Diarra,76 12 34 57,,leader,Ségou,MACINA,Macina,,bm,sms,,"
BAD = "Ali Cissé,12,,leader,Mopti,KORO,Koro,,fr,sms,,"


def upload(browser, path) -> None:
    """Choose the file and press "check"; wait for the answer to replace the page's main part."""
    browser.find_element(By.ID, "import-file").send_keys(str(path))
    old = browser.find_element(By.TAG_NAME, "h1")
    browser.find_element(By.ID, "import-upload").click()
    WebDriverWait(browser, 15).until(lambda b: not still_the_same_page(old))


def test_an_admin_imports_a_corrected_file_and_exports_no_live_formula(runtime, directory, browser, tmp_path):
    factor = add_staff(runtime, "chef@example.org", role="admin", totp=True)
    log_in(browser, "chef@example.org", PASSWORD, factor.secret)
    browser.get(browser.base_url + "/console/contacts")
    browser.find_element(By.ID, "contacts-import").click()
    WebDriverWait(browser, 10).until(lambda b: b.find_elements(By.ID, "import-file"))
    header = browser.find_element(By.CSS_SELECTOR, "header.top")
    before = footprint(runtime)

    wrong = tmp_path / "annuaire.csv"
    wrong.write_text(csv_text(GOOD, BAD, OTHER), encoding="utf-8")
    upload(browser, wrong)
    refused = browser.find_element(By.ID, "import-refused").text
    assert "1 ligne(s) invalide(s)" in refused and "Rien n'a été écrit" in refused
    row = browser.find_element(By.CSS_SELECTOR, "table.import-errors tr[data-line]")
    assert row.get_attribute("data-line") == "3" and "phone '12': not a valid phone number" in row.text
    assert not browser.find_elements(By.ID, "import-confirm-button")
    assert footprint(runtime) == before, "nothing written"
    assert still_the_same_page(header), "uploaded by the page's script, not a form post"
    assert browser.find_element(By.TAG_NAME, "body").get_attribute("data-upload-progress") == "100"

    fixed = tmp_path / "annuaire-corrige.csv"
    fixed.write_text(csv_text(GOOD, BAD.replace(",12,", ",76 12 34 58,"), OTHER), encoding="utf-8")
    upload(browser, fixed)
    counts = browser.find_element(By.ID, "import-counts")
    assert (counts.get_attribute("data-created"), counts.get_attribute("data-updated")) == ("3", "0")
    assert footprint(runtime) == before, "the preview writes nothing"
    screenshot(browser, "console-contacts-import-preview")
    old = browser.find_element(By.TAG_NAME, "h1")
    browser.find_element(By.ID, "import-confirm-button").click()
    WebDriverWait(browser, 15).until(lambda b: not still_the_same_page(old))
    assert "Importé : 3 nouveau(x), 0 modifié(s), 0 inchangé(s)" in browser.find_element(By.ID, "import-done").text
    with runtime.db.sessions() as db:
        imported = db.scalar(select(Contact).where(Contact.phone == "+22376123456"))
        assert imported.name == FORMULA and imported.district.code == "KORO"

    cookies = {c["name"]: c["value"] for c in browser.get_cookies()}
    response = requests.get(browser.base_url + "/console/contacts/export.csv", params={"q": "HYPERLINK"},
                            cookies=cookies, timeout=10)  # fmt: skip
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8")
    [row] = list(csv.DictReader(io.StringIO(text)))
    assert row["name"] == "'" + FORMULA and row["phone"] == "'+22376123456"
    cells = [cell for line in csv.reader(io.StringIO(text)) for cell in line]
    assert not [cell for cell in cells if cell.startswith(FORMULA_STARTS)], "no live formula"


def test_the_list_and_a_contact_explain_why_a_leader_gets_no_sms(runtime, directory, browser):
    with runtime.db.transaction() as db:
        leader = db.scalars(select(Contact).where(Contact.role == "leader").order_by(Contact.id)).first()
        leader.sms_unreachable, leader.sms_unreachable_reason = True, "21610"
        leader_id, name = leader.id, leader.name
    factor = add_staff(runtime, "chef@example.org", role="admin", totp=True)
    log_in(browser, "chef@example.org", PASSWORD, factor.secret)
    browser.get(browser.base_url + "/console/contacts?unreachable=sms")
    rows = browser.find_elements(By.CSS_SELECTOR, "tr[data-contact]")
    assert [row.get_attribute("data-contact") for row in rows] == [str(leader_id)]
    screenshot(browser, "console-contacts-list")
    browser.find_element(By.LINK_TEXT, name).click()
    WebDriverWait(browser, 10).until(lambda b: b.find_elements(By.ID, "reachability"))
    assert "désabonné chez l'opérateur (Twilio 21610" in browser.find_element(By.ID, "reachability").text
    browser.find_element(By.ID, "contact-link").click()
    WebDriverWait(browser, 10).until(lambda b: b.find_elements(By.ID, "telegram-link"))
    image = browser.find_element(By.CSS_SELECTOR, "#telegram-link img")
    assert browser.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", image), (
        "the QR code is shown (CSP allows data: images)"
    )
    screenshot(browser, "console-contact-page")
