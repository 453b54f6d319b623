"""Twilio delivery reports and replies: signed requests only, states only move forward, STOP is honoured."""

import pytest
from twilio.request_validator import RequestValidator

from worker.events import notification_id

SMS_ID = notification_id("t-1", "going_to_dropoff", "sms")


@pytest.fixture
def sent_sid(sandbox, post_webhook, work) -> str:
    sandbox.add_delivery("t-1", email=None)
    post_webhook({"id": "t-1"}, status="going_to_dropoff")
    work()
    return sandbox.sms[0]["sid"]


def report(sid: str, status: str, **extra) -> dict:
    return {"MessageSid": sid, "MessageStatus": status, "AccountSid": "AC", "To": "+593998976565", **extra}


def test_reports_move_the_state_forward_only(twilio_post, sent_sid, services):
    for status in ("sent", "delivered", "sent", "queued"):
        assert twilio_post("/webhooks/twilio/status", report(sent_sid, status)).status_code == 204
    assert services.store.notification(SMS_ID).state == "delivered"


def test_a_report_that_moves_the_state_records_when(twilio_post, sent_sid, services):
    for status in ("sent", "delivered"):
        twilio_post("/webhooks/twilio/status", report(sent_sid, status))
    record = services.store.notification(SMS_ID)
    assert record.delivered_at == record.updated_at and record.read_at is None


def test_a_late_report_records_no_moment(twilio_post, sent_sid, services):
    for status in ("read", "delivered"):  # WhatsApp may report read first; a late delivered changes nothing
        twilio_post("/webhooks/twilio/status", report(sent_sid, status))
    record = services.store.notification(SMS_ID)
    assert (record.state, record.read_at) == ("read", record.updated_at) and record.delivered_at is None


def test_failure_report_keeps_the_error_code(twilio_post, sent_sid, services):
    twilio_post("/webhooks/twilio/status", report(sent_sid, "undelivered", ErrorCode="30005"))
    record = services.store.notification(SMS_ID)
    assert (record.state, record.error_code) == ("undelivered", "30005")


def test_report_with_21610_records_an_opt_out(twilio_post, sent_sid, services):
    twilio_post("/webhooks/twilio/status", report(sent_sid, "failed", ErrorCode="21610"))
    assert services.store.is_opted_out("+593998976565")


@pytest.mark.parametrize("signature", ["", "bm90IGEgc2lnbmF0dXJl", "ñ"])
def test_unsigned_or_wrongly_signed_reports_change_nothing(client, sent_sid, services, signature):
    response = client.post(
        "/webhooks/twilio/status", data=report(sent_sid, "delivered"), headers={"X-Twilio-Signature": signature}
    )
    assert response.status_code == 403 and response.get_json()["error"] == "invalid_signature"
    assert services.store.notification(SMS_ID).state == "queued"


def test_signature_for_another_body_is_refused(twilio_post, sent_sid, services):
    signature = RequestValidator("wrong-token").compute_signature(
        "http://localhost/webhooks/twilio/status", report(sent_sid, "delivered")
    )
    assert twilio_post("/webhooks/twilio/status", report(sent_sid, "delivered"), signature).status_code == 403


def test_report_for_an_unknown_message_is_acknowledged(twilio_post, services):
    assert twilio_post("/webhooks/twilio/status", report("SM" + "f" * 32, "delivered")).status_code == 204


@pytest.mark.parametrize("word", ["STOP", "stop", " Unsubscribe ", "CANCEL", "END", "QUIT", "STOPALL"])
def test_stop_words_opt_the_number_out(twilio_post, services, word):
    response = twilio_post("/webhooks/twilio/inbound", {"From": "+593998976565", "To": "+15005550006", "Body": word})
    assert response.status_code == 200 and response.mimetype == "text/xml"
    assert services.store.is_opted_out("+593998976565")


def test_opt_out_type_is_honoured_whatever_the_word(twilio_post, services):
    twilio_post("/webhooks/twilio/inbound", {"From": "+593998976565", "Body": "BAJA", "OptOutType": "STOP"})
    assert services.store.is_opted_out("+593998976565")


def test_start_opts_back_in_and_other_words_change_nothing(twilio_post, services):
    twilio_post("/webhooks/twilio/inbound", {"From": "+593998976565", "Body": "STOP"})
    twilio_post("/webhooks/twilio/inbound", {"From": "+593998976565", "Body": "gracias"})
    assert services.store.is_opted_out("+593998976565")
    twilio_post("/webhooks/twilio/inbound", {"From": "+593998976565", "Body": "START"})
    assert not services.store.is_opted_out("+593998976565")


@pytest.mark.parametrize("word", ["START", "unstop", " Yes "])
def test_start_words_let_sms_go_again_after_stop(twilio_post, sandbox, post_webhook, work, services, word):
    twilio_post("/webhooks/twilio/inbound", {"From": "+593998976565", "Body": "STOP"})
    twilio_post("/webhooks/twilio/inbound", {"From": "+593998976565", "Body": word})
    sandbox.add_delivery("t-1", email=None)
    post_webhook({"id": "t-1"}, status="going_to_dropoff")
    work()
    assert [m["to"] for m in sandbox.sms] == ["+593998976565"]
    assert services.store.notification(SMS_ID).state != "suppressed"


PUBLIC = "https://notifier.example.com"


@pytest.mark.parametrize(
    ("signed_for", "answer"), [(PUBLIC, 200), ("http://127.0.0.1:{port}", 403), ("http://notifier.example.com", 403)]
)
def test_signatures_are_checked_against_the_https_public_url_behind_a_proxy(
    make_app, serve, sandbox, services, signed_for, answer
):
    """On a PaaS, Twilio calls https://<public host>; the app hears plain HTTP from the router, which says
    X-Forwarded-Proto: https. Only a signature over the public https URL may pass."""
    import requests

    base = serve(make_app(PUBLIC_BASE_URL=PUBLIC))
    form = {"From": "+593998976565", "Body": "STOP"}
    url = signed_for.format(port=base.rsplit(":", 1)[1]) + "/webhooks/twilio/inbound"
    signature = RequestValidator(sandbox.auth_token).compute_signature(url, form)
    headers = {"X-Twilio-Signature": signature, "X-Forwarded-Proto": "https"}
    response = requests.post(f"{base}/webhooks/twilio/inbound", data=form, headers=headers, timeout=5)
    assert response.status_code == answer
    assert services.store.is_opted_out("+593998976565") == (answer == 200)


def test_opted_out_number_gets_no_sms_but_still_gets_email(twilio_post, sandbox, post_webhook, work, services):
    twilio_post("/webhooks/twilio/inbound", {"From": "+593998976565", "Body": "STOP"})
    sandbox.add_delivery("t-1")
    post_webhook({"id": "t-1"}, status="going_to_dropoff")
    work()
    assert not sandbox.sms and len(sandbox.emails) == 1
    assert services.store.notification(SMS_ID).state == "suppressed"
