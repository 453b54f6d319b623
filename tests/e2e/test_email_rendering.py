"""Every default email as a browser renders it (Debian's chromium driven by Playwright), on a desktop and two phones.

Screenshots go to test-artifacts/emails/<locale>-<status>.png (-phone.png: 390 px, -small.png: 320 px) for a person
to look at; the tests check what a person would: the button is there on one line, leads to the tracking link, and
nothing is wider than the screen.
"""

import shutil
from pathlib import Path

import pytest

from tests.conftest import STAFF_PASSWORD
from worker import preview
from worker.locales import LOCALES
from worker.rendering import Renderer
from worker.rules import DEFAULT_RULES

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install -e '.[dev]')")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "emails"
SCREENS = {
    "": {"width": 800, "height": 900},
    "-phone": {"width": 390, "height": 844},
    "-small": {"width": 320, "height": 640},
}

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed: apt-get install chromium"
)


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def tab(browser):
    """A page that works offline: any request it makes (an outside image, a font) fails the test."""
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    page.requests = []
    page.on("request", lambda request: page.requests.append(request.url))
    yield page
    context.close()


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("status", DEFAULT_RULES)
def test_email_renders_with_a_visible_button_to_the_tracking_link(tab, status, locale):
    html = preview.message(Renderer(), status, locale, "email").email.html
    SHOTS.mkdir(parents=True, exist_ok=True)
    for suffix, viewport in SCREENS.items():
        tab.set_viewport_size(viewport)
        tab.set_content(html)
        button = tab.locator("a.button")
        sync_api.expect(button).to_be_visible()
        assert button.get_attribute("href") == preview.SAMPLE_LINK
        box = button.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]
        assert box["height"] < 60, "the button's text wraps onto two lines"
        assert tab.evaluate("document.documentElement.scrollWidth") <= viewport["width"], "wider than the screen"
        tab.screenshot(path=str(SHOTS / f"{locale}-{status}{suffix}.png"), full_page=True)
    assert tab.requests == [], "the email loads something from outside"


def test_console_shows_the_email_in_a_sandboxed_frame(browser, base_url, make_staff):
    make_staff("ana")
    context = browser.new_context(base_url=base_url, locale="en-GB", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.goto("/console/login")
    page.get_by_label("Username").fill("ana")
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Messages").click()
    sync_api.expect(page.locator("#hold_by_courier").get_by_text("Segments: 2").first).to_be_visible()
    page.screenshot(path=str(SHOTS.parent / "console-messages.png"), full_page=True)
    page.locator("#going_to_dropoff").get_by_role("link", name="View email").first.click()
    sync_api.expect(page.get_by_role("heading", name="Tu pedido de Farmacias del Puerto va en camino")).to_be_visible()
    sync_api.expect(page.frame_locator("iframe.email-preview").locator("a.button")).to_be_visible()
    page.screenshot(path=str(SHOTS.parent / "console-message-email.png"), full_page=True)
    context.close()
    assert errors == []
