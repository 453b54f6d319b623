"""Settling an SMS whose outcome is unknown (the answer from Twilio never came back) when the same body already went
to the same number for another notification, as a resend does: the lookup may only claim a message of its own."""

import pytest

from worker.clients.twilio_sms import same_text
from worker.events import notification_id
from worker.resend import ResendRequest, resend

DELIVERY = "t-shiinc-27946"
AUTOMATIC = notification_id(DELIVERY, "going_to_dropoff", "sms")


@pytest.fixture(params=[False, True], ids=["links-as-sent", "links-shortened-by-twilio"])
def env(env, request):
    if not request.param:
        return env
    return {**env, "TWILIO_MESSAGING_SERVICE_SID": "MG" + "0" * 32, "TWILIO_SHORTEN_URLS": "true"}


@pytest.mark.parametrize("twilio_took_it", [True, False], ids=["resend-taken", "resend-lost"])
def test_an_unanswered_resend_is_settled_against_its_own_message_only(
    sandbox, post_webhook, work, services, settings, twilio_took_it
):
    sandbox.add_delivery(DELIVERY, email=None)
    post_webhook({"id": DELIVERY}, status="going_to_dropoff")
    work()
    (first,) = sandbox.sms
    sandbox.fail("twilio", hang=4, accept=twilio_took_it)  # the answer never comes back in time
    again = resend(services, DELIVERY, ResendRequest(channels=("sms",)), actor="ana").notifications[0]
    work()  # the send times out (outcome unknown), its retry looks the message up before sending again
    assert len(sandbox.sms) == 2, "the resend must reach the number exactly once"
    second = sandbox.sms[1]
    assert same_text(first["body"], second["body"]) and first["to"] == second["to"]  # indistinguishable by text
    if settings.twilio_shorten_urls:
        assert first["body"] != second["body"]  # Twilio's short links differ from one message to the next
    record = services.store.notification(again.notification_id)
    assert record.provider_id == second["sid"] != first["sid"]
    assert record.settled_by == ("lookup" if twilio_took_it else "")
    assert services.store.notification(AUTOMATIC).provider_id == first["sid"]
