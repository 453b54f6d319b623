"""WhatsApp as people see it in a real headless browser: the sandbox outbox's chat bubbles under the page's strict
CSP, and the console's Messages page showing each WhatsApp template as the recipient will get it."""

import json

import pytest

from tests.conftest import STAFF_PASSWORD
from tests.e2e.test_console_browser import ARTIFACTS, CHROMIUM, page, pytestmark, sync_api  # noqa: F401 - fixture
from tests.sandbox_clients import close, make_client, make_email, smtp_send

BUBBLE_GREEN = "rgb(217, 253, 211)"  # WhatsApp's outgoing bubble, #d9fdd3
GOING_ES = "HX0000000000000000000000000000e001"  # [going_to_dropoff.es] in whatsapp_templates.example.toml


@pytest.fixture
def sent(sandbox):
    """One WhatsApp message read by its recipient, one to a number not on WhatsApp, and an email."""
    twilio = make_client(sandbox)
    variables = json.dumps({"1": "Ana", "2": "Tienda Sol", "3": "https://track.sandbox.test/t/abc"})
    template = {"from_": "whatsapp:+15005550006", "content_sid": GOING_ES, "content_variables": variables}
    try:
        read = twilio.messages.create(to="whatsapp:+593998976565", **template)
        sandbox.twilio.update_status(read.sid, "read")
        unreachable = twilio.messages.create(to="whatsapp:+593991112233", **template)
        sandbox.twilio.update_status(unreachable.sid, "failed", 63003)
    finally:
        close(twilio)
    smtp_send(sandbox, make_email())
    return sandbox


def test_sandbox_outbox_shows_whatsapp_as_a_chat_under_its_csp(page, sent):  # noqa: F811 - the imported fixture
    page.goto(sent.api_url + "/_sandbox/")
    bubbles = page.locator("article.wa .bubble")
    sync_api.expect(bubbles).to_have_count(2)
    read = page.locator("article.wa", has_text="+593998976565").locator(".bubble")
    sync_api.expect(read).to_contain_text("Hola Ana, tu pedido de Tienda Sol va en camino.")
    assert read.evaluate("node => getComputedStyle(node).backgroundColor") == BUBBLE_GREEN
    sync_api.expect(read.locator(".ticks.read")).to_have_text("✓✓")
    sync_api.expect(page.locator(".ticks.failed")).to_have_text("failed 63003")
    page.get_by_text("HTML part").click()
    frame = page.frame_locator("article iframe")
    sync_api.expect(frame.get_by_role("link", name="tu pedido")).to_be_visible()
    assert page.errors == []  # nothing the CSP blocked
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "sandbox-outbox-whatsapp.png"), full_page=True)


def test_console_messages_page_shows_whatsapp_as_the_recipient_reads_it(page, make_staff):  # noqa: F811
    make_staff("ana")
    page.goto("/console/login")
    page.get_by_label("Username").fill("ana")
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Messages").click()
    row = page.locator("#going_to_dropoff tr.whatsapp").first
    bubble = row.locator(".wa-bubble")
    sync_api.expect(bubble).to_contain_text(
        "Hola Guadalupe-Concepción, tu pedido de Farmacias del Puerto va en camino."
    )
    sync_api.expect(bubble).to_contain_text("Síguelo aquí: https://api.shippify.co/track/t-demo-00127?token=")
    assert bubble.evaluate("node => getComputedStyle(node).backgroundColor") == BUBBLE_GREEN  # console.css, under CSP
    sync_api.expect(row.get_by_text("Billed per message")).to_be_visible()
    sync_api.expect(page.locator("tr.whatsapp")).to_have_count(18)
    assert page.errors == []
    page.screenshot(path=str(ARTIFACTS / "console-messages-whatsapp.png"), full_page=True)
