"""RQ entry points: thin wrappers that take ids, build collaborators once per process and fail permanent
errors at once (transient ones are retried by RQ with the backoff the job was enqueued with)."""

from collections.abc import Callable
from functools import cache

from rq import get_current_job

from worker import events, send_job
from worker.errors import PermanentError
from worker.services import Services
from worker.settings import Settings


@cache
def services() -> Services:
    """Collaborators for this worker process, from its settings (built on first use, never at import)."""
    return Services.from_settings(Settings.from_env())


def close_services() -> None:
    """Close this process's collaborators and forget them (shutdown, or settings that changed)."""
    if services.cache_info().currsize:
        services().close()
    services.cache_clear()


def process_event(event_id: str) -> str:
    """Job: decide and queue the notifications of one received status event."""
    return _run(events.process_event, event_id)


def send_notification(notification_id: str) -> str:
    """Job: send one notification on its channel."""
    return _run(send_job.send_notification, notification_id)


def _run(step: Callable[[str, Services], str], item_id: str) -> str:
    """Run a step; a permanent error uses up the job's retries so it fails now, with a readable reason."""
    try:
        return step(item_id, services())
    except PermanentError:
        job = get_current_job()
        if job is not None:
            job.retries_left = 0
        raise
