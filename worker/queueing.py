"""The RQ queue, its JSON serializer and the retry policy every job is enqueued with."""

import random
from datetime import UTC, datetime, timedelta

import redis
from rq import Queue, Retry
from rq.job import Job
from rq.serializers import JSONSerializer

from worker.settings import Settings

QUEUE_NAME = "notify"
# Bounds a stuck job (every outside call inside has its own timeout; a job makes at most two in a row). A killed
# worker's job is retried once its heartbeat (this + 60 s) expires.
JOB_TIMEOUT = 30
# A job that succeeded is accounted for by the notification record: RQ keeps no copy (failed ones: retention).
RESULT_TTL = 0
BACKOFF_FACTOR = 3
BACKOFF_CAP = 900.0
PROCESS_EVENT = "worker.jobs.process_event"
SEND_NOTIFICATION = "worker.jobs.send_notification"
CHECK_UNREACHED = "worker.jobs.check_unreached"


def queue(client: redis.Redis) -> Queue:
    """The one queue; JSON serializer so that writing to Redis never means running code."""
    return Queue(QUEUE_NAME, connection=client, serializer=JSONSerializer)


def backoff(settings: Settings) -> list[int]:
    """Capped exponential intervals with ±20 % jitter, drawn per job so that retries do not stampede."""
    base = settings.retry_base_seconds
    return [
        round(min(BACKOFF_CAP, base * BACKOFF_FACTOR**i) * random.uniform(0.8, 1.2))  # noqa: S311
        for i in range(max(settings.retry_max_attempts, 1))
    ]


def job_options(settings: Settings, job_id: str, description: str) -> dict:
    """Options shared by every job: id, retries (also after a crash), readable failures kept for retention."""
    options: dict = {
        "job_id": job_id,
        "description": description,
        "timeout": JOB_TIMEOUT,
        "result_ttl": RESULT_TTL,
        "failure_ttl": settings.retention_seconds,
    }
    if settings.retry_max_attempts:
        options["retry"] = Retry(max=settings.retry_max_attempts, interval=backoff(settings))
    return options


def process_job_id(event_id: str) -> str:
    return f"ev-{event_id}"


def send_job_id(notification_id: str) -> str:
    return f"send-{notification_id}"


def enqueue_process(q: Queue, settings: Settings, event_id: str, delivery_id: str) -> Job:
    """Queue the processing of one received event (the intake's relay and the maintenance do), unless its job is
    already there: RQ's unique enqueue raises DuplicateJobError then."""
    options = job_options(settings, process_job_id(event_id), f"process event for delivery {delivery_id}")
    return q.enqueue_call(PROCESS_EVENT, args=(event_id,), unique=True, **options)


def enqueue_send(
    q: Queue, settings: Settings, notification_id: str, delivery_id: str, channel: str, at: datetime | None = None
) -> Job:
    """Queue one channel's send (at a given time, after quiet hours); unique, so a re-run cannot queue it twice."""
    options = job_options(settings, send_job_id(notification_id), f"send {channel} for delivery {delivery_id}")
    if at is not None:
        return _enqueue_at(q, at, SEND_NOTIFICATION, notification_id, options)
    return q.enqueue_call(SEND_NOTIFICATION, args=(notification_id,), unique=True, **options)


def enqueue_check_unreached(q: Queue, settings: Settings, notification_id: str, channel: str, seconds: float) -> Job:
    """Queue, `seconds` from now, the check that a message was delivered or read (the rule's fallback_after);
    unique per notification."""
    options = job_options(settings, f"unreached-{notification_id}", f"check the {channel} message was delivered")
    at = datetime.now(UTC) + timedelta(seconds=seconds)
    return _enqueue_at(q, at, CHECK_UNREACHED, notification_id, options)


def _enqueue_at(q: Queue, at: datetime, function: str, notification_id: str, options: dict) -> Job:
    """A unique job run by the worker's scheduler at `at`."""
    options["job_timeout"] = options.pop("timeout")  # enqueue_at spells it the way enqueue does
    return q.enqueue_at(at, function, notification_id, unique=True, **options)
