"""The sandbox standing in for WhatsApp through Twilio, driven over real sockets with the real Twilio SDK."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
import requests
from twilio.base.exceptions import TwilioRestException
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from sandbox import Sandbox
from tests.sandbox_clients import close, make_client, make_email, smtp_send

NUMBER = "+593998976565"
TO = "whatsapp:" + NUMBER
FROM = "whatsapp:+15005550006"
GOING_ES = "HX0000000000000000000000000000e001"  # [going_to_dropoff.es] in whatsapp_templates.example.toml
VARIABLES = {"1": "Ana", "2": "Tienda Sol", "3": "https://track.sandbox.test/t/abc"}


def send(twilio: Client, url: str | None = None, to: str = TO, **fields: Any) -> Any:
    params = {"content_sid": GOING_ES, "content_variables": json.dumps(VARIABLES), **fields}
    return twilio.messages.create(to=to, from_=FROM, status_callback=url, **params)


def reports(seen: list[dict[str, Any]], sid: str, count: int) -> list[dict[str, str]]:
    """The callbacks for one message, once `count` of them arrived (or after 5 s, whatever came)."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        found = [s["form"] for s in seen if s["form"]["MessageSid"] == sid]
        if len(found) >= count:
            return found
        time.sleep(0.02)
    return [s["form"] for s in seen if s["form"]["MessageSid"] == sid]


def refused(twilio: Client, **fields: Any) -> int:
    with pytest.raises(TwilioRestException) as caught:
        twilio.messages.create(to=fields.pop("to", TO), from_=fields.pop("from_", FROM), **fields)
    return int(caught.value.code)


def test_content_send_is_rendered_with_the_approved_text(sb: Sandbox, twilio: Client) -> None:
    message = send(twilio)
    assert message.status == "queued" and message.to == TO
    assert message.body.startswith("Hola Ana, tu pedido de Tienda Sol va en camino.")
    assert "https://track.sandbox.test/t/abc" in message.body and "{{" not in message.body
    assert message.num_segments == "1"
    assert [m["sid"] for m in sb.whatsapp] == [message.sid]
    assert sb.sms == []  # WhatsApp is not counted as SMS


def test_messaging_service_alone_is_accepted(sb: Sandbox, twilio: Client) -> None:
    message = twilio.messages.create(
        to=TO, messaging_service_sid="MG" + "1" * 32, content_sid=GOING_ES, content_variables=json.dumps(VARIABLES)
    )
    assert message.status == "accepted"
    assert sb.whatsapp[0]["messaging_service_sid"] == "MG" + "1" * 32


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"body": "Hola, tu pedido va en camino"}, 63016),  # free-form outside a session
        ({"body": "x", "content_variables": json.dumps(VARIABLES)}, 21654),  # variables without a ContentSid
        ({"content_sid": "HX" + "f" * 32, "content_variables": "{}"}, 21655),  # unknown template
        ({"content_sid": "HX123", "content_variables": "{}"}, 21655),  # not a ContentSid
        ({"content_sid": GOING_ES, "content_variables": "not json"}, 21656),
        ({"content_sid": GOING_ES, "content_variables": json.dumps({**VARIABLES, "1": ""})}, 21656),
        ({"content_sid": GOING_ES, "content_variables": json.dumps({**VARIABLES, "1": "Ana\nMaría"})}, 63013),
        ({"content_sid": GOING_ES, "content_variables": json.dumps({**VARIABLES, "1": "Ana\tMaría"})}, 63013),
        ({"content_sid": GOING_ES, "content_variables": json.dumps({**VARIABLES, "1": "Ana" + " " * 5 + "M"})}, 63013),
        ({"content_sid": GOING_ES, "content_variables": json.dumps({**VARIABLES, "2": "x" * 1000})}, 63021),
        ({"from_": "+15005550006", "content_sid": GOING_ES}, 63007),  # an SMS number as WhatsApp sender
        ({"to": "whatsapp:0998976565", "content_sid": GOING_ES}, 21211),
    ],
)
def test_what_twilio_refuses(sb: Sandbox, twilio: Client, fields: dict[str, Any], code: int) -> None:
    assert refused(twilio, **fields) == code
    assert sb.whatsapp == []


def test_four_spaces_are_still_accepted(twilio: Client) -> None:
    assert send(twilio, content_variables=json.dumps({**VARIABLES, "1": "Ana    María"})).status == "queued"


def test_free_form_body_inside_a_session_is_accepted(sb: Sandbox, twilio: Client) -> None:
    sb.open_whatsapp_session(NUMBER)
    message = twilio.messages.create(to=TO, from_=FROM, body="Gracias por escribirnos")
    assert message.body == "Gracias por escribirnos"


