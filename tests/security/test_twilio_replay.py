"""Replayed Twilio requests (finding 5 of the security probe): a signed inbound START or delivery report, captured
and sent again later, must change nothing. Twilio's signature carries no time, so the MessageSid is what tells a
replay from a new message."""

import pytest
import requests
from twilio.request_validator import RequestValidator

from sandbox.twilio_callbacks import inbound_params
from worker.events import notification_id

NUMBER = "+593998976565"
PUBLIC = "http://localhost"  # PUBLIC_BASE_URL of the test settings: what Twilio signs


@pytest.fixture
def twilio(base_url, sandbox):
    """POST a form to the app's socket, signed for the public URL exactly as Twilio signs it; the form and its
    signature are returned too, so that a test can replay them byte for byte."""

    def post(path: str, form: dict, signature: str | None = None) -> tuple[int, str]:
        signature = signature or RequestValidator(sandbox.auth_token).compute_signature(PUBLIC + path, form)
        response = requests.post(base_url + path, data=form, headers={"X-Twilio-Signature": signature}, timeout=5)
        return response.status_code, signature

    return post


def reply(sandbox, body: str) -> dict:
    """An inbound SMS from the recipient, with a fresh MessageSid, as Twilio posts it."""
    return inbound_params(sandbox.account_sid, NUMBER, body, "+15005550006", {})


def test_a_replayed_start_does_not_cancel_a_later_stop(twilio, sandbox, services, post_webhook, work):
    start = reply(sandbox, "START")
    assert twilio("/webhooks/twilio/inbound", reply(sandbox, "STOP"))[0] == 200
    code, start_signature = twilio("/webhooks/twilio/inbound", start)
    assert code == 200 and not services.store.is_opted_out(NUMBER)
    assert twilio("/webhooks/twilio/inbound", reply(sandbox, "STOP"))[0] == 200
    assert twilio("/webhooks/twilio/inbound", start, start_signature)[0] == 200  # the replay: same form, same signature
    assert services.store.is_opted_out(NUMBER)
    sandbox.add_delivery("t-1", email=None)
    post_webhook({"id": "t-1"}, status="going_to_dropoff")
    work()
    assert not sandbox.sms  # the recipient's last word was STOP
    assert services.store.notification(notification_id("t-1", "going_to_dropoff", "sms")).state == "suppressed"


def test_a_replayed_stop_does_not_cancel_a_later_start(twilio, sandbox, services):
    stop = reply(sandbox, "STOP")
    code, stop_signature = twilio("/webhooks/twilio/inbound", stop)
    assert twilio("/webhooks/twilio/inbound", reply(sandbox, "START"))[0] == 200
    assert twilio("/webhooks/twilio/inbound", stop, stop_signature)[0] == 200
    assert code == 200 and not services.store.is_opted_out(NUMBER)


def test_a_replayed_21610_report_does_not_opt_out_again_after_start(twilio, sandbox, services, post_webhook, work):
    sandbox.add_delivery("t-1", email=None)
    post_webhook({"id": "t-1"}, status="going_to_dropoff")
    work()
    report = {"MessageSid": sandbox.sms[0]["sid"], "MessageStatus": "failed", "ErrorCode": "21610", "To": NUMBER}
    code, signature = twilio("/webhooks/twilio/status", report)
    assert code == 204 and services.store.is_opted_out(NUMBER)
    assert twilio("/webhooks/twilio/inbound", reply(sandbox, "START"))[0] == 200
    assert twilio("/webhooks/twilio/status", report, signature)[0] == 204
    assert not services.store.is_opted_out(NUMBER)
    assert services.store.notification(notification_id("t-1", "going_to_dropoff", "sms")).state == "failed"


def test_each_new_reply_still_counts(twilio, sandbox, services):
    for word, opted_out in (("STOP", True), ("START", False), ("STOP", True), ("START", False)):
        assert twilio("/webhooks/twilio/inbound", reply(sandbox, word))[0] == 200
        assert services.store.is_opted_out(NUMBER) is opted_out
