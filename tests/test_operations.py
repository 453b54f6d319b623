"""What the people who run the service rely on: doctor, health, metrics, logs without personal data."""

import io
import logging
import re

import pytest
from click.testing import CliRunner
from prometheus_client.parser import text_string_to_metric_families
from rq import SimpleWorker

from tests.conftest import WEBHOOK_TOKEN, free_port, relay_all, wait_for
from web.commands.doctor import doctor
from worker import logs, reporting


@pytest.fixture
def served_app(base_url):
    """The app on a real socket, so PUBLIC_BASE_URL can point at it."""
    return base_url


def run_doctor(env: dict[str, str], **changes: str):
    return CliRunner().invoke(doctor, env={**env, **changes}, catch_exceptions=False)


def test_doctor_passes_against_the_sandbox(env, served_app):
    result = run_doctor(env, PUBLIC_BASE_URL=served_app)
    assert result.exit_code == 0, result.output
    names = [name.strip() for name in re.findall(r"^ok    ([a-z ]+)", result.output, re.MULTILINE)]
    expected = ["settings", "redis", "templates", "shippify credentials", "twilio credentials", "twilio sender"]
    assert names == [*expected, "smtp login", "public url"]


@pytest.mark.parametrize(
    ("change", "line"),
    [
        ({"SHIPPIFY_APP_SECRET": "wrong"}, "FAIL  shippify credentials: Shippify refused the credentials (HTTP 401)"),
        ({"TWILIO_AUTH_TOKEN": "wrong"}, "FAIL  twilio credentials: Twilio 20003"),
        ({"TWILIO_FROM": "not a number!"}, "FAIL  twilio sender: TWILIO_FROM must be an E.164 number"),
        ({"SMTP_URL": "smtp://127.0.0.1:{port}"}, "FAIL  smtp login: SMTP relay unreachable"),
        ({"REDIS_URL": "redis://127.0.0.1:{port}/0"}, "FAIL  redis: unreachable"),
        ({"PUBLIC_BASE_URL": "http://127.0.0.1:{port}"}, "FAIL  public url"),
        ({"SHIPPIFY_API_URL": "http://127.0.0.1:{port}"}, "FAIL  shippify credentials: Shippify unreachable"),
    ],
)
def test_doctor_names_each_failure(env, served_app, change, line):
    port = str(free_port())
    result = run_doctor(env, **{"PUBLIC_BASE_URL": served_app, **{k: v.format(port=port) for k, v in change.items()}})
    assert result.exit_code == 1
    assert line in result.output
    assert result.output.count("FAIL") == 1


def test_doctor_names_missing_templates(env, served_app, tmp_path):
    rules = tmp_path / "rules.toml"
    rules.write_text('[assigned]\nchannels = ["sms"]\n')
    result = run_doctor(env, PUBLIC_BASE_URL=served_app, NOTIFY_RULES=str(rules))
    assert result.exit_code == 1 and "FAIL  templates: missing templates/es/assigned/sms.txt" in result.output


def test_doctor_lists_every_settings_problem(env):
    result = run_doctor({}, APP_ENV="production")
    assert result.exit_code == 1
    for name in ("REDIS_URL", "WEBHOOK_TOKENS", "SHIPPIFY_APP_ID", "SECRET_KEY", "PUBLIC_BASE_URL"):
        assert re.search(rf"^FAIL  settings: {name}", result.output, re.MULTILINE)


