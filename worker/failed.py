"""RQ's failed jobs, readable by people: list them with their reason, requeue or discard one or all."""

from dataclasses import dataclass
from datetime import UTC, datetime

from rq import Queue
from rq.job import Job

from worker.logs import scrub

NO_REASON = "no reason recorded"


@dataclass(frozen=True)
class FailedJob:
    """One failed job as staff see it: what it was for and why it failed (scrubbed of personal data)."""

    id: str
    description: str
    reason: str
    failed_at: datetime | None


def list_failed(q: Queue, limit: int = 200) -> list[FailedJob]:
    """Failed jobs, newest first."""
    registry = q.failed_job_registry
    ids = registry.get_job_ids(0, limit - 1, desc=True)
    jobs = Job.fetch_many(ids, connection=q.connection, serializer=q.serializer)
    return [_describe(job) for job in jobs if job is not None]


def count(q: Queue) -> int:
    """How many jobs are in the failed list."""
    return q.failed_job_registry.count


def requeue(q: Queue, job_id: str) -> bool:
    """Run a failed job again (after fixing its cause); False when it is not in the failed list."""
    registry = q.failed_job_registry
    if job_id not in registry:  # one ZSCORE, not the whole list
        return False
    registry.requeue(job_id)
    return True


def discard(q: Queue, job_id: str) -> bool:
    """Forget a failed job for good; False when it is not in the failed list."""
    registry = q.failed_job_registry
    if job_id not in registry:  # one ZSCORE, not the whole list
        return False
    registry.remove(job_id, delete_job=True)
    return True


def requeue_all(q: Queue) -> int:
    """Requeue every failed job; returns how many."""
    return sum(requeue(q, job_id) for job_id in q.failed_job_registry.get_job_ids())


def discard_all(q: Queue) -> int:
    """Discard every failed job; returns how many."""
    return sum(discard(q, job_id) for job_id in q.failed_job_registry.get_job_ids())


def reason(job: Job) -> str:
    """The exception's last line without its module path: `UnknownDelivery: Shippify does not know ...`."""
    result = job.latest_result()
    text = (result.exc_string if result is not None else None) or job.exc_info or ""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    if not lines:
        return NO_REASON
    kind, sep, message = lines[-1].partition(": ")
    return scrub(f"{kind.rpartition('.')[2]}{sep}{message}")


def _describe(job: Job) -> FailedJob:
    """The job's description (it names the delivery, never the recipient), reason and time of failure."""
    ended = job.ended_at.replace(tzinfo=UTC) if job.ended_at and job.ended_at.tzinfo is None else job.ended_at
    return FailedJob(
        id=job.id,
        description=job.description or job.func_name or job.id,
        reason=reason(job),
        failed_at=ended,
    )