def test_registered_template_renders_its_status_and_locale(sb: Sandbox, twilio: Client) -> None:
    sid = "HX" + "ab" * 16
    sb.register_whatsapp_template(sid, "pt", "completed")
    message = send(twilio, content_sid=sid)
    assert message.body.startswith("Olá Ana, entregamos seu pedido de Tienda Sol.")
    with pytest.raises(ValueError, match="HX followed by 32 hex"):
        sb.register_whatsapp_template("HX1", "pt", "completed")


def test_reports_go_up_to_read_signed_with_channel_prefix(sb: Sandbox, twilio: Client, receiver: tuple) -> None:
    url, seen = receiver
    seen.clear()
    sb.auto_report = True
    message = send(twilio, url)
    got = reports(seen, message.sid, 3)
    assert [g["MessageStatus"] for g in got] == ["sent", "delivered", "read"]
    assert all(g["ChannelPrefix"] == "whatsapp" and g["To"] == TO and g["From"] == FROM for g in got)
    first = next(s for s in seen if s["form"]["MessageSid"] == message.sid)
    assert RequestValidator(sb.auth_token).validate(first["url"], first["form"], first["signature"])
    assert sb.whatsapp[0]["status"] == "read"


def test_send_status_by_hand_carries_the_channel_prefix(sb: Sandbox, twilio: Client, receiver: tuple) -> None:
    url, seen = receiver
    seen.clear()
    message = send(twilio, url)
    assert sb.send_status(message.sid, "read") == 200
    assert reports(seen, message.sid, 1)[0]["ChannelPrefix"] == "whatsapp"


@pytest.mark.parametrize(("state", "code"), [("unreachable", 63003), ("blocked", 63014)])
def test_marked_number_fails_after_a_queued_answer(
    sb: Sandbox, twilio: Client, receiver: tuple, state: str, code: int
) -> None:
    url, seen = receiver
    seen.clear()
    sb.mark_whatsapp(NUMBER, state)
    message = send(twilio, url)
    assert message.status == "queued"  # Twilio takes it first, then reports the failure
    got = reports(seen, message.sid, 1)
    assert [(g["MessageStatus"], g["ErrorCode"]) for g in got] == [("failed", str(code))]
    assert (sb.whatsapp[0]["status"], sb.whatsapp[0]["error_code"]) == ("failed", code)
    assert twilio.messages(message.sid).fetch().error_code == code


def test_marks_act_without_a_status_callback(sb: Sandbox, twilio: Client) -> None:
    sb.mark_whatsapp(TO, "unreachable")
    message = send(twilio)
    deadline = time.monotonic() + 5
    while sb.whatsapp[0]["status"] != "failed" and time.monotonic() < deadline:
        time.sleep(0.02)
    assert twilio.messages(message.sid).fetch().status == "failed"


def test_silent_number_never_reports_delivered(sb: Sandbox, twilio: Client, receiver: tuple) -> None:
    url, seen = receiver
    seen.clear()
    sb.auto_report = True
    sb.mark_whatsapp(NUMBER, "silent")
    silent = send(twilio, url)
    other = send(twilio, url, to="whatsapp:+593991112233")
    assert [g["MessageStatus"] for g in reports(seen, other.sid, 3)] == ["sent", "delivered", "read"]
    assert [g["MessageStatus"] for g in reports(seen, silent.sid, 1)] == ["sent"]  # and no more, though others read


def test_sms_to_the_same_number_is_untouched_by_whatsapp_marks(sb: Sandbox, twilio: Client) -> None:
    sb.mark_whatsapp(NUMBER, "unreachable")
    message = twilio.messages.create(to=NUMBER, from_="+15005550006", body="Hola")
    assert message.status == "queued" and len(sb.sms) == 1 and sb.sms[0]["channel"] == "sms"


def test_http_controls_mark_register_and_open_sessions(sb: Sandbox, twilio: Client, http: requests.Session) -> None:
    base = sb.api_url + "/_sandbox/whatsapp"
    assert http.post(base + "/numbers", json={"number": NUMBER, "state": "blocked"}, timeout=5).status_code == 201
    sid = "HX" + "cd" * 16
    template = {"content_sid": sid, "locale": "en", "status": "canceled", "approval": "pending"}
    assert http.post(base + "/templates", json=template, timeout=5).status_code == 201
    assert http.post(base + "/sessions", json={"number": "+593991112233"}, timeout=5).status_code == 201
    state = http.get(base, timeout=5).json()
    assert state["numbers"] == {NUMBER: "blocked"} and state["sessions"] == ["+593991112233"]
    assert state["templates"][sid] == {"locale": "en", "status": "canceled"} and state["approvals"] == {sid: "pending"}
    assert http.post(base + "/numbers", json={"number": NUMBER, "state": "asleep"}, timeout=5).status_code == 400
    assert http.post(base + "/templates", json={"content_sid": "HX1"}, timeout=5).status_code == 400
    assert twilio.messages.create(to="whatsapp:+593991112233", from_=FROM, body="hola").status == "queued"
    http.post(sb.api_url + "/_sandbox/reset", timeout=5)
    assert http.get(base, timeout=5).json()["numbers"] == {}


