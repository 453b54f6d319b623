"""The sandbox, exercised over real sockets with the real clients (twilio SDK, requests, smtplib)."""

from __future__ import annotations

import smtplib
import time

import pytest
import requests
from twilio.base.exceptions import TwilioRestException
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from sandbox import Sandbox
from sandbox.sms_segments import count_segments
from tests.sandbox_clients import close, make_client, make_email, smtp_send

TO = "+593998976565"
FROM = "+15005550006"


def shippify_get(sb: Sandbox, http: requests.Session, path: str, auth: tuple[str, str] | None = None):
    return http.get(sb.api_url + path, auth=auth or (sb.app_id, sb.app_secret), timeout=5)


# --- basics ---------------------------------------------------------------------------------------


def test_env_points_at_the_sandbox(sb: Sandbox) -> None:
    env = sb.env()
    assert env["SHIPPIFY_API_URL"] == env["TWILIO_API_URL"] == sb.api_url
    assert env["SMTP_URL"] == sb.smtp_url and sb.smtp_url.startswith("smtp://127.0.0.1:")
    assert env["TWILIO_FROM"] == FROM
    assert env["MAIL_FROM"] == "Tracking <tracking@sandbox.test>"
    assert sb.account_sid.startswith("AC") and len(sb.account_sid) == 34


def test_segment_counts() -> None:
    assert count_segments("a" * 160) == 1
    assert count_segments("a" * 161) == 2
    assert count_segments("ñ" * 160) == 1
    assert count_segments("á" * 70) == 1
    assert count_segments("á" * 71) == 2


# --- Twilio -----------------------------------------------------------------------------------------


def test_sdk_creates_fetches_and_lists(sb: Sandbox, twilio: Client) -> None:
    message = twilio.messages.create(to=TO, from_=FROM, body="Hola Iliana", status_callback="http://x.test/cb")
    assert message.sid.startswith("SM") and len(message.sid) == 34
    assert message.status == "queued"
    assert message.num_segments == "1"
    assert message.error_code is None
    assert twilio.messages(message.sid).fetch().body == "Hola Iliana"
    assert [m.sid for m in twilio.messages.list(to=TO)] == [message.sid]
    assert twilio.messages.list(to="+5511987654321") == []
    assert sb.sms[0]["to"] == TO
    assert sb.sms[0]["from_"] == FROM
    assert sb.sms[0]["status_callback"] == "http://x.test/cb"


def test_messaging_service_and_ucs2_segments(sb: Sandbox, twilio: Client) -> None:
    message = twilio.messages.create(to=TO, messaging_service_sid="MG" + "0" * 32, body="Olá " + "a" * 70)
    assert message.status == "accepted"
    assert message.from_ is None
    assert message.num_segments == "2"
    assert sb.sms[0]["messaging_service_sid"] == "MG" + "0" * 32


def test_unknown_message_is_20404(twilio: Client) -> None:
    with pytest.raises(TwilioRestException) as error:
        twilio.messages("SM" + "0" * 32).fetch()
    assert (error.value.status, error.value.code) == (404, 20404)


def test_invalid_to_is_21211(sb: Sandbox, twilio: Client) -> None:
    with pytest.raises(TwilioRestException) as error:
        twilio.messages.create(to="777", from_=FROM, body="x")
    assert (error.value.status, error.value.code) == (400, 21211)
    assert sb.sms == []
    assert sb.twilio_requests == 1


def test_opted_out_is_21610(sb: Sandbox, twilio: Client) -> None:
    sb.twilio_opted_out.add(TO)
    with pytest.raises(TwilioRestException) as error:
        twilio.messages.create(to=TO, from_=FROM, body="x")
    assert (error.value.status, error.value.code) == (400, 21610)


def test_bad_credentials_are_20003(sb: Sandbox) -> None:
    client = make_client(sb, token="wrong")
    try:
        with pytest.raises(TwilioRestException) as error:
            client.messages.create(to=TO, from_=FROM, body="x")
    finally:
        close(client)
    assert (error.value.status, error.value.code) == (401, 20003)


def test_fault_429_then_success(sb: Sandbox, twilio: Client) -> None:
    sb.fail("twilio", status=429, code=20429, times=1)
    with pytest.raises(TwilioRestException) as error:
        twilio.messages.create(to=TO, from_=FROM, body="x")
    assert (error.value.status, error.value.code) == (429, 20429)
    twilio.messages.create(to=TO, from_=FROM, body="x")
    assert len(sb.sms) == 1
    assert sb.twilio_requests == 2


