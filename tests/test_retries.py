"""The retry schedule as RQ holds it: a transient failure puts the job in the scheduled registry, RETRY_BASE_SECONDS
then ×3 each time, capped at 15 minutes, each interval drawn within ±20 %, RETRY_MAX_ATTEMPTS retries, then failed."""

import time

import pytest
from rq.job import Job
from rq.registry import FailedJobRegistry, ScheduledJobRegistry

from worker import queueing
from worker.intake import event_id

BASE, RETRIES = 10, 6
NOMINAL = [10, 30, 90, 270, 810, 900]  # 10 × 3ⁿ; the sixth, 2,430 s, is capped at 15 minutes


@pytest.fixture
def env(env):
    return {**env, "RETRY_BASE_SECONDS": str(BASE), "RETRY_MAX_ATTEMPTS": str(RETRIES)}


def job_of(services, delivery_id: str) -> Job:
    job_id = queueing.process_job_id(event_id(delivery_id, "going_to_dropoff"))
    return Job.fetch(job_id, connection=services.redis, serializer=services.queue.serializer)


def within_jitter(seconds: float, nominal: float, slack: float = 0.5) -> bool:
    return 0.8 * nominal - slack <= seconds <= 1.2 * nominal + slack


def test_a_failing_job_is_retried_on_the_capped_exponential_schedule_then_fails(sandbox, post_webhook, work, services):
    sandbox.add_delivery("t-1")
    sandbox.fail("shippify", status=503, times=RETRIES + 5)  # Shippify down throughout
    post_webhook({"id": "t-1"}, status="going_to_dropoff")
    scheduled = ScheduledJobRegistry(queue=services.queue)
    for attempt in range(RETRIES):
        before = int(time.time())  # the registry keeps whole seconds
        work()
        after = time.time()
        job = job_of(services, "t-1")
        assert job.id in scheduled.get_job_ids(), f"attempt {attempt + 1} was not scheduled for a retry"
        interval = job.retry_intervals[attempt]  # drawn when the job was queued
        assert within_jitter(interval, NOMINAL[attempt])
        assert before + interval <= scheduled.get_scheduled_time(job).timestamp() <= after + interval
        scheduled.remove(job)
        services.queue.enqueue_job(job)  # its time has come
    work()
    assert sum("/complete" in path for _, path in sandbox.shippify_calls) == RETRIES + 1
    assert not scheduled.get_job_ids() and job_of(services, "t-1").id in FailedJobRegistry(queue=services.queue)
    assert not sandbox.sms and not sandbox.emails


def test_each_job_draws_its_own_intervals_within_the_jitter_band(sandbox, post_webhook, work, services):
    """Jobs that failed together retry apart, so a recovering provider is not hit by all of them at once."""
    deliveries = [f"t-{i}" for i in range(8)]
    for delivery_id in deliveries:
        sandbox.add_delivery(delivery_id)
        post_webhook({"id": delivery_id}, status="going_to_dropoff")
    sandbox.fail("shippify", status=503, times=len(deliveries))
    work()
    intervals = [job_of(services, d).retry_intervals for d in deliveries]
    assert all(within_jitter(i[n], NOMINAL[n]) for i in intervals for n in range(RETRIES))
    assert len({tuple(i) for i in intervals}) > 1  # not the same schedule for every job
    assert len({i[-1] for i in intervals}) > 1  # the cap is jittered too
