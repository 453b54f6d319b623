"""WhatsApp first, SMS when WhatsApp cannot reach the recipient: exactly one SMS for each way WhatsApp can fail to
reach them, none when they refused WhatsApp, never a second one for a repeated or late report. Everything goes
over real sockets: the sandbox's Twilio posts its signed reports to the app on a real port."""

import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from rq import SimpleWorker
from rq.serializers import JSONSerializer
from werkzeug.serving import make_server

from tests.conftest import API_TOKEN, free_port, wait_for
from worker import fallback, queueing
from worker.events import notification_id
from worker.locales import LOCALES
from worker.store import spares
from worker.store.records import Notification

NUMBER = "+593998976565"
WA_ID = notification_id("t-1", "going_to_dropoff", "whatsapp")
FALLBACK_ID = fallback.fallback_id(WA_ID)
RULES = """
[going_to_dropoff]
channels = ["whatsapp"]
fallback = { whatsapp = "sms" }
"""
AUTH = {"Authorization": f"Bearer {API_TOKEN}"}


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def rules(tmp_path: Path) -> str:
    """The rules this module's tests use (a test may override it)."""
    return RULES


@pytest.fixture
def templates(request, sandbox, tmp_path: Path) -> str:
    """The sandbox's example WHATSAPP_TEMPLATES; with a content sid as param, a file giving going_to_dropoff that
    sid in every locale."""
    sid = getattr(request, "param", None)
    if sid is None:
        return sandbox.whatsapp_env()["WHATSAPP_TEMPLATES"]
    variables = 'variables = { "1" = "first_name", "2" = "merchant", "3" = "tracking_url" }\n'
    path = tmp_path / "wa.toml"
    path.write_text("".join(f'[going_to_dropoff.{loc}]\ncontent_sid = "{sid}"\n{variables}' for loc in LOCALES))
    return str(path)


@pytest.fixture
def env(env: dict[str, str], sandbox, tmp_path: Path, port: int, rules: str, templates: str) -> dict[str, str]:
    """WhatsApp rules with an SMS fallback; PUBLIC_BASE_URL is the port the app is served on, so that Twilio's
    reports reach it."""
    path = tmp_path / "rules.toml"
    path.write_text(rules)
    return {
        **env,
        **sandbox.whatsapp_env(),
        "WHATSAPP_TEMPLATES": templates,
        "NOTIFY_RULES": str(path),
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "API_TOKENS": f"helpdesk:{API_TOKEN}",
    }


@pytest.fixture
def live(app, port: int) -> Iterator[str]:
    """The app on PUBLIC_BASE_URL's port."""
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()
    thread.join()
    server.server_close()


def fire(sandbox, post_webhook, delivery_id: str = "t-1", **delivery) -> None:
    sandbox.add_delivery(delivery_id, status="going_to_dropoff", email=None, **delivery)
    assert post_webhook({"id": delivery_id}, status="going_to_dropoff").status_code == 202


def record(services, notification: str = WA_ID) -> Notification | None:
    return services.store.notification(notification)


def reported(services, state: str) -> bool:
    found = record(services)
    return found is not None and found.state == state


def test_unreachable_at_send_goes_by_sms_once(sandbox, post_webhook, work, services, live):
    sandbox.fail("twilio", status=400, code=63003)  # Twilio refuses the WhatsApp send at once
    fire(sandbox, post_webhook)
    work()
    assert sandbox.whatsapp == [] and len(sandbox.sms) == 1
    assert sandbox.sms[0]["to"] == NUMBER and "va en camino" in sandbox.sms[0]["body"]
    first, instead = record(services), record(services, FALLBACK_ID)
    assert (first.state, first.error_code, first.replaced_by) == ("rejected", "63003", FALLBACK_ID)
    assert (instead.channel, instead.fallback_for, instead.state) == ("sms", WA_ID, "queued")
    assert (instead.billed, instead.segments, instead.kind) == ("segments", 1, "automatic")
    answer = requests.get(f"{live}/api/deliveries/t-1", headers=AUTH, timeout=5).json()
    by_id = {n["id"]: n for n in answer["notifications"]}
    assert by_id[FALLBACK_ID]["fallback_for"] == WA_ID and by_id[WA_ID]["fallback_for"] is None
    assert by_id[WA_ID]["state"] == "rejected"


