"""A full run (webhooks, a real worker process, failures, a resend, Twilio callbacks, the console, a metrics scrape)
and then a scan of everything the service wrote outside its records: every log line of web and worker, the metrics,
the error reports, RQ's jobs in Redis (descriptions, arguments, failures, results) and our own URLs. No tracking
token and no personal data may be in any of them."""

import gzip
import io
import logging
import re
import zlib
from urllib.parse import parse_qs, urlsplit

import pytest
from twilio.request_validator import RequestValidator

from tests.conftest import API_TOKEN, WEBHOOK_TOKEN, wait_for
from worker import logs

BODY_TOKEN = "BodyTokenFromShippify123"
REFUSED_TOKEN = "RefusedBodyToken456"
PERSONAL = [
    "Iliana",
    "Bolaños",
    "Bola\\u00f1os",
    "+593998976565",
    "0998976565",
    "998976565",
    "+593991112233",
    "991112233",
    "iliana.bolanos@",
    "maria.cambio@",
]


@pytest.fixture
def captured_logs():
    """The web process's log output as production writes it (JSON lines, LOG_LEVEL=DEBUG), restored afterwards."""
    stream = io.StringIO()
    root = logging.getLogger()
    saved = (root.handlers[:], root.level, {n: logging.getLogger(n).level for n in ("urllib3", "twilio", "werkzeug")})
    logs.configure("DEBUG", stream)
    yield stream
    root.handlers[:], level, noisy = saved
    root.setLevel(level)
    for name, value in noisy.items():
        logging.getLogger(name).setLevel(value)


@pytest.fixture
def error_reports(serve):
    """A stand-in for Sentry's ingest on a real socket: (DSN, the envelopes received)."""
    received: list[bytes] = []

    def ingest(environ, start_response):
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        received.append(gzip.decompress(body) if environ.get("HTTP_CONTENT_ENCODING") == "gzip" else body)
        start_response("200 OK", [("Content-Type", "application/json")])
        return [b"{}"]

    base = serve(ingest)
    return f"http://public@{base.removeprefix('http://')}/1", received


def rq_contents(redis_client) -> bytes:
    """Every value RQ keeps: job hashes (the serialized call decompressed), registries, results."""
    chunks = []
    for key in redis_client.scan_iter("rq:*"):
        kind = redis_client.type(key)
        if kind == b"hash":
            for field, value in redis_client.hgetall(key).items():
                chunks.append(zlib.decompress(value) if field == b"data" else value)
        elif kind == b"string":
            chunks.append(redis_client.get(key) or b"")
        elif kind == b"list":
            chunks.extend(redis_client.lrange(key, 0, -1))
        elif kind == b"zset":
            chunks.extend(redis_client.zrange(key, 0, -1))
        elif kind == b"set":
            chunks.extend(redis_client.smembers(key))
        elif kind == b"stream":
            chunks.extend(repr(entry).encode() for entry in redis_client.xrange(key))
    return b"\n".join(chunks)


def our_urls(*responses) -> str:
    """Location headers and the links of our own pages (a tracking link on the delivery page is Shippify's)."""
    urls = [r.headers.get("Location", "") for r in responses]
    for response in responses:
        urls += re.findall(r'(?:href|action|src)="(/[^"]*)"', response.get_data(as_text=True))
    return "\n".join(urls)


def send_webhooks(client) -> None:
    """Two deliveries, one with the link in the body; a refused body carrying a token; a wrong secret."""
    secret = {"X-Webhook-Token": WEBHOOK_TOKEN}
    tracked = {"id": "t-2", "trackingUrl": f"https://x.test/track/t-2?token={BODY_TOKEN}"}
    refused = {"id": "", "trackingUrl": f"https://x.test/track/t-3?token={REFUSED_TOKEN}"}
    for status, body, headers, code in [
        ("going_to_dropoff", {"id": "t-1"}, secret, 202),
        ("going_to_dropoff", {"id": "t-2"}, secret, 202),
        ("hold_by_courier", tracked, secret, 202),
        ("assigned", refused, secret, 400),
        ("assigned", tracked, {"X-Webhook-Token": "no"}, 401),
    ]:
        assert client.post(f"/webhooks/shippify/{status}", json=body, headers=headers).status_code == code


