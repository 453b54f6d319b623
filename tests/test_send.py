"""The send ledger and retry policy: each (delivery, status, channel) goes out once, whatever fails."""

import pytest

from tests.conftest import wait_for
from worker import send_job
from worker.events import notification_id

SMS_ID = notification_id("t-1", "going_to_dropoff", "sms")
EMAIL_ID = notification_id("t-1", "going_to_dropoff", "email")


def fire(sandbox, post_webhook, status="going_to_dropoff", **delivery):
    sandbox.add_delivery("t-1", status=status, **delivery)
    assert post_webhook({"id": "t-1"}, status=status).status_code == 202


def test_shippify_errors_then_ok_sends_once(sandbox, post_webhook, work):
    fire(sandbox, post_webhook)
    sandbox.fail("shippify", status=500, times=2)
    work()
    assert len(sandbox.sms) == 1 and len(sandbox.emails) == 1


def test_twilio_429_then_ok_sends_one_sms(sandbox, post_webhook, work, services):
    fire(sandbox, post_webhook)
    sandbox.fail("twilio", status=429, code=20429, times=1)
    work()
    assert len(sandbox.sms) == 1 and sandbox.twilio_requests == 2
    assert services.store.notification(SMS_ID).state == "queued"


def test_smtp_451_then_ok_sends_one_email_and_never_a_second_sms(sandbox, post_webhook, work):
    fire(sandbox, post_webhook)
    sandbox.fail("smtp", code=451, times=1)
    work()
    assert len(sandbox.emails) == 1 and len(sandbox.sms) == 1 and sandbox.twilio_requests == 1


def test_smtp_550_rejects_the_email_for_good(sandbox, post_webhook, work, services):
    fire(sandbox, post_webhook)
    sandbox.fail("smtp", code=550, times=5)
    work()
    assert not sandbox.emails
    email = services.store.notification(EMAIL_ID)
    assert email.state == "rejected" and "550" in email.error
    assert services.queue.failed_job_registry.count == 0


def test_twilio_21610_records_an_opt_out_and_later_sms_are_suppressed(sandbox, post_webhook, work, services):
    sandbox.twilio_opted_out.add("+593998976565")
    fire(sandbox, post_webhook)
    work()
    assert not sandbox.sms and len(sandbox.emails) == 1
    assert services.store.notification(SMS_ID).state == "suppressed"
    assert services.store.is_opted_out("+593998976565")
    sandbox.twilio_opted_out.clear()
    sandbox.set_status("t-1", "at_dropoff")
    post_webhook({"id": "t-1"}, status="at_dropoff")
    work()
    assert not sandbox.sms and sandbox.twilio_requests == 1
    at_door = services.store.notification(notification_id("t-1", "at_dropoff", "sms"))
    assert (at_door.state, at_door.reason) == ("suppressed", "opted_out")


def test_wrong_twilio_credentials_fail_at_once_and_keep_the_message(sandbox, post_webhook, work, services):
    fire(sandbox, post_webhook)
    sandbox.fail("twilio", status=401, code=20003, times=1)
    work()
    assert sandbox.twilio_requests == 1
    (job_id,) = services.queue.failed_job_registry.get_job_ids()
    assert "TWILIO_AUTH_TOKEN" in services.queue.fetch_job(job_id).latest_result().exc_string
    assert services.store.notification(SMS_ID).state == "pending"
    services.queue.failed_job_registry.requeue(job_id)
    work()
    assert len(sandbox.sms) == 1


def test_transient_errors_exhaust_retries_and_stay_inspectable(sandbox, post_webhook, work, services):
    fire(sandbox, post_webhook, phone=None)
    sandbox.fail("smtp", code=451, times=10)
    work()
    (job_id,) = services.queue.failed_job_registry.get_job_ids()
    job = services.queue.fetch_job(job_id)
    assert "451" in job.latest_result().exc_string
    assert job.failure_ttl == 30 * 86400
    assert sandbox.emails == [] and services.store.notification(EMAIL_ID).state == "pending"


def test_rerun_of_a_finished_send_does_nothing(sandbox, post_webhook, work, services):
    fire(sandbox, post_webhook)
    work()
    assert send_job.send_notification(SMS_ID, services) == "queued"
    assert send_job.send_notification(EMAIL_ID, services) == "sent"
    assert len(sandbox.sms) == 1 and len(sandbox.emails) == 1


def test_ambiguous_timeout_is_settled_by_looking_the_message_up(sandbox, post_webhook, work, services):
    fire(sandbox, post_webhook, email=None)
    sandbox.fail("twilio", hang=3.0, accept=True)
    work()
    assert len(sandbox.sms) == 1 and sandbox.twilio_requests == 1
    record = services.store.notification(SMS_ID)
    assert record.state == "queued" and record.provider_id == sandbox.sms[0]["sid"]


def test_interrupted_send_that_never_reached_twilio_is_sent_once(sandbox, post_webhook, work, services):
    fire(sandbox, post_webhook, email=None)
    sandbox.fail("twilio", hang=3.0, accept=False)
    work()
    assert len(sandbox.sms) == 1


@pytest.mark.parametrize("interruption", [{"hang": 3}, {"drop": True}], ids=["reply-never-comes", "connection-dropped"])
@pytest.mark.parametrize("relay_kept_it", [True, False], ids=["relay-kept-it", "relay-lost-it"])
def test_email_interrupted_during_data_is_resent_once_with_the_same_message_id(
    sandbox, post_webhook, work, services, interruption, relay_kept_it
):
    """The message went over the wire, then no reply: the relay may or may not have it. The retry sends it again
    with the same Message-ID (mail clients show copies with one Message-ID as one message), and only once."""
    fire(sandbox, post_webhook, phone=None)
    sandbox.fail("smtp", accept=relay_kept_it, **interruption)
    work()
    assert wait_for(lambda: sandbox.inbox.data_done == 2, 10)  # the interrupted DATA has ended on the server too
    work()  # nothing left to send
    record = services.store.notification(EMAIL_ID)
    copies = [m.message["Message-ID"] for m in sandbox.emails]
    assert copies == [record.provider_id] * (2 if relay_kept_it else 1)
    assert record.provider_id.startswith(f"<{EMAIL_ID}@") and record.state == "sent"
    assert sandbox.inbox.data_done == 2  # no third transmission
