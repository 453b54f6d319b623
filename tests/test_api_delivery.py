"""`GET /api/deliveries/<id>` over a real socket: the record after a known sequence, exactly, with destinations masked;
401 without a token, 404 when nothing is known, 400 for ids that cannot be delivery ids."""

import http.client
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
import requests
import schemathesis
from schemathesis.specs.openapi.checks import response_schema_conformance
from twilio.request_validator import RequestValidator

from tests.conftest import API_TOKEN
from web.openapi import spec
from worker.events import notification_id

DELIVERY = "t-shiinc-27946"
PHONE, EMAIL = "0998976565", "iliana.bolanos@example.com"
SMS_ID = notification_id(DELIVERY, "going_to_dropoff", "sms")
EMAIL_ID = notification_id(DELIVERY, "going_to_dropoff", "email")
AUTH = {"Authorization": f"Bearer {API_TOKEN}"}


@pytest.fixture
def api_url(api_app, serve) -> str:
    return serve(api_app)


def get(api_url: str, delivery_id: str, headers: dict | None = None) -> requests.Response:
    return requests.get(
        f"{api_url}/api/deliveries/{delivery_id}", headers=AUTH if headers is None else headers, timeout=5
    )


def iso(epoch: float | None) -> str | None:
    """The stored epoch as the API writes it: UTC, milliseconds, a Z."""
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def delivery_report(api_url: str, sandbox, sid: str, status: str) -> None:
    """Twilio's signed status callback, as Twilio posts it (PUBLIC_BASE_URL is http://localhost in tests)."""
    form = {"MessageSid": sid, "MessageStatus": status, "AccountSid": sandbox.account_sid, "To": "+593998976565"}
    signature = RequestValidator(sandbox.auth_token).compute_signature("http://localhost/webhooks/twilio/status", form)
    headers = {"X-Twilio-Signature": signature}
    response = requests.post(f"{api_url}/webhooks/twilio/status", data=form, headers=headers, timeout=5)
    assert response.status_code == 204


@pytest.fixture
def known_sequence(api_url, sandbox, post_webhook, work, services) -> str:
    """A webhook, the worker's sends, Twilio's delivered report for the SMS, an API resend by SMS to a corrected
    number: returns the resend's notification id."""
    sandbox.add_delivery(DELIVERY, phone=PHONE, email=EMAIL)
    assert post_webhook({"id": DELIVERY}, status="going_to_dropoff").status_code == 202
    work()
    delivery_report(api_url, sandbox, sandbox.sms[0]["sid"], "delivered")
    body = {"channels": ["sms"], "phone": "+593 99 111 2233", "reason": "ticket 4411"}
    resend = requests.post(f"{api_url}/api/deliveries/{DELIVERY}/resend", json=body, headers=AUTH, timeout=10)
    assert resend.status_code == 202
    work()
    return resend.json()["notifications"][0]["notification_id"]


def test_the_record_after_a_webhook_a_report_and_a_resend(api_url, known_sequence, services):
    response = get(api_url, DELIVERY)
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/json"
    ((event,), _) = services.store.timelines([DELIVERY])[0]
    # The resent SMS is still "queued" at Twilio (no report yet): the API names that "sending".
    sms, email, resent = (services.store.notification(n) for n in (SMS_ID, EMAIL_ID, known_sequence))
    assert sms.delivered_at and sms.sent_at and email.sent_at and resent.sent_at

    def notification(nid, record, channel, destination, state, segments, resent_by=None):
        times = {name: iso(getattr(record, name)) for name in ("created_at", "sent_at", "delivered_at", "read_at")}
        return {
            "id": nid, "channel": channel, "status": "going_to_dropoff", "state": state, "destination": destination,
            **times, "clicked_at": None, "segments": segments, "error_code": None, "fallback_for": None,
            "resent_by": resent_by,
        }  # fmt: skip

    assert response.json() == {
        "delivery_id": DELIVERY,
        "events": [{"status": "going_to_dropoff", "received_at": iso(event.received_at), "outcome": "processed"}],
        "notifications": [
            notification(SMS_ID, sms, "sms", "+593…65", "delivered", 1),
            notification(EMAIL_ID, email, "email", "i…@example.com", "sent", None),
            notification(known_sequence, resent, "sms", "+593…33", "sending", 1, resent_by="helpdesk"),
        ],
    }


