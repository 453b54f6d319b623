"""Twilio callbacks under arbitrary forms: correctly signed ones never break the service and, for message ids we
never sent, change nothing; unsigned or wrongly signed ones are refused and change nothing at all."""

import pytest
from hypothesis import given
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator

from tests.security.conftest import FIXED
from worker.events import notification_id

SMS_ID = notification_id("t-1", "going_to_dropoff", "sms")
NUMBER = "+593998976565"
PATHS = st.sampled_from(["/webhooks/twilio/status", "/webhooks/twilio/inbound"])
TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30)
KNOWN_FIELDS = ("MessageSid", "MessageStatus", "ErrorCode", "AccountSid", "To", "From", "Body", "OptOutType")
FORMS = st.dictionaries(
    st.sampled_from(KNOWN_FIELDS) | TEXT.filter(bool),
    TEXT | st.sampled_from(["delivered", "failed", "21610", "STOP", "START", NUMBER, "SM" + "0" * 32]),
    max_size=8,
)


@pytest.fixture
def sent(sandbox, post_webhook, work, services):
    """One SMS sent and queued at Twilio: the record a forged report would try to move."""
    sandbox.add_delivery("t-1", email=None)
    post_webhook({"id": "t-1"}, status="going_to_dropoff")
    work()
    return sandbox.sms[0]["sid"]


def state(services):
    return services.store.notification(SMS_ID).state, services.store.is_opted_out(NUMBER)


@FIXED
@given(path=PATHS, form=FORMS)
def test_signed_forms_never_fail_and_unknown_messages_change_nothing(client, sandbox, sent, services, path, form):
    form = {**form, "MessageSid": "SM" + "f" * 32} if path.endswith("status") else form
    signature = RequestValidator(sandbox.auth_token).compute_signature("http://localhost" + path, form)
    before = state(services)
    response = client.post(path, data=form, headers={"X-Twilio-Signature": signature})
    assert response.status_code == (204 if path.endswith("status") else 200)
    if path.endswith("status"):
        assert state(services) == before


@FIXED
@given(
    path=PATHS,
    form=FORMS,
    signature=st.none() | st.text(st.characters(codec="latin-1", exclude_categories=("Cc",)), max_size=60),
)
def test_unsigned_or_wrongly_signed_forms_are_refused_and_change_nothing(client, sent, services, path, form, signature):
    forged = {
        **form,
        "MessageSid": sent,
        "MessageStatus": "failed",
        "ErrorCode": "21610",
        "From": NUMBER,
        "Body": "STOP",
    }
    before = state(services)
    headers = {} if signature is None else {"X-Twilio-Signature": signature}
    response = client.post(path, data=forged, headers=headers)
    assert response.status_code == 403 and response.get_json()["error"] == "invalid_signature"
    assert state(services) == before == ("queued", False)


def test_a_signature_for_another_url_is_refused(client, sandbox, sent, services):
    form = {"MessageSid": sent, "MessageStatus": "delivered"}
    signature = RequestValidator(sandbox.auth_token).compute_signature("http://localhost/webhooks/twilio/inbound", form)
    assert (
        client.post("/webhooks/twilio/status", data=form, headers={"X-Twilio-Signature": signature}).status_code == 403
    )
    assert state(services) == ("queued", False)
