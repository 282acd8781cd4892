"""A real headless Chromium for the console's browser tests: Debian's `chromium` driven by its `chromedriver`
through Selenium 4 (SE_OFFLINE: Selenium Manager never downloads a browser or a driver), and the gateway's app
served over real HTTP on 127.0.0.1 by werkzeug in a thread.

Without a browser the tests skip, saying why, unless CONSOLE_BROWSER_TESTS=required (CI sets it): then they fail."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.gateway.console.auth_support import code_now

CHROMIUM = os.environ.get("CONSOLE_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CONSOLE_CHROMEDRIVER", "/usr/bin/chromedriver")
ROOT = Path(__file__).resolve().parents[3]
# Screenshots land here (not committed): CI keeps the folder as an artefact.
ARTIFACTS_DIR = Path(os.environ.get("ARTIFACTS_DIR") or ROOT / "tests" / "artifacts")
WINDOW = (1366, 768)  # the office laptops


def missing_browser() -> str | None:
    """What is missing to run a browser here, or None."""
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            return f"{path} not found (apt-get install {package})"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[test]')"
    return None


def require_browser() -> None:
    """Skip (or fail where CONSOLE_BROWSER_TESTS=required) when no browser can run here."""
    missing = missing_browser()
    if missing is None:
        return
    if os.environ.get("CONSOLE_BROWSER_TESTS") == "required":
        pytest.fail(f"CONSOLE_BROWSER_TESTS=required but {missing}")
    pytest.skip(f"console browser tests need Debian's chromium and chromium-driver: {missing}")


def start_chromium():
    """A headless Chromium at laptop size, talking to nothing but 127.0.0.1."""
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager: never download anything
    options = Options()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root in a container
        "--disable-dev-shm-usage",
        "--disable-gpu",
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-default-apps",
    ):
        options.add_argument(argument)
    options.add_experimental_option("prefs", {"intl.accept_languages": "fr-FR,fr"})  # the console's default
    return webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)


def browser_session() -> Iterator:
    """One browser, for a whole test module (starting one costs a second or two); quit at the end."""
    require_browser()
    browser = start_chromium()
    try:
        yield browser
    finally:
        browser.quit()


# The two fixtures of every browser test module, which imports them (`chromium, live_browser`) and takes `browser`.
@pytest.fixture(scope="module", name="driver")
def chromium():
    """One headless Chromium for the test module."""
    yield from browser_session()


@pytest.fixture(name="browser")
def live_browser(driver, app):
    """The module's browser, logged out, on this test's gateway served over HTTP."""
    with serving(app) as base_url:
        yield fresh_start(driver, base_url)


@contextmanager
def serving(app) -> Iterator[str]:
    """The app served over HTTP on a free port of 127.0.0.1 while the block runs; its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="console-live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def fresh_start(driver, base_url: str):
    """The module's browser, logged out, pointed at this test's server (cookies are per host, not per port)."""
    driver.get(base_url + "/console/login")
    driver.delete_all_cookies()
    driver.base_url = base_url
    return driver


def log_in(browser, email: str, password: str, totp_secret: str | None = None) -> None:
    """Fill and submit the login form as a person would (then the second factor's form, given the account's TOTP
    secret, as an admin does); wait for the desk."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(browser.base_url + "/console/login")
    browser.find_element(By.NAME, "email").send_keys(email)
    browser.find_element(By.NAME, "password").send_keys(password)
    browser.find_element(By.CSS_SELECTOR, "form.login button[type=submit]").click()
    if totp_secret:
        WebDriverWait(browser, 10).until(lambda b: b.find_elements(By.NAME, "otp"))
        browser.find_element(By.NAME, "otp").send_keys(code_now(totp_secret))
        browser.find_element(By.CSS_SELECTOR, "form.login button[type=submit]").click()
    WebDriverWait(browser, 10).until(expected_conditions.presence_of_element_located((By.ID, "desk-list")))


def screenshot(browser, name: str) -> Path:
    """Save what the browser shows as ARTIFACTS_DIR/<name>.png (the whole page's height)."""
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS_DIR / f"{name}.png"
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(WINDOW[0], max(WINDOW[1], min(int(height) + 40, 3000)))
    browser.execute_script("window.scrollTo(0, 0)")
    browser.save_screenshot(str(path))
    browser.set_window_size(*WINDOW)
    assert path.stat().st_size > 1000
    return path
