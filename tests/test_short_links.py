"""Short tracking links (SHORT_LINKS=true) over real sockets: the SMS carries PUBLIC_BASE_URL/t/<code>, a click on
the app served on a port answers 302 to the link fetched fresh from the sandbox Shippify, and every other answer is
a page that never carries the link."""

import io
import logging
import re
import time

import pytest
import requests

from tests.conftest import flask_cli
from worker import logs, preview
from worker.events import notification_id
from worker.settings import Settings, SettingsError
from worker.store import short_links

DELIVERY = "short-0001"
BROWSER = "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36"


@pytest.fixture
def env(env):
    return {**env, "SHORT_LINKS": "true"}


@pytest.fixture
def sent(sandbox, post_webhook, work, services):
    """One "on the way" SMS sent with a short link, its send a minute ago (past the preview window); its code."""
    sandbox.add_delivery(DELIVERY, status="going_to_dropoff")
    assert post_webhook({"id": DELIVERY, "cityLang": "es"}, status="going_to_dropoff").status_code == 202
    work()
    (sms,) = sandbox.sms
    found = re.search(r"http://localhost/t/([A-Za-z0-9_-]+)$", sms["body"])
    assert found, "the SMS carries no short link"
    services.store.note(sms_id(), sent_at=time.time() - 60)
    return found.group(1)


def sms_id() -> str:
    return notification_id(DELIVERY, "going_to_dropoff", "sms")


def visit(base_url, code, agent=BROWSER, method="GET"):
    return requests.request(
        method, f"{base_url}/t/{code}", headers={"User-Agent": agent}, allow_redirects=False, timeout=5
    )


def test_the_sms_carries_a_short_link_with_at_least_64_random_bits(sent, sandbox):
    assert len(sent) >= 11  # 64 bits in base64url
    assert sandbox.tracking_url(DELIVERY) not in sandbox.sms[0]["body"]


def test_a_click_redirects_to_the_fresh_link_and_is_recorded(sent, sandbox, base_url, services):
    answer = visit(base_url, sent)
    assert answer.status_code == 302
    assert answer.headers["Location"] == sandbox.tracking_url(DELIVERY)
    assert answer.headers["Referrer-Policy"] == "no-referrer"
    assert answer.headers["Cache-Control"] == "no-store"
    record = services.store.notification(sms_id())
    assert record.clicks == 1 and record.clicked_at > 0
    assert services.store.stats()["clicks_sms_click"] == 1


@pytest.mark.parametrize("known", [True, False], ids=["redirect", "expired page"])
def test_the_redirect_and_its_pages_carry_no_store_and_no_referrer_of_their_own(sent, app, sandbox, known):
    """The app-wide header hook (web/console) adds the same two headers to anything that lacks them, so only the
    view's answer before any after_request hook shows that /t/ sets them itself, whatever other hooks do."""
    code = sent if known else "A" * 16
    with app.test_request_context(f"/t/{code}", headers={"User-Agent": BROWSER}):
        answer = app.make_response(app.dispatch_request())
    assert answer.status_code == (302 if known else 404)
    assert answer.headers.get("Cache-Control") == "no-store"
    assert answer.headers.get("Referrer-Policy") == "no-referrer"


def test_a_burst_of_clicks_costs_shippify_one_call(sent, sandbox, base_url):
    before = len(sandbox.shippify_calls)
    assert all(visit(base_url, sent).status_code == 302 for _ in range(5))
    assert len(sandbox.shippify_calls) - before == 1


@pytest.mark.parametrize(
    ("agent", "method"),
    [
        ("WhatsApp/2.23.20.0 A", "GET"),
        ("facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)", "GET"),
        ("Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)", "GET"),
        ("TelegramBot (like TwitterBot)", "GET"),
        ("Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", "GET"),
        ("", "GET"),
        (BROWSER, "HEAD"),
    ],
)
def test_a_link_preview_is_counted_apart_and_sets_no_click(sent, base_url, services, agent, method):
    assert visit(base_url, sent, agent, method).status_code == 302
    record = services.store.notification(sms_id())
    assert record.clicked_at is None and record.clicks == 0
    assert record.previews == 1
    assert services.store.stats()["clicks_sms_preview"] == 1


def test_a_visit_right_after_the_send_is_a_preview(sent, base_url, services):
    services.store.note(sms_id(), sent_at=time.time())
    assert visit(base_url, sent).status_code == 302
    assert services.store.notification(sms_id()).clicked_at is None


@pytest.mark.parametrize("code", ["AAAAAAAAAAAAAAAA", "x", "not-a-code-at-all-but-long-enough", "%2e%2e"])
def test_an_unknown_code_gets_the_same_expired_page(sent, base_url, sandbox, code):
    answer = visit(base_url, code)
    assert answer.status_code == 404
    assert "Este enlace ha caducado" in answer.text
    assert "Location" not in answer.headers and sandbox.tracking_url(DELIVERY) not in answer.text
    assert answer.headers["Cache-Control"] == "no-store"
    assert "default-src 'none'" in answer.headers["Content-Security-Policy"]
    assert answer.text == visit(base_url, "BBBBBBBBBBBBBBBB").text


