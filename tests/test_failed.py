"""Failed jobs, readable: list with reasons, requeue (the message then goes out once) or discard; CLI too."""

import pytest

from tests.conftest import flask_cli
from worker import failed

SMS_JOB_DESCRIPTION = "send sms for delivery t-1"


@pytest.fixture
def failed_sms(sandbox, post_webhook, work, services):
    """A send job failed for good: wrong Twilio credentials (the message is kept for a requeue)."""
    sandbox.add_delivery("t-1", email=None)
    post_webhook({"id": "t-1"}, status="going_to_dropoff")
    sandbox.fail("twilio", status=401, code=20003, times=1)
    work()
    (job,) = failed.list_failed(services.queue)
    return job


def test_list_says_what_and_why_without_personal_data(failed_sms):
    assert failed_sms.description == SMS_JOB_DESCRIPTION
    assert failed_sms.reason.startswith("ConfigurationError: ") and "TWILIO_AUTH_TOKEN" in failed_sms.reason
    assert "998976565" not in failed_sms.reason and failed_sms.failed_at is not None


def test_unknown_delivery_reason(sandbox, post_webhook, work, services):
    post_webhook({"id": "t-nobody"}, status="going_to_dropoff")
    work()
    (job,) = failed.list_failed(services.queue)
    assert job.reason == "UnknownDelivery: Shippify does not know delivery t-nobody"


def test_requeue_sends_the_message_once(failed_sms, services, work, sandbox):
    assert failed.requeue(services.queue, failed_sms.id)
    work()
    assert len(sandbox.sms) == 1 and failed.count(services.queue) == 0
    assert not failed.requeue(services.queue, failed_sms.id)


def test_discard_forgets_the_job(failed_sms, services, work, sandbox):
    assert failed.discard(services.queue, failed_sms.id)
    work()
    assert not sandbox.sms and failed.list_failed(services.queue) == []
    assert not failed.discard(services.queue, failed_sms.id)


def test_discard_all(sandbox, post_webhook, work, services):
    for delivery in ("t-a", "t-b", "t-c"):
        post_webhook({"id": delivery}, status="going_to_dropoff")
    work()
    assert failed.count(services.queue) == 3
    assert failed.discard_all(services.queue) == 3 and failed.count(services.queue) == 0


def test_requeue_all(failed_sms, services, work, sandbox):
    assert failed.requeue_all(services.queue) == 1
    work()
    assert len(sandbox.sms) == 1 and failed.count(services.queue) == 0


def test_cli_list_requeue_discard(app, failed_sms, services, work, sandbox):
    runner = flask_cli(app)
    listed = runner(args=["failed", "list"])
    assert listed.exit_code == 0 and failed_sms.id in listed.output and "ConfigurationError" in listed.output
    assert runner(args=["failed", "requeue"]).exit_code == 2  # neither ids nor --all
    missing = runner(args=["failed", "discard", "no-such-job"])
    assert missing.exit_code == 1 and "not in the failed list: no-such-job" in missing.output
    requeued = runner(args=["failed", "requeue", "--all"])
    assert requeued.exit_code == 0 and "1 job(s) requeued" in requeued.output
    work()
    assert len(sandbox.sms) == 1
    assert runner(args=["failed", "discard", "--all"]).output.startswith("0 job(s) discarded")
