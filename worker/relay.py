"""The worker's half of the webhook intake: queueing each event the intake recorded as its RQ job.

The webhook makes one atomic step and one round trip (Store.record_event): the event is recorded, marked pending
and its id pushed onto the relay list. A relay thread in every worker process takes ids off that list and queues
each event's job with RQ's own, documented unique enqueue, then ends the mark (relay). A relay that dies between
taking an id and queueing its job leaves the mark: the worker's maintenance queues whatever stays pending longer
than PENDING_GRACE (queue_left_pending). RQ's unique enqueue keeps a job that is already there from being queued
twice, and processing an event twice sends nothing twice (worker/events.py). Nothing here runs in the web process:
RQ's job building stays off the webhook's path."""

import contextlib
import logging
import threading

from rq import Queue
from rq.exceptions import DuplicateJobError

from worker import queueing
from worker.connection import SOCKET_TIMEOUT, connect
from worker.settings import Settings
from worker.store import Store, pending

# Ids a relay takes in one go, and how long it blocks on an empty list before it looks whether it should stop.
BATCH = 100
WAIT = 1.0
# A relay takes an event's id within milliseconds of the webhook while a worker runs. An event still pending after
# this long was taken by a relay that died before queueing its job (or recorded while no worker ran, and still on
# the list: whichever comes first queues it, RQ's unique enqueue the other not at all).
PENDING_GRACE = 120
# Pause after a failed relay step (Redis unreachable, say), doubling up to the cap while it keeps failing.
RETRY_PAUSE = 1.0
RETRY_PAUSE_CAP = 30.0

log = logging.getLogger(__name__)


def relay(s: Store, q: Queue, settings: Settings, wait: float = 0) -> int:
    """Queue the jobs of up to BATCH events off the relay list (waiting up to `wait` seconds for one); how many ids
    were taken (0: the list was empty)."""
    events = pending.take(s.redis, BATCH, wait)
    _queue(s, q, settings, events)
    return len(events)


def drain(s: Store, q: Queue, settings: Settings) -> None:
    """Queue the jobs of every event on the relay list (a worker in burst mode does this before it works)."""
    while relay(s, q, settings):
        pass


def queue_left_pending(s: Store, q: Queue, settings: Settings, older_than: float = PENDING_GRACE) -> int:
    """Queue the job of every event still pending after `older_than` seconds (the worker's maintenance calls this);
    how many were queued (a job already there is not)."""
    queued = _queue(s, q, settings, pending.left(s.redis, older_than))
    if queued:
        log.warning("queued %d events whose relay was interrupted", queued)
    return queued


def _queue(s: Store, q: Queue, settings: Settings, events: list[tuple[str, str]]) -> int:
    """RQ's unique enqueue of each event's job, then the end of their pending marks; how many were new jobs."""
    queued = 0
    for event_id, delivery_id in events:
        with contextlib.suppress(DuplicateJobError):
            queueing.enqueue_process(q, settings, event_id, delivery_id)
            queued += 1
    pending.forget(s.redis, *[event_id for event_id, _ in events])
    return queued


class Relay(threading.Thread):
    """The relay of one worker process, on a Redis connection of its own (nothing it holds is shared with the jobs,
    or with the processes a forking worker makes). It survives Redis outages, pausing between attempts, and stops
    within WAIT seconds of stop()."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(name="relay", daemon=True)
        self.settings = settings
        self._stopping = threading.Event()

    def run(self) -> None:
        client = connect(self.settings.redis_url)
        s, q = Store(client, self.settings.retention_seconds), queueing.queue(client)
        pause = RETRY_PAUSE
        try:
            while not self._stopping.is_set():
                try:
                    relay(s, q, self.settings, wait=WAIT)
                    pause = RETRY_PAUSE
                except Exception:
                    log.warning("relay step failed, retrying in %.0f s", pause, exc_info=True)
                    self._stopping.wait(pause)
                    pause = min(pause * 2, RETRY_PAUSE_CAP)
        finally:
            client.close()

    def stop(self) -> None:
        """Stop after the step in hand (a job it took is queued, or left to the maintenance), and wait for that."""
        self._stopping.set()
        self.join(timeout=WAIT + 2 * SOCKET_TIMEOUT)
