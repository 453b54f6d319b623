"""The console's dashboard after a known sequence of events through the real pipeline: webhooks, the worker, the
sandbox Twilio and SMTP server, signed Twilio status callbacks and a short-link click on a real socket. Every figure
is an exact number, in the page's table and in its JSON; the latency comes from known webhook → provider times."""

import re
import time
from datetime import UTC, datetime, timedelta

import pytest
import requests

from tests.test_short_links import BROWSER
from worker import outgoing
from worker.channels import channel
from worker.events import notification_id
from worker.settings import Settings, SettingsError
from worker.store import daily, keys

PRICES = '[EC]\nsms = 0.0452\nemail = 0.001\ncurrency = "USD"\n\n[BR]\nsms = 0.05\ncurrency = "BRL"\n'
BRAZIL = "+55 11 98765-4321"
OPTED_OUT = "+593991112233"


@pytest.fixture
def env(env, tmp_path):
    prices = tmp_path / "prices.toml"
    prices.write_text(PRICES)
    return {**env, "SHORT_LINKS": "true", "PRICE_TABLE": str(prices)}


def post(sandbox, post_webhook, delivery_id: str, status: str, **kw) -> str:
    """Seed a delivery in the sandbox and fire its webhook; its event id."""
    sandbox.add_delivery(delivery_id, status=status, **kw)
    answer = post_webhook({"id": delivery_id, "cityLang": "es"}, status=status)
    assert answer.status_code == 202, answer.get_json()
    return answer.get_json()["event_id"]


def sms_to(sandbox, number: str) -> dict:
    (sms,) = [sms for sms in sandbox.sms if sms["to"] == number]
    return sms


def report(twilio_post, sid: str, status: str, **extra: str) -> None:
    form = {"MessageSid": sid, "MessageStatus": status, "AccountSid": "AC", **extra}
    assert twilio_post("/webhooks/twilio/status", form).status_code == 204


@pytest.fixture
def happened(sandbox, post_webhook, work, twilio_post, services, base_url):
    """Four deliveries in Ecuador and one in Brazil, each event in turn:

    a: "on the way" (SMS + email); the SMS is reported sent, delivered, delivered again, and its link is clicked
       twice by a person and once by a link preview
    b: "on the way" (SMS + email); the SMS is reported undelivered
    c: "at the door" (SMS) to Brazil; reported read without a delivered report first
    d: "at the door" (SMS) to a number that replied STOP at Twilio: suppressed
    e: "at the door" (SMS) refused by Twilio (21211): rejected
    """
    sandbox.twilio_opted_out.add(OPTED_OUT)
    post(sandbox, post_webhook, "a", "going_to_dropoff")
    post(sandbox, post_webhook, "b", "going_to_dropoff", phone="0998976500")
    post(sandbox, post_webhook, "c", "at_dropoff", phone=BRAZIL)
    post(sandbox, post_webhook, "d", "at_dropoff", phone=OPTED_OUT)
    work()
    sandbox.fail("twilio", code=21211)
    post(sandbox, post_webhook, "e", "at_dropoff", phone="0998976511")
    work()
    for status in ("sent", "delivered", "delivered"):
        report(twilio_post, sms_to(sandbox, "+593998976565")["sid"], status)
    report(twilio_post, sms_to(sandbox, "+593998976500")["sid"], "undelivered", ErrorCode="30005")
    report(twilio_post, sms_to(sandbox, "+5511987654321")["sid"], "read")
    a_sms = notification_id("a", "going_to_dropoff", "sms")
    services.store.note(a_sms, sent_at=time.time() - 60)  # past the link-preview window
    code = re.search(r"/t/([A-Za-z0-9_-]+)$", sms_to(sandbox, "+593998976565")["body"]).group(1)
    for agent in (BROWSER, BROWSER, "WhatsApp/2.23.20.0 A"):
        assert requests.get(f"{base_url}/t/{code}", headers={"User-Agent": agent}, allow_redirects=False, timeout=5).ok


TODAY_SMS = {
    **{"sent": 3, "delivered": 2, "read": 1, "clicked": 1, "failed": 2, "fallbacks": 0, "suppressed": 1},
    **{"messages": 3, "segments": 3, "unit": "segments", "billed": 3},
    **{"cost": {"BRL": "0.05", "USD": "0.0904"}, "unpriced": 0},
}
TODAY_EMAIL = {
    **{"sent": 2, "delivered": 0, "read": 0, "clicked": 0, "failed": 0, "fallbacks": 0, "suppressed": 0},
    **{"messages": 2, "segments": 0, "unit": "messages", "billed": 2, "cost": {"USD": "0.002"}, "unpriced": 0},
}


def today() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d")


def cells(page: str, table: str, date: str) -> dict[str, str]:
    """The figures of one row of one of the page's tables, by their data-figure names."""
    section = page.split(f'id="{table}"', 1)[1].split("</table>", 1)[0]
    row = section.split(f'data-date="{date}"', 1)[1].split("</tr>", 1)[0]
    return {name: value.strip() for name, value in re.findall(r'data-figure="(\w+)">([^<]*)<', row)}


