"""`process_event` run again by RQ after the worker running it died part-way, and an event that expired before its
job ran: the rerun finishes what is missing and sends nothing twice; an expired event is let go quietly."""

import logging

import pytest
from rq.job import Job
from rq.registry import FailedJobRegistry

from tests.conftest import relay_all
from worker import events, queueing, send_job
from worker.intake import event_id
from worker.store import keys

DELIVERY = "t-shiinc-27946"
EVENT = event_id(DELIVERY, "going_to_dropoff")
SMS, EMAIL = (events.notification_id(DELIVERY, "going_to_dropoff", channel) for channel in ("sms", "email"))


def crash_after_recording_both_and_queueing_the_sms(services, redis_client) -> None:
    """What a worker killed inside `process_event` leaves: both notifications in the ledger, the SMS's send job
    queued, the email's not yet, and the event not closed (its own job still to be retried)."""
    assert events.process_event(EVENT, services) == "processed"
    Job.fetch(queueing.send_job_id(EMAIL), connection=redis_client, serializer=services.queue.serializer).delete()
    redis_client.hset(keys.event(EVENT), "outcome", "queued")


@pytest.mark.parametrize("sms_sent_before_the_rerun", [False, True])
def test_a_rerun_after_a_crash_part_way_queues_the_rest_and_sends_nothing_twice(
    sandbox, post_webhook, work, services, redis_client, sms_sent_before_the_rerun
):
    sandbox.add_delivery(DELIVERY)
    assert post_webhook({"id": DELIVERY}, status="going_to_dropoff").status_code == 202
    relay_all(services)  # the event's job is queued, as a worker's relay does at once
    crash_after_recording_both_and_queueing_the_sms(services, redis_client)
    assert services.store.notification(EMAIL).state == "pending" and services.queue.count == 2
    if sms_sent_before_the_rerun:  # another worker took the SMS job meanwhile
        assert send_job.send_notification(SMS, services) == "queued"
    work()  # the event's job again, then the sends
    assert [m["to"] for m in sandbox.sms] == ["+593998976565"]
    assert len(sandbox.emails) == 1
    assert services.store.event(EVENT).outcome == "processed"
    assert not FailedJobRegistry(queue=services.queue).get_job_ids()


def test_an_event_that_expired_before_its_job_ran_is_let_go(
    sandbox, post_webhook, work, services, redis_client, caplog
):
    sandbox.add_delivery(DELIVERY)
    assert post_webhook({"id": DELIVERY}, status="going_to_dropoff").status_code == 202
    relay_all(services)
    redis_client.delete(keys.event(EVENT))  # what its retention TTL does to a job that waited too long
    with caplog.at_level(logging.WARNING, logger="worker.events"):
        work()
    assert "event expired before processing" in caplog.messages
    assert not sandbox.shippify_calls and not sandbox.sms and not sandbox.emails
    assert not FailedJobRegistry(queue=services.queue).get_job_ids() and services.queue.count == 0