def test_fault_500_twice(sb: Sandbox, twilio: Client) -> None:
    sb.fail("twilio", status=500, times=2)
    for _ in range(2):
        with pytest.raises(TwilioRestException) as error:
            twilio.messages.create(to=TO, from_=FROM, body="x")
        assert (error.value.status, error.value.code) == (500, 20500)
    assert sb.sms == []


def test_hang_after_accepting_stores_the_message(sb: Sandbox) -> None:
    sb.fail("twilio", hang=1.0, accept=True)
    client = make_client(sb, timeout=0.2)
    try:
        with pytest.raises(requests.exceptions.ReadTimeout):
            client.messages.create(to=TO, from_=FROM, body="x")
    finally:
        close(client)
    assert len(sb.sms) == 1


def test_send_status_is_signed(sb: Sandbox, twilio: Client, receiver: tuple[str, list]) -> None:
    url, seen = receiver
    seen.clear()
    message = twilio.messages.create(to=TO, from_=FROM, body="x", status_callback=url)
    assert sb.send_status(message.sid, "undelivered", error_code=30003) == 200
    form, signature = seen[0]["form"], seen[0]["signature"]
    assert form["MessageSid"] == message.sid
    assert form["MessageStatus"] == "undelivered"
    assert form["ErrorCode"] == "30003"
    assert RequestValidator(sb.auth_token).validate(seen[0]["url"], form, signature)
    assert not RequestValidator("other").validate(seen[0]["url"], form, signature)
    assert sb.sms[0]["status"] == "undelivered"


def test_send_inbound_is_signed(sb: Sandbox, receiver: tuple[str, list]) -> None:
    url, seen = receiver
    seen.clear()
    assert sb.send_inbound(url, TO, "STOP", OptOutType="STOP") == 200
    form = seen[0]["form"]
    assert (form["From"], form["To"], form["Body"], form["OptOutType"]) == (TO, FROM, "STOP", "STOP")
    assert RequestValidator(sb.auth_token).validate(seen[0]["url"], form, seen[0]["signature"])


def test_auto_report_sends_sent_then_delivered(sb: Sandbox, twilio: Client, receiver: tuple[str, list]) -> None:
    url, seen = receiver
    seen.clear()
    sb.auto_report = True
    twilio.messages.create(to=TO, from_=FROM, body="x", status_callback=url)
    deadline = time.monotonic() + 5
    while len(seen) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert [s["form"]["MessageStatus"] for s in seen] == ["sent", "delivered"]


# --- Shippify ---------------------------------------------------------------------------------------


def test_delivery_by_id_and_by_reference(sb: Sandbox, http: requests.Session) -> None:
    sb.add_delivery("t-shiinc-1", reference="PO-1")
    by_id = shippify_get(sb, http, "/v1/deliveries/t-shiinc-1/complete")
    by_ref = shippify_get(sb, http, "/v1/deliveries/PO-1/complete")
    assert by_id.status_code == by_ref.status_code == 200
    assert by_id.json() == by_ref.json()
    body = by_id.json()
    assert body["recipient"]["phonenumber"] == "0998976565"
    assert (body["_status"], body["status"]) == ("going_to_dropoff", 6)
    assert sb.shippify_calls == [("GET", "/v1/deliveries/t-shiinc-1/complete"), ("GET", "/v1/deliveries/PO-1/complete")]


def test_overrides(sb: Sandbox) -> None:
    delivery = sb.add_delivery("t-2", phone=None, email=None, status="completed", reason="Other", cityLang="pt")
    assert "phonenumber" not in delivery["recipient"] and "email" not in delivery["recipient"]
    assert (delivery["_status"], delivery["status"]) == ("completed", 7)
    assert delivery["reasonText"] == "Other"
    assert delivery["cityLang"] == "pt"
    assert sb.set_status("t-2", "hold_by_courier")["status"] == 6


def test_bad_credentials_are_401(sb: Sandbox, http: requests.Session) -> None:
    sb.add_delivery("t-3")
    response = shippify_get(sb, http, "/v1/deliveries/t-3/complete", auth=(sb.app_id, "wrong"))
    assert response.status_code == 401
    assert response.json()["code"] == "ERROR"


def test_unknown_delivery_is_404(sb: Sandbox, http: requests.Session) -> None:
    response = shippify_get(sb, http, "/v1/deliveries/nope/complete")
    assert response.status_code == 404
    assert response.json()["code"] == "ERROR"
    assert shippify_get(sb, http, "/v1/deliveries/token/nope").status_code == 404


def test_fault_500_twice_then_200(sb: Sandbox, http: requests.Session) -> None:
    sb.add_delivery("t-4")
    sb.fail("shippify", status=500, times=2)
    codes = [shippify_get(sb, http, "/v1/deliveries/t-4/complete").status_code for _ in range(3)]
    assert codes == [500, 500, 200]