def test_unreachable_report_goes_by_sms_once_even_when_repeated(sandbox, post_webhook, work, services, live):
    sandbox.mark_whatsapp(NUMBER, "unreachable")  # Twilio takes it, then reports failed 63003
    fire(sandbox, post_webhook)
    work()
    assert wait_for(lambda: (found := record(services, FALLBACK_ID)) is not None and found.state == "pending", 10)
    sid = sandbox.whatsapp[0]["sid"]
    assert sandbox.send_status(sid, "failed", 63003) == 204  # the same report again
    assert sandbox.send_status(sid, "undelivered", 63003) == 204
    work()
    assert len(sandbox.whatsapp) == 1 and len(sandbox.sms) == 1
    assert (record(services).state, record(services).error_code) == ("failed", "63003")
    assert record(services, FALLBACK_ID).fallback_for == WA_ID
    assert services.store.notifications("t-1")[-1].id == FALLBACK_ID
    assert len(services.store.notifications("t-1")) == 2


def test_blocked_report_sends_no_sms(sandbox, post_webhook, work, services, live):
    sandbox.mark_whatsapp(NUMBER, "blocked")  # 63014: the recipient blocked the business
    fire(sandbox, post_webhook)
    work()
    assert wait_for(lambda: reported(services, "failed"), 10)
    work()
    assert record(services).error_code == "63014" and record(services).replaced_by == ""
    assert sandbox.sms == [] and record(services, FALLBACK_ID) is None
    assert spares.get(services.redis, FALLBACK_ID) is None  # blocked: the number kept for an SMS is forgotten
    assert fallback.check_unreached(WA_ID, services) == "failed"  # nor when fallback_after is up
    work()
    assert sandbox.sms == []


def test_blocked_at_send_sends_no_sms(sandbox, post_webhook, work, services, live):
    sandbox.fail("twilio", status=400, code=63014)
    fire(sandbox, post_webhook)
    work()
    assert sandbox.sms == [] and record(services).state == "rejected" and record(services, FALLBACK_ID) is None
    assert spares.get(services.redis, FALLBACK_ID) is None


def test_a_late_failure_after_delivered_sends_no_sms(sandbox, post_webhook, work, services, live):
    fire(sandbox, post_webhook)
    work()
    sid = sandbox.whatsapp[0]["sid"]
    for status in ("read", "delivered", "failed"):  # out of order: read first, then a late delivered and failure
        assert sandbox.send_status(sid, status, 63003 if status == "failed" else None) == 204
    work()
    first = record(services)
    assert (first.state, first.read_at is not None, first.delivered_at is not None) == ("read", True, False)
    assert sandbox.sms == [] and fallback.check_unreached(WA_ID, services) == "read"
    work()
    assert sandbox.sms == []


@pytest.mark.parametrize("templates", ["HX" + "f" * 32], indirect=True)  # a sid Twilio does not know
def test_configuration_error_fails_whatsapp_with_the_fix_and_goes_by_sms(sandbox, post_webhook, work, services, live):
    fire(sandbox, post_webhook)
    work()
    assert sandbox.whatsapp == [] and len(sandbox.sms) == 1
    first = record(services)
    assert first.state == "failed" and "fix its content_sid in WHATSAPP_TEMPLATES" in first.error
    assert record(services, FALLBACK_ID).fallback_for == WA_ID
    assert services.queue.failed_job_registry.count == 0  # nothing for staff to requeue: the SMS went


@pytest.mark.parametrize("rules", [RULES + 'fallback_after = "1s"\n'])
def test_no_delivered_report_within_fallback_after_goes_by_sms_once(
    sandbox, post_webhook, work, services, live, redis_client
):
    sandbox.mark_whatsapp(NUMBER, "silent")  # sent, then nothing
    fire(sandbox, post_webhook)
    work()
    assert len(sandbox.whatsapp) == 1 and sandbox.sms == []
    assert services.queue.scheduled_job_registry.count == 1
    assert wait_for(lambda: run_due(redis_client) and len(sandbox.sms) == 1, 15)
    assert record(services, FALLBACK_ID).fallback_for == WA_ID
    assert fallback.check_unreached(WA_ID, services) == "already"  # a second check changes nothing
    work()
    assert len(sandbox.sms) == 1 and len(sandbox.whatsapp) == 1