def test_the_figures_of_a_known_day_are_exact(happened, client, sign_in):
    sign_in(client)
    data = client.get("/console/dashboard.json").get_json()
    assert len(data["days"]) == 14 and data["days"][-1]["date"] == today()
    assert data["days"][-1]["channels"] == {"sms": TODAY_SMS, "email": TODAY_EMAIL}
    assert data["totals"] == {"sms": TODAY_SMS, "email": TODAY_EMAIL}
    assert all(day["channels"]["sms"]["sent"] == 0 for day in data["days"][:-1])
    page = client.get("/console/dashboard").get_data(as_text=True)
    expected = {name: str(TODAY_SMS[name]) for name in ("sent", "delivered", "read", "clicked", "failed")}
    assert cells(page, "figures-sms", today()) == {
        **expected, "fallbacks": "0", "suppressed": "1", "messages": "3", "segments": "3",
        "cost": "0.0500 BRL + 0.0904 USD",
    }  # fmt: skip
    assert cells(page, "figures-email", "total")["cost"] == "0.0020 USD"


def test_a_page_load_reads_only_the_days_counters(happened, client, sign_in, redis_client):
    sign_in(client)
    before = client.get("/console/dashboard.json").get_json()
    for key in redis_client.scan_iter(match=f"{keys.PREFIX}:*"):
        if not key.startswith(keys.day("").encode()) and b":staff" not in key and b":session" not in key:
            redis_client.delete(key)
    assert client.get("/console/dashboard.json").get_json() == before


def test_the_days_counters_expire_retention_days_after_the_day(happened, redis_client, settings):
    midnight = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    expected = int(midnight.timestamp()) + settings.retention_seconds
    assert redis_client.expiretime(keys.day(today())) == expected


def test_metrics_say_what_today_cost(happened, client):
    scraped = client.get("/metrics").get_data(as_text=True)
    assert 'notifier_today_messages{channel="sms"} 3.0' in scraped
    assert 'notifier_today_segments{channel="sms"} 3.0' in scraped
    assert 'notifier_today_cost{channel="sms",currency="USD"} 0.0904' in scraped
    assert 'notifier_today_cost{channel="sms",currency="BRL"} 0.05' in scraped
    assert 'notifier_today_messages{channel="email"} 2.0' in scraped


def test_median_and_p95_come_from_the_known_webhook_to_provider_times(
    sandbox, post_webhook, work, redis_client, client, sign_in
):
    waited = {"l1": 40, "l2": 40, "l3": 100, "l4": 100, "l5": 250}  # seconds before the worker took each
    for delivery_id, seconds in waited.items():
        event = post(sandbox, post_webhook, delivery_id, "at_dropoff")
        redis_client.hset(keys.event(event), "received_at", time.time() - seconds)
    work()
    sign_in(client)
    latency = client.get("/console/dashboard.json").get_json()["days"][-1]["latency_seconds"]
    assert latency == {"median": 120.0, "p95": 300.0}  # the buckets (90, 120] and (180, 300]
    page = client.get("/console/dashboard").get_data(as_text=True)
    assert cells(page, "latency-table", today()) == {"median": "120 s", "p95": "300 s"}
    yesterday = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%d")
    assert cells(page, "latency-table", yesterday) == {"median": "–", "p95": "–"}


def test_a_notification_created_in_place_of_another_counts_as_a_fallback(services, client, sign_in):
    fields = {"delivery_id": "f", "status": "at_dropoff", "locale": "es", "kind": "automatic", "fallback_for": "w1"}
    message = outgoing.Message("fallback-1", channel("sms"), "+593998976565", fields)
    assert outgoing.record(services, message)
    assert not outgoing.record(services, message)  # a re-run creates nothing and counts nothing
    sign_in(client)
    assert client.get("/console/dashboard.json").get_json()["totals"]["sms"]["fallbacks"] == 1


def test_the_quantile_is_the_upper_bound_of_its_bucket():
    counters = {"latency:0.5": 50, "latency:2": 45, "latency:+Inf": 5}
    assert (daily.quantile(counters, 0.5), daily.quantile(counters, 0.95)) == (0.5, 2.0)
    assert daily.quantile({**counters, "latency:+Inf": 6}, 0.95) == float("inf")
    assert daily.quantile({}, 0.5) is None


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        ('[EC]\nsms = "cheap"\ncurrency = "USD"\n', 2, "sms must be a price of zero or more"),
        ("[EC]\nsms = 0.04\n", 1, 'needs currency = "USD"'),
        ('[EC]\nsmss = 0.04\ncurrency = "USD"\n', 2, "smss: unknown channel; use one of sms, email"),
        ('[XX]\nsms = 0.04\ncurrency = "USD"\n', 1, "two-letter country code"),
        ('[EC]\nsms = 0.04\ncurrency = "USD\n', 3, "not valid TOML"),
    ],
)
def test_a_malformed_price_table_stops_the_service_at_start_naming_file_and_line(env, tmp_path, text, line, problem):
    bad = tmp_path / "bad-prices.toml"
    bad.write_text(text)
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({**env, "APP_ENV": "production", "PRICE_TABLE": str(bad)})
    (found,) = [p for p in refused.value.problems if str(bad) in p]
    assert f"line {line}" in found and problem in found


def test_the_console_links_to_the_dashboard_in_every_language(client, sign_in):
    sign_in(client)
    for lang, word in {"en": "Dashboard", "es": "Panel", "pt": "Painel"}.items():
        page = client.get("/console/dashboard", headers={"Accept-Language": lang}).get_data(as_text=True)
        assert f'<a href="/console/dashboard">{word}</a>' in page