def test_token_is_stable_and_token_faults_only_hit_the_token(sb: Sandbox, http: requests.Session) -> None:
    sb.add_delivery("t-pruaas-5063", name="Javier Perez")
    sb.fail("shippify_token", status=429)
    assert shippify_get(sb, http, "/v1/deliveries/t-pruaas-5063/complete").status_code == 200
    assert shippify_get(sb, http, "/v1/deliveries/token/t-pruaas-5063").status_code == 429
    first = shippify_get(sb, http, "/v1/deliveries/token/t-pruaas-5063").json()
    second = shippify_get(sb, http, "/v1/deliveries/token/REF-t-pruaas-5063").json()
    assert first == second
    assert len(first["token"]) == 22
    assert first["url"] == f"https://track.sandbox.test/track/t-pruaas-5063?token={first['token']}&ref=server"
    assert first["recipient"] == {"name": "Javier Perez", "email": "t-pruaas-5063@example.com"}
    assert sb.tracking_url("t-pruaas-5063") == first["url"]


# --- SMTP -------------------------------------------------------------------------------------------


def test_email_is_received_and_parsed(sb: Sandbox) -> None:
    smtp_send(sb, make_email())
    [received] = sb.emails
    email = received.message
    plain, html = email.get_body(("plain",)), email.get_body(("html",))
    assert plain is not None and html is not None
    assert email["Subject"] == "Tu pedido está en camino"
    assert plain.get_content() == "Sigue tu pedido: https://track.sandbox.test/track/t-1\n"
    assert "tu pedido</a>" in html.get_content()
    assert received.mail_from == "tracking@sandbox.test"
    assert received.rcpt_tos == ["iliana@example.com"]


def test_smtp_fault_451_then_success(sb: Sandbox) -> None:
    sb.fail("smtp", code=451)
    with pytest.raises(smtplib.SMTPDataError) as error:
        smtp_send(sb, make_email())
    assert error.value.smtp_code == 451
    assert sb.emails == []
    smtp_send(sb, make_email())
    assert len(sb.emails) == 1


def test_smtp_fault_550_at_rcpt(sb: Sandbox) -> None:
    sb.fail("smtp", code=550, stage="rcpt")
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        smtp_send(sb, make_email())
    assert sb.emails == []


# --- control endpoints ------------------------------------------------------------------------------


def test_control_endpoints(sb: Sandbox, http: requests.Session) -> None:
    created = http.post(sb.api_url + "/_sandbox/deliveries", json={"id": "t-9", "phone": "+56987654321"}, timeout=5)
    assert created.status_code == 201
    assert created.json()["recipient"]["phonenumber"] == "+56987654321"
    fault = http.post(sb.api_url + "/_sandbox/faults", json={"service": "shippify", "status": 503}, timeout=5)
    assert fault.status_code == 201
    assert shippify_get(sb, http, "/v1/deliveries/t-9/complete").status_code == 503
    latency = http.post(sb.api_url + "/_sandbox/latency", json={"smtp": 0.01}, timeout=5)
    assert latency.json()["smtp"] == 0.01
    assert sb.latency == {"shippify": 0.0, "twilio": 0.0, "smtp": 0.01}
    bad = http.post(sb.api_url + "/_sandbox/faults", json={"service": "fax"}, timeout=5)
    assert bad.status_code == 400
    assert http.post(sb.api_url + "/_sandbox/reset", timeout=5).status_code == 200
    assert sb.latency["smtp"] == 0.0
    assert shippify_get(sb, http, "/v1/deliveries/t-9/complete").status_code == 404


def test_outbox_json_and_page(sb: Sandbox, twilio: Client, http: requests.Session) -> None:
    twilio.messages.create(to=TO, from_=FROM, body="<b>Hola</b> https://track.sandbox.test/t?a=1&b=2")
    smtp_send(sb, make_email(subject="<script>x</script>"))
    outbox = http.get(sb.api_url + "/_sandbox/outbox", timeout=5).json()
    assert outbox["sms"][0]["body"].startswith("<b>Hola</b>")
    assert outbox["emails"][0]["subject"] == "<script>x</script>"
    assert outbox["emails"][0]["text"].startswith("Sigue tu pedido")
    page = http.get(sb.api_url + "/_sandbox/", timeout=5).text
    assert "<script>x</script>" not in page and "&lt;script&gt;" in page
    assert "&lt;b&gt;Hola" in page
    assert '<a href="https://track.sandbox.test/t?a=1&amp;b=2"' in page