def test_healthz_answers_even_without_redis(make_app):
    client = make_app(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0").test_client()
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.get_json()["checks"]["redis"] == "unreachable"


def test_readyz_needs_a_live_worker(client, services):
    assert client.get("/readyz").status_code == 503
    assert client.get("/readyz").get_json()["checks"]["workers"] == "no worker seen in the last 2 minutes"
    worker = SimpleWorker([services.queue], connection=services.redis)
    worker.register_birth()
    worker.heartbeat()
    try:
        assert client.get("/readyz").get_json() == {
            "status": "ready",
            "checks": {"redis": "ok", "workers": "ok", "queue": "ok", "relay": "ok"},
        }
    finally:
        worker.register_death()


def next_job_waited(minutes: int, services, settings, post_webhook, redis_client) -> None:
    """The job at the head of the queue, as if no worker had taken it for `minutes`."""
    from datetime import UTC, datetime, timedelta

    from worker import queueing

    job = queueing.enqueue_process(services.queue, settings, "e-stuck", "t-1")
    job.enqueued_at = datetime.now(UTC) - timedelta(minutes=minutes)
    job.save()


def event_waited(minutes: int, services, settings, post_webhook, redis_client) -> None:
    """A received event, as if no relay had queued its job for `minutes`: a worker's heartbeat alone does not say its
    relay queues the webhooks' jobs."""
    event_id = post_webhook({"id": "t-waits"}, status="going_to_dropoff").get_json()["event_id"]
    seconds, _ = redis_client.time()
    redis_client.zadd("ntf:pending", {event_id: seconds - minutes * 60})


@pytest.mark.parametrize(
    ("check", "wait", "says"),
    [
        ("queue", next_job_waited, r"the next job has waited (\d+) s"),
        ("relay", event_waited, r"an event has waited (\d+) s for its job"),
    ],
)
@pytest.mark.parametrize(("waited_minutes", "answer"), [(6, 503), (4, 200)])
def test_readyz_says_what_is_stuck_when_it_waited_over_five_minutes(
    client, services, settings, post_webhook, redis_client, check, wait, says, waited_minutes, answer
):
    worker = SimpleWorker([services.queue], connection=services.redis)
    worker.register_birth()
    worker.heartbeat()
    wait(waited_minutes, services, settings, post_webhook, redis_client)
    try:
        ready = client.get("/readyz")
    finally:
        worker.register_death()
    assert ready.status_code == answer
    found = ready.get_json()["checks"][check]
    if answer == 200:
        assert found == "ok"
    else:
        waited = re.fullmatch(says, found)
        assert waited and int(waited.group(1)) >= waited_minutes * 60


def metric_values(client) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.get_data(as_text=True))
        for sample in family.samples
    }


def test_metrics_after_a_known_sequence(client, post_webhook, sandbox, work):
    sandbox.add_delivery("t-1")
    post_webhook({"id": "t-1"}, status="going_to_dropoff")
    post_webhook({"id": "t-1"}, status="going_to_dropoff")
    post_webhook({"id": "t-1"}, status="assigned")
    post_webhook({"id": "t-1"}, status="going_to_dropoff", token="wrong")
    post_webhook(b"nope", status="going_to_dropoff")
    values = metric_values(client)
    assert (values[("notifier_events_waiting", ())], values[("notifier_queue_depth", ())]) == (1, 0)
    relay_all(client.application.extensions["notifier"])
    values = metric_values(client)
    assert (values[("notifier_events_waiting", ())], values[("notifier_queue_depth", ())]) == (0, 1)
    work()
    values = metric_values(client)
    for outcome, count in [("queued", 1), ("duplicate", 1), ("ignored", 1), ("unauthorised", 1), ("invalid", 1)]:
        assert values[("notifier_webhooks_total", (("outcome", outcome),))] == count
    assert values[("notifier_events_total", (("outcome", "processed"),))] == 1
    assert values[("notifier_notifications_total", (("channel", "sms"), ("state", "queued")))] == 1
    assert values[("notifier_notifications_total", (("channel", "email"), ("state", "sent")))] == 1
    assert values[("notifier_webhook_to_send_seconds_count", ())] == 2
    assert values[("notifier_queue_depth", ())] == 0 and values[("notifier_failed_jobs", ())] == 0


PERSONAL = ["+593998976565", "0998976565", "998976565", "Iliana", "Bolaños", "iliana.bolanos@", "iliana.b@"]


