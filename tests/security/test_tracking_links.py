"""A webhook sender cannot choose the host of the tracking link a recipient gets: the body's `trackingUrl` is used
only in canonical form on Shippify's host, and the API's answer only in canonical form (worker/links.py).

Everything goes over real sockets: the webhook to the app served on a port, the worker's calls to the sandbox
Shippify, Twilio and SMTP servers.
"""

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from tests.conftest import WEBHOOK_TOKEN
from worker import links

DELIVERY = "link-0001"
PROBE_LINK = "https://evil.example\\@api.shippify.co/track/link-0001?token=abc"
HOSTILE = [
    PROBE_LINK,
    "https://evil.example@api.shippify.co/track/link-0001?token=abc",
    "https://api.shippify.co@evil.example/track/link-0001?token=abc",
    "https://evil.example%40api.shippify.co/track/link-0001?token=abc",
    "https://evil.example%5C@api.shippify.co/track/link-0001?token=abc",
    "https:/\\evil.example/track/link-0001?token=abc",
    "https:\\\\evil.example/track/link-0001?token=abc",
    "https://api.shippify.co\\.evil.example/track/link-0001?token=abc",
    "https://evil.example\t@api.shippify.co/track/link-0001?token=abc",
    "https://evil.example\n@api.shippify.co/track/link-0001?token=abc",
    "https://api.shippify.co/track/link-0001?token=abc\r\nhttps://evil.example/",
    "https://evil.example @api.shippify.co/track/link-0001?token=abc",
    "https://api.shippify.co.evil.example/track/link-0001?token=abc",
    "https://API.SHIPPIFY.CO/track/link-0001?token=abc",
    "https://api.shippify.co./track/link-0001?token=abc",
    "https://api.shippífy.co/track/link-0001?token=abc",
    "https://аpi.shippify.co/track/link-0001?token=abc",  # Cyrillic а
    "https://xn--pi-7ba.shippify.co/track/link-0001?token=abc",
    "https://api%2Eshippify.co/track/link-0001?token=abc",
    "http://api.shippify.co/track/link-0001?token=abc",
    "HTTPS://api.shippify.co/track/link-0001?token=abc",
    "//api.shippify.co/track/link-0001?token=abc",
    "javascript:alert(1)//https://api.shippify.co/",
    "https://[::1]/track/link-0001?token=abc",
    "https://api.shippify.co:443@evil.example/track/link-0001",
]


def received_links(sandbox) -> list[str]:
    """Every link the recipient got: in the SMS bodies, the email text and the email HTML's hrefs."""
    found = [link for sms in sandbox.sms for link in re.findall(r"\S+://\S+", sms["body"])]
    for email in sandbox.emails:
        found += re.findall(r"\S+://\S+", email.message.get_body(("plain",)).get_content())
        found += hrefs(email.message.get_body(("html",)).get_content())
    return found


def hrefs(html: str) -> list[str]:
    """The href of every anchor, unescaped as a browser reads it."""
    collected: list[str] = []

    class Anchors(HTMLParser):
        def handle_starttag(self, tag, attrs):
            collected.extend(value for name, value in attrs if tag == "a" and name == "href" and value)

    Anchors().feed(html)
    return collected


def webhook(base_url: str, body: dict) -> requests.Response:
    return requests.post(
        f"{base_url}/webhooks/shippify/going_to_dropoff",
        json=body,
        headers={"X-Webhook-Token": WEBHOOK_TOKEN},
        timeout=10,
    )


def test_the_probes_link_never_reaches_the_recipient(base_url, sandbox, work):
    sandbox.add_delivery(DELIVERY)
    answer = webhook(base_url, {"id": DELIVERY, "trackingUrl": PROBE_LINK})
    assert answer.status_code == 202, answer.text
    work()

    real = sandbox.tracking_url(DELIVERY)
    got = received_links(sandbox)
    assert len(sandbox.sms) == 1 and len(sandbox.emails) == 1
    assert len(got) >= 3 and set(got) == {real}, got
    assert not any("evil" in link for link in got)


@pytest.mark.parametrize("hostile", HOSTILE)
def test_no_hostile_form_of_the_body_link_is_sent(base_url, sandbox, work, hostile):
    sandbox.add_delivery(DELIVERY)
    assert webhook(base_url, {"id": DELIVERY, "trackingUrl": hostile}).status_code == 202
    work()
    got = received_links(sandbox)
    assert len(got) >= 3 and set(got) == {sandbox.tracking_url(DELIVERY)}, got


def test_a_canonical_link_on_shippifys_host_is_sent_as_it_is(base_url, sandbox, work):
    sandbox.add_delivery(DELIVERY)
    body_link = "https://api.shippify.co/track/link-0001?token=abc"
    assert webhook(base_url, {"id": DELIVERY, "trackingUrl": body_link}).status_code == 202
    work()
    assert set(received_links(sandbox)) == {body_link}


@pytest.mark.parametrize("hostile", [PROBE_LINK.replace("api.shippify.co", "track.sandbox.test"), *HOSTILE[1:12]])
def test_a_non_canonical_link_from_shippifys_api_is_never_sent(base_url, sandbox, work, hostile):
    sandbox.add_delivery(DELIVERY)
    sandbox.answer_tracking_url(DELIVERY, hostile)
    assert webhook(base_url, {"id": DELIVERY}).status_code == 202
    work()
    assert not sandbox.sms and not sandbox.emails


def test_the_api_may_track_on_its_own_host_in_canonical_form():
    assert links.canonical("https://track.sandbox.test/track/x?token=abc&ref=server") is not None
    assert links.canonical("https://track.sandbox.test/track/x", links.shippify_hosts("https://api.example")) is None


def test_a_browser_reads_shippifys_host_in_every_link_the_recipient_got(base_url, sandbox, work):
    """The parser that matters is the recipient's: Chromium's WHATWG URL parser reads each link's host."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed: pip install -e '.[dev]'")
    from tests.e2e.test_console_browser import CHROMIUM, CHROMIUM_ARGS

    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed: apt-get install chromium")
    for number, hostile in enumerate(HOSTILE[:12]):
        sandbox.add_delivery(f"{DELIVERY}-{number}")
        assert webhook(base_url, {"id": f"{DELIVERY}-{number}", "trackingUrl": hostile}).status_code == 202
    work()
    texts = [sms["body"] for sms in sandbox.sms]
    texts += [email.message.get_body(("plain",)).get_content() for email in sandbox.emails]
    pages = [email.message.get_body(("html",)).get_content() for email in sandbox.emails]
    assert len(texts) == 24 and len(pages) == 12
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            hosts = browser_hosts(browser.new_page(), texts, pages)
        finally:
            browser.close()
    assert len(hosts) >= 36 and set(hosts) == {urlsplit(sandbox.tracking_url(DELIVERY + "-0")).hostname}, hosts


def browser_hosts(page, texts: list[str], pages: list[str]) -> list[str]:
    """`new URL(link).hostname` of every link in the texts, and of every anchor's href in the HTML pages."""
    links = [link for text in texts for link in re.findall(r"\S+://\S+", text)]
    hosts = page.evaluate("links => links.map(link => new URL(link).hostname)", links)
    for html in pages:
        page.set_content(html)
        hosts += page.eval_on_selector_all("a[href]", "anchors => anchors.map(a => new URL(a.href).hostname)")
    return hosts