def test_an_expired_code_gets_the_expired_page(sent, base_url, redis_client):
    found = short_links.find(redis_client, sent)
    assert found is not None
    for key in redis_client.scan_iter("ntf:link:*"):  # what the retention TTL does
        redis_client.delete(key)
    assert visit(base_url, sent).status_code == 404


def test_a_delivery_shippify_no_longer_knows_gets_the_expired_page_in_the_recipients_language(
    sent, sandbox, base_url, services
):
    services.store.note(sms_id(), locale="pt")
    sandbox.shippify.clear()
    answer = visit(base_url, sent)
    assert answer.status_code == 404
    assert "Este link expirou" in answer.text


def test_shippify_down_gets_a_try_again_page_never_a_stale_link(sent, sandbox, base_url, services):
    sandbox.fail("shippify", status=503, times=10)
    answer = visit(base_url, sent)
    assert answer.status_code == 503
    assert "Inténtalo de nuevo en un minuto" in answer.text
    assert sandbox.tracking_url(DELIVERY) not in answer.text and "Location" not in answer.headers
    assert services.store.notification(sms_id()).clicks == 0


def test_too_many_opens_from_one_address_are_throttled(sent, base_url):
    answers = [visit(base_url, f"unknowncode{n:05d}").status_code for n in range(31)]
    assert answers[:30] == [404] * 30
    assert answers[30] == 429
    assert visit(base_url, sent).status_code == 429  # a valid code too: the throttle comes first


def test_neither_the_tracking_link_nor_the_code_reaches_a_log_line(sent, sandbox, base_url):
    stream = io.StringIO()
    root = logging.getLogger()
    saved = root.handlers[:], root.level, logging.getLogger("werkzeug").level
    logs.configure("DEBUG", stream)
    try:
        sandbox.fail("shippify", status=503, times=1)
        assert visit(base_url, sent).status_code == 503
        assert visit(base_url, sent).status_code == 302
    finally:
        root.handlers[:], level, werkzeug_level = saved
        root.setLevel(level)
        logging.getLogger("werkzeug").setLevel(werkzeug_level)
    written = stream.getvalue()
    assert "short link: no tracking link from Shippify" in written
    token = sandbox.tracking_url(DELIVERY).rsplit("=", 1)[-1]
    assert token not in written and sent not in written


def test_the_access_log_line_of_a_short_link_carries_no_code(sent):
    """gunicorn's access lines (gunicorn.conf.py: method and path) go through the same scrubbing formatter."""
    record = logging.LogRecord("gunicorn.access", logging.INFO, "", 0, f"GET /t/{sent} status=302", None, None)
    line = logs.JsonFormatter().format(record)
    assert "/t/[redacted]" in line and sent not in line


def test_short_links_without_a_public_base_url_stop_the_process_at_start(env):
    with pytest.raises(SettingsError, match="SHORT_LINKS=true needs PUBLIC_BASE_URL"):
        Settings.from_env({**env, "PUBLIC_BASE_URL": ""})


def test_clicks_show_in_metrics_and_on_the_console_timeline(sent, base_url, client, sign_in, services):
    assert visit(base_url, sent).status_code == 302
    assert visit(base_url, sent, "WhatsApp/2.23.20.0 A").status_code == 302
    scraped = requests.get(f"{base_url}/metrics", timeout=5).text
    assert 'notifier_clicks_total{channel="sms",kind="click"} 1.0' in scraped
    assert 'notifier_clicks_total{channel="sms",kind="preview"} 1.0' in scraped
    sign_in(client)
    page = client.get(f"/console/deliveries/{DELIVERY}").get_data(as_text=True)
    assert "Tracking link opened 1 times, first" in page
    assert "Link previews by apps and mail scanners: 1" in page


@pytest.mark.parametrize("locale", ["es", "pt", "en"])
def test_with_short_links_every_one_segment_sms_keeps_a_margin_of_40_characters(locale):
    link = preview.sample_link(True, "https://notify.example.com")
    rows = [row for row in preview.preview(locales=[locale], link=link) if row.channel == "sms"]
    assert len(link) == 41 and rows
    for row in rows:
        assert row.cost is not None and row.cost.segments == preview.sms_budget(row.status), row.status
        if row.status != "hold_by_courier":  # carries the courier's reason, free text: two segments allowed
            assert len(row.text) <= 160 - 40, (row.status, len(row.text))


def test_the_preview_command_measures_the_short_link_when_short_links_are_on(app):
    result = flask_cli(app)(args=["messages", "preview", "--status", "at_dropoff", "--locale", "es"])
    assert result.exit_code == 0, result.output
    assert "sample link: 31 characters (SHORT_LINKS)" in result.output
    assert "http://localhost/t/xxxxxxxxxxxx" in result.output