@pytest.mark.parametrize("rules", [RULES + 'fallback_after = "1s"\n'])
def test_a_read_message_is_not_followed_by_sms_when_fallback_after_is_up(
    sandbox, post_webhook, work, services, live, redis_client
):
    sandbox.auto_report = True  # sent, delivered, read
    fire(sandbox, post_webhook)
    work()
    assert wait_for(lambda: reported(services, "read"), 10)
    assert wait_for(lambda: run_due(redis_client) and services.queue.scheduled_job_registry.count == 0, 15)
    assert sandbox.sms == [] and record(services, FALLBACK_ID) is None
    assert spares.get(services.redis, FALLBACK_ID) is None  # read: the number kept for an SMS is forgotten


def run_due(redis_client) -> bool:
    """A burst of the worker with RQ's scheduler, as `python -m worker` runs it: jobs that are due run."""
    worker = SimpleWorker(
        [queueing.QUEUE_NAME], connection=redis_client, serializer=JSONSerializer, log_job_description=False
    )
    worker.work(burst=True, with_scheduler=True)
    return True


def test_whatsapp_stop_stops_whatsapp_only_and_sends_no_sms_instead(sandbox, post_webhook, work, services, live):
    assert sandbox.send_whatsapp_inbound(f"{live}/webhooks/twilio/inbound", NUMBER, "STOP") == 200
    assert services.store.is_opted_out(NUMBER, "whatsapp") and not services.store.is_opted_out(NUMBER)
    fire(sandbox, post_webhook)
    work()
    assert sandbox.whatsapp == [] and sandbox.sms == []
    assert (record(services).state, record(services, FALLBACK_ID)) == ("suppressed", None)
    assert spares.get(services.redis, FALLBACK_ID) is None  # the number kept for an SMS is forgotten
    assert sandbox.send_whatsapp_inbound(f"{live}/webhooks/twilio/inbound", NUMBER, "START") == 200
    assert not services.store.is_opted_out(NUMBER, "whatsapp")


def test_sms_stop_leaves_whatsapp_going(sandbox, post_webhook, work, services, live):
    assert sandbox.send_inbound(f"{live}/webhooks/twilio/inbound", NUMBER, "STOP") == 200
    assert services.store.is_opted_out(NUMBER) and not services.store.is_opted_out(NUMBER, "whatsapp")
    fire(sandbox, post_webhook)
    work()
    assert len(sandbox.whatsapp) == 1 and sandbox.sms == []


def test_a_resend_can_choose_whatsapp(sandbox, work, services, live):
    sandbox.add_delivery("t-1", status="going_to_dropoff", email=None)
    body = {"channels": ["whatsapp"], "reason": "asked on the phone"}
    answer = requests.post(f"{live}/api/deliveries/t-1/resend", json=body, headers=AUTH, timeout=5)
    assert answer.status_code == 202
    (queued,) = answer.json()["notifications"]
    assert (queued["channel"], queued["template"]) == ("whatsapp", "es/going_to_dropoff/whatsapp")
    work()
    assert len(sandbox.whatsapp) == 1 and sandbox.sms == []
    assert record(services, queued["notification_id"]).billed == "messages"


def test_read_is_a_state_metrics_and_the_console_show(sandbox, post_webhook, work, services, live, client, sign_in):
    fire(sandbox, post_webhook)
    work()
    assert sandbox.send_status(sandbox.whatsapp[0]["sid"], "read") == 204
    metrics = requests.get(f"{live}/metrics", timeout=5).text
    assert 'notifier_notifications_total{channel="whatsapp",state="read"} 1.0' in metrics
    page = sign_in(client).get("/console/deliveries/t-1").text
    assert "<strong>WhatsApp</strong>" in page and '<span class="badge good">read</span>' in page


