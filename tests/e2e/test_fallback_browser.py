"""A fallback on the console's delivery page in a real headless browser: the WhatsApp message that could not reach
the recipient and the SMS sent instead link to each other's line, and the line followed to stands out, under the
console's CSP. A screenshot is kept in test-artifacts/."""

import re
from pathlib import Path

import pytest

from tests.e2e.test_console_browser import ARTIFACTS, page, pytestmark, sign_in, sync_api  # noqa: F401 - fixture
from tests.test_whatsapp_fallback import FALLBACK_ID, RULES, WA_ID, fire

HIGHLIGHT = "rgb(225, 236, 251)"  # console.css's --ok-bg, on the line a link went to


@pytest.fixture
def env(env: dict[str, str], sandbox, tmp_path: Path) -> dict[str, str]:
    """WhatsApp first, SMS when WhatsApp cannot reach the recipient."""
    path = tmp_path / "rules.toml"
    path.write_text(RULES)
    return {**env, **sandbox.whatsapp_env(), "NOTIFY_RULES": str(path)}


def test_a_fallback_sms_and_its_whatsapp_message_link_to_each_other(
    page,  # noqa: F811 - the imported fixture
    sandbox,
    post_webhook,
    work,
    make_staff,
):
    sandbox.fail("twilio", status=400, code=63003)  # Twilio refuses the WhatsApp send: the SMS goes instead
    fire(sandbox, post_webhook)
    work()
    assert sandbox.whatsapp == [] and len(sandbox.sms) == 1
    make_staff("ana")
    sign_in(page, "ana")
    page.goto("/console/deliveries/t-1")

    whatsapp, sms = page.locator(f"#n-{WA_ID}"), page.locator(f"#n-{FALLBACK_ID}")
    sync_api.expect(whatsapp).to_contain_text("Replaced by a fallback: this message could not reach the recipient.")
    whatsapp.get_by_role("link", name="Go to the fallback (SMS)").click()
    sync_api.expect(page).to_have_url(re.compile(f"#n-{FALLBACK_ID}$"))
    sync_api.expect(sms).to_contain_text("Fallback: the first message could not reach the recipient.")
    assert sms.evaluate("node => getComputedStyle(node).backgroundColor") == HIGHLIGHT  # console.css, under CSP

    sms.get_by_role("link", name="Go to the first message (WhatsApp)").click()
    sync_api.expect(page).to_have_url(re.compile(f"#n-{WA_ID}$"))
    assert whatsapp.evaluate("node => getComputedStyle(node).backgroundColor") == HIGHLIGHT
    assert sms.evaluate("node => getComputedStyle(node).backgroundColor") != HIGHLIGHT
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "console-delivery-fallback.png"), full_page=True)
    assert page.errors == []