def report_back(client, sandbox) -> None:
    """Twilio's signed callbacks: a delivery report, an opt-out report, a STOP reply."""
    validator = RequestValidator(sandbox.auth_token)
    failed = {
        "MessageSid": sandbox.sms[1]["sid"],
        "MessageStatus": "failed",
        "ErrorCode": "21610",
        "To": "+593991112233",
    }
    for path, form in [
        ("/webhooks/twilio/status", {"MessageSid": sandbox.sms[0]["sid"], "MessageStatus": "delivered"}),
        ("/webhooks/twilio/status", failed),
        ("/webhooks/twilio/inbound", {"From": "+593998976565", "Body": "STOP"}),
    ]:
        signature = validator.compute_signature("http://localhost" + path, form)
        assert client.post(path, data=form, headers={"X-Twilio-Signature": signature}).status_code in (200, 204)


def test_no_tracking_token_or_personal_data_leaves_the_records(
    api_app, sandbox, services, redis_client, spawn_worker, sign_in, captured_logs, error_reports, tmp_path
):
    dsn, envelopes = error_reports
    client = api_app.test_client()
    sandbox.add_delivery("t-1", name="Iliana Bolaños", email="iliana.bolanos@example.com")
    sandbox.add_delivery("t-2", name="Iliana Bolaños", phone="0998976565", email="iliana.bolanos@example.com")
    sandbox.fail("shippify", status=401)  # t-1's processing fails for good: a failed job with its reason
    sandbox.fail("twilio", status=400, code=21617, message="The 'To' number +593998976565 cannot take this body")
    sandbox.fail("smtp", code=550, message="5.1.1 <iliana.bolanos@example.com>: no such user")
    send_webhooks(client)
    worker = spawn_worker(LOG_LEVEL="DEBUG", SENTRY_DSN=dsn)  # the web process scrubs alike: test_operations.py
    try:
        failed = services.queue.failed_job_registry
        # Shippify's 401 and Twilio's 21617 fail two jobs for good; the relay's 550 is a rejected recipient
        assert wait_for(lambda: (len(sandbox.sms), len(sandbox.emails), failed.count) == (1, 1, 2), 60)
        resend = {"channels": ["sms", "email"], "phone": "+593 99 111 2233", "email": "maria.cambio@example.com"}
        answer = client.post(
            "/api/deliveries/t-2/resend",
            json={**resend, "reason": "ticket 4411"},
            headers={"Authorization": f"Bearer {API_TOKEN}"},
        )
        assert answer.status_code == 202
        assert wait_for(lambda: (len(sandbox.sms), len(sandbox.emails)) == (2, 2), 60)
        assert wait_for(lambda: len(envelopes) >= 2, 30), "the worker did not report its two failed jobs"
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    report_back(client, sandbox)
    console = sign_in(api_app.test_client(), role="admin")
    pages = [
        console.get(p) for p in ("/console/", "/console/deliveries/t-2", "/console/find?q=t-2", "/console/admin/failed")
    ]
    assert sandbox.tracking_url("t-2").replace("&", "&amp;") in pages[1].text  # staff see the link, on the page only

    outputs = {
        "web log": captured_logs.getvalue(),
        "worker log": "".join(path.read_text() for path in tmp_path.glob("worker-*.log")),
        "metrics": client.get("/metrics").text,
        "error reports": b"\n".join(envelopes).decode("utf-8", "replace"),
        "rq jobs": rq_contents(redis_client).decode("utf-8", "replace"),
        "our urls": our_urls(*pages),
    }
    assert "webhook queued" in outputs["web log"] and "notification sent" in outputs["worker log"]
    assert "notifier_webhooks_total" in outputs["metrics"] and "send sms for delivery t-2" in outputs["rq jobs"]
    tokens = [parse_qs(urlsplit(sandbox.tracking_url(d)).query)["token"][0] for d in ("t-1", "t-2")]
    for secret_text in [*tokens, BODY_TOKEN, REFUSED_TOKEN, *PERSONAL]:
        for name, text in outputs.items():
            assert secret_text not in text, f"{secret_text!r} in the {name}"