# What the delivery page says on each end of a fallback, and the link to the other end, in each language.
FALLBACK_LINES = {
    "en": (
        "Fallback: the first message could not reach the recipient.",
        "Go to the first message (WhatsApp)",
        "Replaced by a fallback: this message could not reach the recipient.",
        "Go to the fallback (SMS)",
    ),
    "es": (
        "Mensaje alternativo: el primer mensaje no pudo llegar al destinatario.",
        "Ir al primer mensaje (WhatsApp)",
        "Reemplazado por un mensaje alternativo: este mensaje no pudo llegar al destinatario.",
        "Ir al mensaje alternativo (SMS)",
    ),
    "pt": (
        "Mensagem alternativa: a primeira mensagem não conseguiu chegar ao destinatário.",
        "Ir para a primeira mensagem (WhatsApp)",
        "Substituída por uma mensagem alternativa: esta mensagem não conseguiu chegar ao destinatário.",
        "Ir para a mensagem alternativa (SMS)",
    ),
}


def timeline_lines(page: str) -> dict[str, str]:
    """The delivery page's timeline lines by their id, each as its HTML with whitespace runs as one space."""
    found = re.findall(r'<li class="(?:event|notification)" id="([^"]+)">(.*?)</li>', page, re.DOTALL)
    return {anchor: " ".join(html.split()) for anchor, html in found}


def test_the_console_links_the_fallback_sms_and_the_whatsapp_message_it_replaced(
    sandbox, post_webhook, work, services, live, client, sign_in, csrf_token
):
    sandbox.mark_whatsapp(NUMBER, "unreachable")  # Twilio takes it, then reports failed 63003
    fire(sandbox, post_webhook)
    work()
    assert wait_for(lambda: record(services, FALLBACK_ID) is not None, 10)
    work()
    assert len(sandbox.whatsapp) == 1 and len(sandbox.sms) == 1
    sign_in(client)
    for lang, (fallback_says, to_first, first_says, to_fallback) in FALLBACK_LINES.items():
        token = csrf_token(client, "/console/")
        client.post("/console/language", data={"lang": lang, "next": "/console/", "csrf_token": token})
        page = client.get("/console/deliveries/t-1").text
        lines = timeline_lines(page)
        sms, whatsapp = lines[f"n-{FALLBACK_ID}"], lines[f"n-{WA_ID}"]
        assert f'<p class="detail fallback">{fallback_says} <a href="#n-{WA_ID}">{to_first}</a></p>' in sms
        assert f'<p class="detail fallback">{first_says} <a href="#n-{FALLBACK_ID}">{to_fallback}</a></p>' in whatsapp
        assert first_says not in sms and fallback_says not in whatsapp
        assert set(re.findall(r'href="#([^"]+)"', page)) == {f"n-{WA_ID}", f"n-{FALLBACK_ID}"}  # both lines, above
        anchors = re.findall(r' id="([^"]+)"', page)
        assert len(anchors) == len(set(anchors))  # each link goes to one place


def test_a_corrected_phone_goes_by_the_rules_phone_channel_only(sandbox, work, live):
    sandbox.add_delivery("t-1", status="going_to_dropoff", email=None)
    body = {"phone": "+593 99 111 2233", "reason": "changed number"}
    answer = requests.post(f"{live}/api/deliveries/t-1/resend", json=body, headers=AUTH, timeout=5)
    assert answer.status_code == 202
    assert [n["channel"] for n in answer.json()["notifications"]] == ["whatsapp"]
    work()
    assert [m["to"] for m in sandbox.whatsapp] == ["whatsapp:+593991112233"] and sandbox.sms == []


def test_an_outage_that_outlasts_every_retry_goes_by_sms_once(sandbox, post_webhook, work, services, live):
    for _attempt in range(1 + 3):  # the first try and RETRY_MAX_ATTEMPTS=3 retries (tests/conftest.py)
        sandbox.fail("twilio", status=503)
    fire(sandbox, post_webhook)
    work()
    assert sandbox.whatsapp == [] and len(sandbox.sms) == 1 and sandbox.sms[0]["to"] == NUMBER
    first = record(services)
    assert first.state == "failed" and first.error.startswith("gave up after every retry")
    assert (first.replaced_by, record(services, FALLBACK_ID).fallback_for) == (FALLBACK_ID, WA_ID)
    assert not services.queue.failed_job_registry.get_job_ids()  # nothing left for support to requeue


def test_an_outage_shorter_than_the_retries_sends_whatsapp_and_no_sms(sandbox, post_webhook, work, services, live):
    sandbox.fail("twilio", status=503)
    fire(sandbox, post_webhook)
    work()
    assert len(sandbox.whatsapp) == 1 and sandbox.sms == []
