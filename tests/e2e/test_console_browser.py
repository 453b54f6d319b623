"""The console in a real headless browser (Debian's chromium driven by Playwright), against the real app on a socket.

Sign in, find a delivery by its merchant reference, resend by SMS to a corrected number, see it in the timeline, and
check that the sandbox Twilio got it; open the dashboard and see its charts drawn under the console's CSP.
Screenshots of the delivery page and the dashboard are kept in test-artifacts/.
"""

import shutil
from pathlib import Path

import pytest

from tests.conftest import STAFF_PASSWORD

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install -e '.[dev]')")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
DELIVERY = "t-shiinc-27946"

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed: apt-get install chromium"
)


@pytest.fixture
def page(base_url):
    """A fresh browser page that records console errors (a CSP violation would show up there)."""
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(base_url=base_url, locale="en-GB", viewport={"width": 1280, "height": 900})
        context.grant_permissions(["clipboard-read", "clipboard-write"])
        tab = context.new_page()
        tab.errors = []
        tab.on("console", lambda message: message.type == "error" and tab.errors.append(message.text))
        yield tab
        browser.close()


def sign_in(page, username: str) -> None:
    """Open the console and sign in with the test password."""
    page.goto("/console/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_find_by_reference_and_resend_to_a_corrected_number(page, sandbox, make_staff, work):
    sandbox.add_delivery(DELIVERY, reference="PO-7781", name="Iliana Bolaños")
    make_staff("ana")

    sign_in(page, "ana")
    page.get_by_label("Delivery id or merchant reference").fill("PO-7781")
    page.get_by_role("button", name="Find").click()
    sync_api.expect(page.get_by_role("heading", name=f"Delivery {DELIVERY}")).to_be_visible()
    page.get_by_role("button", name="Copy").click()
    sync_api.expect(page.get_by_role("button", name="Copied")).to_be_visible()

    page.get_by_label("Email", exact=True).uncheck()
    page.get_by_label("Corrected phone (optional)").fill("+593 99 111 2233")
    page.get_by_label("Reason").fill("Recipient changed number")
    page.get_by_role("button", name="Resend now").click()
    sync_api.expect(page.get_by_text("SMS to +593…33 queued.")).to_be_visible()
    work()
    page.reload()

    timeline = page.locator("#timeline")
    sync_api.expect(timeline.get_by_text("resent by ana")).to_be_visible()
    sync_api.expect(timeline.get_by_text("Recipient changed number")).to_be_visible()
    (sms,) = sandbox.sms
    assert sms["to"] == "+593991112233" and sms["body"].endswith(sandbox.tracking_url(DELIVERY))
    assert not sandbox.emails
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "console-delivery.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(ARTIFACTS / "console-delivery-phone.png"), full_page=True)
    assert page.errors == []


def test_admin_finds_a_recipient_by_phone_and_erases_them_after_confirming(
    page, sandbox, make_staff, post_webhook, work, redis_client
):
    sandbox.add_delivery(DELIVERY, phone="0998976565", name="Iliana Bolaños")
    assert post_webhook({"id": DELIVERY}, status="going_to_dropoff").status_code == 202
    work()
    make_staff("bruno", "admin")
    sign_in(page, "bruno")
    page.get_by_label("Delivery id or merchant reference, phone or email").fill("(099) 897-6565")
    page.get_by_role("button", name="Find").click()
    sync_api.expect(page.locator("#results").get_by_role("link", name=DELIVERY)).to_be_visible()

    page.get_by_role("link", name="Recipients").click()
    page.get_by_label("Phone number or email").fill("099 897 6565")
    page.get_by_role("button", name="Show what is kept").click()
    sync_api.expect(page.get_by_role("heading", name="+593998976565")).to_be_visible()
    page.get_by_label("I confirm").check()
    page.once("dialog", lambda dialog: dialog.dismiss())  # the browser's own confirmation, refused first
    page.get_by_role("button", name="Erase", exact=True).click()
    assert redis_client.exists(f"ntf:delivery:{DELIVERY}")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Erase", exact=True).click()
    sync_api.expect(page.get_by_text("Deliveries erased: 1")).to_be_visible()
    assert not redis_client.exists(f"ntf:delivery:{DELIVERY}")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "console-recipients.png"), full_page=True)


def test_the_dashboard_draws_its_charts_under_the_csp(page, sandbox, post_webhook, work, make_staff):
    sandbox.add_delivery(DELIVERY, status="going_to_dropoff")
    assert post_webhook({"id": DELIVERY, "cityLang": "es"}, status="going_to_dropoff").status_code == 202
    work()
    make_staff("ana")

    sign_in(page, "ana")
    page.get_by_role("link", name="Dashboard").click()
    sync_api.expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    chart = page.get_by_role("img", name="SMS messages per day: sent, delivered, read, clicked, failed")
    sync_api.expect(chart).to_be_visible()
    today = chart.locator("rect.fig-sent").last  # one message sent today: the tallest bar, coloured by console.css
    assert today.evaluate("bar => getComputedStyle(bar).fill") == "rgb(31, 95, 191)"
    assert today.bounding_box()["height"] > 100
    sync_api.expect(page.locator("#figures-sms tbody tr").first.locator('[data-figure="sent"]')).to_have_text("1")
    sync_api.expect(
        page.get_by_role("img", name="Median and 95th percentile of the time from webhook to provider, per day")
    ).to_be_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "console-dashboard.png"), full_page=True)
    assert page.errors == []