def test_outbox_shows_whatsapp_apart_with_ticks(sb: Sandbox, twilio: Client, http: requests.Session) -> None:
    read = send(twilio)
    sb.twilio.update_status(read.sid, "read")
    sb.mark_whatsapp("+593991112233", "unreachable")
    twilio.messages.create(to=NUMBER, from_="+15005550006", body="SMS <b>text</b>")
    outbox = http.get(sb.api_url + "/_sandbox/outbox", timeout=5).json()
    assert [m["sid"] for m in outbox["whatsapp"]] == [read.sid]
    assert outbox["whatsapp"][0]["body"].startswith("Hola Ana") and outbox["whatsapp"][0]["status"] == "read"
    assert len(outbox["sms"]) == 1
    page = http.get(sb.api_url + "/_sandbox/", timeout=5).text
    assert "<h2>WhatsApp (1)</h2>" in page and "<h2>SMS (1)</h2>" in page
    assert 'class="ticks read"' in page and "Hola Ana, tu pedido de Tienda Sol" in page
    assert '<a href="https://track.sandbox.test/t/abc"' in page


def test_whatsapp_env_points_at_the_example_mapping(sb: Sandbox) -> None:
    env = sb.whatsapp_env()
    assert env["WHATSAPP_FROM"] == FROM
    assert env["WHATSAPP_TEMPLATES"].endswith("whatsapp_templates.example.toml")


def test_content_api_says_a_template_exists_and_is_approved(sb: Sandbox, twilio: Client) -> None:
    twilio.content.base_url = sb.api_url
    content = twilio.content.v1.contents(GOING_ES).fetch()
    assert content.language == "es" and content.types["twilio/text"]["body"].startswith("Hola {{1}}, tu pedido")
    assert twilio.content.v1.contents(GOING_ES).approval_fetch().fetch().whatsapp["status"] == "approved"
    sb.set_whatsapp_approval(GOING_ES, "rejected")
    approval = twilio.content.v1.contents(GOING_ES).approval_fetch().fetch().whatsapp
    assert (approval["status"], approval["category"]) == ("rejected", "UTILITY")
    with pytest.raises(TwilioRestException) as caught:
        twilio.content.v1.contents("HX" + "f" * 32).fetch()
    assert caught.value.status == 404


def test_content_api_needs_the_account_credentials(sb: Sandbox) -> None:
    other = make_client(sb, "wrong-token")
    other.content.base_url = sb.api_url
    with pytest.raises(TwilioRestException) as caught:
        other.content.v1.contents(GOING_ES).approval_fetch().fetch()
    assert caught.value.status == 401
    close(other)


def test_inbound_whatsapp_is_signed_and_opens_a_session(sb: Sandbox, twilio: Client, receiver: tuple) -> None:
    url, seen = receiver
    seen.clear()
    assert refused(twilio, body="¿Dónde está mi pedido?") == 63016
    assert sb.send_whatsapp_inbound(url, NUMBER, "STOP") == 200
    form = seen[0]["form"]
    assert (form["From"], form["To"], form["Body"], form["ChannelPrefix"]) == (TO, FROM, "STOP", "whatsapp")
    assert RequestValidator(sb.auth_token).validate(seen[0]["url"], form, seen[0]["signature"])
    assert twilio.messages.create(to=TO, from_=FROM, body="Recibido").status == "queued"


def test_outbox_page_keeps_its_look_under_a_strict_csp(sb: Sandbox, twilio: Client, http: requests.Session) -> None:
    """No inline style or script: the WhatsApp look comes from the page's own stylesheet, an email's HTML from a
    sandboxed page of its own (the page shows what anyone's templates produced)."""
    send(twilio)
    smtp_send(sb, make_email())
    page = http.get(sb.api_url + "/_sandbox/", timeout=5)
    csp = page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "style-src 'self'" in csp and "unsafe-inline" not in csp
    assert "<style" not in page.text and "srcdoc" not in page.text and "<script" not in page.text
    style = http.get(sb.api_url + "/_sandbox/outbox.css", timeout=5)
    assert style.headers["Content-Type"].startswith("text/css") and ".wa .bubble" in style.text
    assert '<iframe sandbox="" src="/_sandbox/emails/0.html">' in page.text
    email = http.get(sb.api_url + "/_sandbox/emails/0.html", timeout=5)
    assert "<a href='https://track.sandbox.test/track/t-1'>" in email.text
    assert email.headers["Content-Security-Policy"].endswith("sandbox")
    assert http.get(sb.api_url + "/_sandbox/emails/1.html", timeout=5).status_code == 404