def test_no_personal_data_or_token_in_any_log_line(sandbox, post_webhook, spawn_worker, client, tmp_path):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter())
    handler.addFilter(lambda record: record.name.split(".")[0] in ("web", "worker", "rq", "werkzeug", "twilio"))
    root = logging.getLogger()
    root.addHandler(handler)
    previous = root.level
    root.setLevel(logging.DEBUG)
    try:
        sandbox.add_delivery("t-1", name="Iliana Bolaños", email="iliana.bolanos@example.com")
        sandbox.add_delivery("t-2", name="Iliana Bolaños", phone="0998976565", email="iliana.b@example.com")
        sandbox.fail("smtp", code=550, times=1)
        post_webhook({"id": "t-1", "recipientInfo": {"name": "Iliana Bolaños"}}, status="going_to_dropoff")
        post_webhook(
            {"id": "t-2", "trackingUrl": "https://x.test/track/t-2?token=BodyToken123"}, status="hold_by_courier"
        )
        spawn_worker(LOG_LEVEL="DEBUG")  # each line is flushed as it is written; the fixture stops the process
        assert wait_for(lambda: len(sandbox.sms) == 2, 60)
        client.post("/webhooks/twilio/inbound", data={"From": "+593998976565", "Body": "STOP"})
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)
    worker_log = "".join(path.read_text() for path in tmp_path.glob("worker-*.log"))
    assert "notification sent" in worker_log and "webhook queued" in stream.getvalue()
    lines = stream.getvalue() + worker_log
    tokens = [m["body"].split("token=")[1].split("&")[0] for m in sandbox.sms]
    for secret in PERSONAL + tokens + ["BodyToken123"]:
        assert secret not in lines, secret


def test_error_reports_are_scrubbed():
    event = {
        "request": {"data": '{"phone": "+593998976565"}', "headers": {"X-Webhook-Token": "s"}, "url": "/x"},
        "user": {"ip_address": "1.2.3.4"},
        "exception": {
            "values": [{"value": "to +593998976565 via https://t.test/track/x?token=Secret123 for ana@mail.com"}]
        },
        "extra": {"rq-job": {"args": ["n1"], "description": "send sms"}},
        "breadcrumbs": {"values": [{"message": "sent to iliana@example.com"}]},
    }
    scrubbed = str(reporting.scrub_event(event))
    for secret in ("+593998976565", "Secret123", "ana@mail.com", "iliana@example.com", "1.2.3.4", "X-Webhook-Token"):
        assert secret not in scrubbed
    assert "to [phone] via https://t.test/track/x?[redacted] for a…@mail.com" in scrubbed


def test_http_breadcrumbs_lose_the_query_and_url_encoded_numbers():
    """A Twilio message lookup names the recipient in its query string, URL-encoded (%2B for the +)."""
    crumb = {
        "category": "httplib",
        "data": {
            "url": "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json?To=%2B593998976565",
            "http.query": "To=%2B593998976565&PageSize=50",
            "http.method": "GET",
        },
    }
    scrubbed = str(reporting.scrub_breadcrumb(crumb))
    assert "593998976565" not in scrubbed and "http.query" not in scrubbed
    assert "Messages.json?To=[phone]" in scrubbed and "GET" in scrubbed


def test_request_id_is_echoed_and_generated(client):
    assert client.get("/healthz", headers={"X-Request-ID": "abc12345-req"}).headers["X-Request-ID"] == "abc12345-req"
    for unusable in ("<bad>", "0998976565", "+593998976565"):  # not an id, or a phone number posing as one
        echoed = client.get("/healthz", headers={"X-Request-ID": unusable}).headers["X-Request-ID"]
        assert re.fullmatch(r"[0-9a-f]{32}", echoed), unusable


def test_a_webhook_log_line_carries_its_request_id(client, caplog):
    caplog.set_level(logging.INFO, logger="web")
    client.post(
        "/webhooks/shippify/assigned",
        json={"id": "t-9"},
        headers={"X-Webhook-Token": WEBHOOK_TOKEN, "X-Request-ID": "req-0000001"},
    )
    (record,) = [r for r in caplog.records if r.name == "web.webhooks"]
    assert record.request_id == "req-0000001" and record.delivery_id == "t-9"
