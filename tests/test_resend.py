"""The one resend function behind the console, the CLI and the API: real Redis, the sandbox, the send path."""

import pytest

from tests.conftest import flask_cli
from worker.errors import UnknownDelivery
from worker.resend import CAP, InvalidResend, ResendLimited, ResendRequest, resend

DELIVERY = "t-shiinc-27946"


def token_calls(sandbox) -> int:
    return sum(1 for _, path in sandbox.shippify_calls if "/token/" in path)


def test_sms_to_a_corrected_number_with_a_fresh_link(sandbox, services, work):
    sandbox.add_delivery(DELIVERY)
    request = ResendRequest(channels=("sms",), phone="+593 99 111 2233", reason="changed number")
    result = resend(services, DELIVERY, request, actor="ana")
    work()
    (sms,) = sandbox.sms
    assert sms["to"] == "+593991112233"
    assert sms["body"].endswith(sandbox.tracking_url(DELIVERY))
    assert token_calls(sandbox) == 1 and not sandbox.emails
    (queued,) = result.notifications
    assert (queued.channel, queued.destination, queued.state) == ("sms", "+593…33", "pending")


def test_the_record_is_the_audit_entry(sandbox, services, work):
    sandbox.add_delivery(DELIVERY)
    result = resend(services, DELIVERY, ResendRequest(email="new@example.org", reason="typo\nin email"), actor="ana")
    work()
    record = services.store.notification(result.notifications[0].notification_id)
    assert record.kind == "resend" and record.actor == "ana"
    assert record.resend_reason == "typo in email" and record.corrected is True
    assert record.destination == "n…@example.org" and record.state == "sent"
    assert sandbox.emails[0].rcpt_tos == ["new@example.org"]
    assert services.store.recent() == [DELIVERY]


def test_bypasses_the_duplicate_guard_on_purpose(sandbox, services, work, post_webhook):
    sandbox.add_delivery(DELIVERY)
    post_webhook({"id": DELIVERY}, status="going_to_dropoff")
    work()
    resend(services, DELIVERY, ResendRequest(), actor="ana")
    work()
    assert len(sandbox.sms) == 2 and len(sandbox.emails) == 2
    assert [n.kind for n in services.store.notifications(DELIVERY)] == ["automatic"] * 2 + ["resend"] * 2


def test_cap_refuses_the_resend_after_the_fifth_within_an_hour(sandbox, services, work):
    assert CAP == "5/hour"
    sandbox.add_delivery(DELIVERY)
    for _ in range(5):
        resend(services, DELIVERY, ResendRequest(channels=("sms",)), actor="ana")
    with pytest.raises(ResendLimited) as refused:
        resend(services, DELIVERY, ResendRequest(channels=("sms",)), actor="ana")
    assert "5 times per hour" in str(refused.value) and 0 < refused.value.retry_after <= 3600
    work()
    assert len(sandbox.sms) == 5 and len(services.store.notifications(DELIVERY)) == 5


def test_found_by_merchant_reference(sandbox, services):
    sandbox.add_delivery(DELIVERY, reference="PO-7781")
    result = resend(services, "PO-7781", ResendRequest(channels=("email",)), actor="ana")
    assert result.delivery_id == DELIVERY
    assert services.store.notifications(DELIVERY)[0].channel == "email"


def test_unknown_delivery(sandbox, services):
    with pytest.raises(UnknownDelivery):
        resend(services, "t-nobody", ResendRequest(), actor="ana")


@pytest.mark.parametrize(
    ("current", "sent", "channels"),
    [
        ("at_dropoff", "at_dropoff", ("sms",)),
        ("hold_by_courier", "hold_by_courier", ("sms", "email")),
        ("assigned", "going_to_dropoff", ("sms", "email")),
        ("completed", "completed", ("email",)),
    ],
)
def test_message_for_the_current_status_else_the_main_one(sandbox, services, current, sent, channels):
    sandbox.add_delivery(DELIVERY, status=current)
    result = resend(services, DELIVERY, ResendRequest(), actor="ana")
    assert result.status == sent
    assert tuple(n.channel for n in result.notifications) == channels
    assert all(n.template == f"es/{sent}/{n.channel}" for n in result.notifications)


def test_opted_out_number_stays_suppressed_and_does_not_use_the_cap(sandbox, services, work):
    sandbox.add_delivery(DELIVERY)
    services.store.opt_out("+593998976565")
    for _ in range(6):
        result = resend(services, DELIVERY, ResendRequest(channels=("sms",)), actor="ana")
    work()
    assert not sandbox.sms
    (queued,) = result.notifications
    assert queued.state == "suppressed" and "START" in queued.detail


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (ResendRequest(phone="777"), "phone"),
        (ResendRequest(phone="042123456"), "phone"),
        (ResendRequest(email="not-an-email"), "email"),
        (ResendRequest(channels=("fax",)), "channels"),
        (ResendRequest(channels=("email",), phone="+593991112233"), "phone"),
        (ResendRequest(reason="x" * 501), "reason"),
    ],
)
def test_invalid_fields_are_named(sandbox, services, request_, field):
    sandbox.add_delivery(DELIVERY)
    with pytest.raises(InvalidResend) as invalid:
        resend(services, DELIVERY, request_, actor="ana")
    assert field in invalid.value.problems
    assert not services.store.notifications(DELIVERY) and not sandbox.shippify_calls


def test_a_delivery_without_a_phone_asks_for_a_corrected_one(sandbox, services):
    sandbox.add_delivery(DELIVERY, phone=None)
    with pytest.raises(InvalidResend) as invalid:
        resend(services, DELIVERY, ResendRequest(channels=("sms",)), actor="ana")
    assert "no usable phone" in invalid.value.problems["phone"]


def test_the_resend_command_sends_to_a_corrected_number_and_says_what_it_queued(app, sandbox, services, work):
    import getpass

    sandbox.add_delivery(DELIVERY)
    args = ["resend", DELIVERY, "--channel", "sms", "--to", "+593 99 111 2233", "--reason", "changed number"]
    result = flask_cli(app)(args=args)
    assert result.exit_code == 0, result.output
    work()
    (sms,) = sandbox.sms
    assert sms["to"] == "+593991112233" and sms["body"].endswith(sandbox.tracking_url(DELIVERY))
    (record,) = services.store.notifications(DELIVERY)
    assert result.output == f"sms to +593…33: pending [es/going_to_dropoff/sms] {record.id}\n"
    assert (record.actor, record.resend_reason) == (f"cli:{getpass.getuser()}", "changed number")


@pytest.mark.parametrize(
    ("args", "exit_code", "said"),
    [
        (["t-nobody"], 1, "t-nobody"),  # Shippify does not know it
        ([DELIVERY, "--to", "not a number"], 2, "phone"),  # a usage error, before anything is sent
    ],
)
def test_the_resend_command_refuses_with_a_reason_and_sends_nothing(app, sandbox, work, args, exit_code, said):
    sandbox.add_delivery(DELIVERY)
    result = flask_cli(app)(args=["resend", *args])
    work()
    assert result.exit_code == exit_code and said in result.output
    assert not sandbox.sms and not sandbox.emails