def test_no_contact_beyond_its_mask(api_url, known_sequence):
    text = get(api_url, DELIVERY).text
    for contact in ("998976565", "+593998976565", "991112233", "iliana", "bolanos", "Iliana", "Bola"):
        assert contact not in text


def test_the_answer_is_the_one_openapi_json_describes(api_app, known_sequence):
    operation = schemathesis.openapi.from_dict(spec("X-Webhook-Token"))["/api/deliveries/{delivery_id}"]["GET"]
    case = operation.Case(path_parameters={"delivery_id": DELIVERY}, headers=AUTH)
    response = case.call(app=api_app)
    assert response.status_code == 200
    case.validate_response(response, checks=[response_schema_conformance])


def test_a_message_held_by_quiet_hours_is_scheduled(api_url, sandbox, post_webhook, work, tmp_path, monkeypatch):
    now = datetime.now(ZoneInfo("America/Guayaquil"))  # the recipient's local time (an Ecuadorian mobile)
    quiet = f"{now - timedelta(hours=1):%H:%M}-{now + timedelta(hours=1):%H:%M}"
    rules = tmp_path / "rules.toml"
    rules.write_text(f'[going_to_dropoff]\nchannels = ["sms"]\nquiet_hours = "{quiet}"\n')
    monkeypatch.setenv("NOTIFY_RULES", str(rules))  # read by the worker
    sandbox.add_delivery(DELIVERY, phone=PHONE, email=None)
    post_webhook({"id": DELIVERY}, status="going_to_dropoff")
    work()
    (sms,) = get(api_url, DELIVERY).json()["notifications"]
    assert (sms["state"], sms["sent_at"]) == ("scheduled", None)


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer wrong-token-0123456789"}, {"Authorization": f"Basic {API_TOKEN}"}]
)
def test_missing_or_wrong_token_is_401_and_says_nothing(api_url, known_sequence, headers):
    response = get(api_url, DELIVERY, headers)
    assert response.status_code == 401 and response.json()["error"] == "unauthorised"
    assert response.headers["WWW-Authenticate"].startswith("Bearer") and DELIVERY not in response.text


def test_api_off_without_api_tokens(base_url):
    response = get(base_url, DELIVERY)
    assert response.status_code == 401 and response.json()["error"] == "api_off"


def test_nothing_known_is_404(api_url, sandbox):
    sandbox.add_delivery(DELIVERY)  # Shippify knows it; nothing was ever received or sent for it here
    response = get(api_url, DELIVERY)
    assert response.status_code == 404
    assert response.json() == {
        "error": "unknown_delivery",
        "detail": f"nothing is recorded for delivery {DELIVERY}: check the id (records expire after RETENTION_DAYS)",
    }


@pytest.mark.parametrize(
    "raw_path", ["..", ".", "%2e%2e", "%2E", "%20", "%20..%20", "a" * 129, "%00", "t-1%0A", "t%09-1", "%7F"]
)
def test_ids_that_cannot_be_delivery_ids_are_400(api_url, raw_path):
    """Sent byte for byte (http.client does not tidy dot segments away as browsers and requests do)."""
    connection = http.client.HTTPConnection(urlsplit(api_url).netloc, timeout=5)
    try:
        connection.request("GET", f"/api/deliveries/{raw_path}", headers=AUTH)
        response = connection.getresponse()
        status, content_type, body = response.status, response.getheader("Content-Type"), response.read()
    finally:
        connection.close()
    assert (status, content_type) == (400, "application/json")
    assert b'"error":"invalid_id"' in body.replace(b" ", b"")


def test_an_id_of_128_characters_is_looked_up(api_url):
    assert get(api_url, "a" * 128).status_code == 404
