"""The webhook's hot path: read a Shippify body, decide, record it and queue its job (see accept), and the worker's
recovery of a job whose queueing a crash interrupted."""

import contextlib
import json
import logging
import uuid
from dataclasses import dataclass
from typing import Any

import redis
from redis.client import Pipeline
from rq import Queue
from rq.exceptions import DuplicateJobError

from worker import links, queueing, statuses, store
from worker.settings import Settings
from worker.store import pending

MAX_ID_LENGTH = 128
MAX_HINT_LENGTH = 200
# An event still marked pending after this long lost the intake's second step: a request lives at most gunicorn's
# 30 s timeout, so the step cannot still be on its way, and the worker's maintenance may queue the job itself.
PENDING_GRACE = 120

log = logging.getLogger(__name__)


class InvalidWebhook(ValueError):
    """A body we cannot act on; `detail` says what the sender should change."""

    def __init__(self, error: str, detail: str) -> None:
        super().__init__(detail)
        self.error = error
        self.detail = detail


@dataclass(frozen=True)
class IncomingEvent:
    """What the notifier keeps of a webhook: ids and hints, never images, signatures or the whole body."""

    delivery_id: str
    status: str | None
    status_source: str
    locale_hint: str = ""
    merchant_hint: str = ""
    tracking_url: str = ""


@dataclass(frozen=True)
class Accepted:
    """The answer to the sender."""

    outcome: str  # queued, duplicate, ignored
    event_id: str
    delivery_id: str
    status: str | None
    detail: str = ""


def parse(body: bytes, url_status: str | None) -> IncomingEvent:
    """Validate a webhook body; the status comes from the URL, else `_status`, else a string `status`."""
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise InvalidWebhook("invalid_json", "the body must be a JSON object (UTF-8)") from None
    if not isinstance(data, dict):
        raise InvalidWebhook("invalid_body", "the body must be a JSON object, not a list or a scalar")
    status, source = _status(data, url_status)
    return IncomingEvent(
        delivery_id=_delivery_id(data),
        status=status,
        status_source=source,
        locale_hint=_short(data.get("cityLang")),
        merchant_hint=_short(data.get("companyName")),
        tracking_url=_tracking_url(data.get("trackingUrl")),
    )


def _delivery_id(data: dict[str, Any]) -> str:
    """`id` (legacy bodies: `orderId`), a non-empty printable string of at most 128 characters; not "." or ".."
    (they would be path segments when the worker asks Shippify for the delivery)."""
    raw = data.get("id", data.get("orderId"))
    if isinstance(raw, int) and not isinstance(raw, bool):
        raw = str(raw)
    if not isinstance(raw, str) or not raw.strip():
        raise InvalidWebhook("missing_id", 'the body needs "id": the Shippify delivery id, a string')
    delivery_id = clean_delivery_id(raw)
    if delivery_id is None:
        raise InvalidWebhook(
            "invalid_id", f'"id" must be a printable delivery id of at most {MAX_ID_LENGTH} characters'
        )
    return delivery_id


def clean_delivery_id(raw: str) -> str | None:
    """`raw` without surrounding spaces when it can be a delivery id (what the webhook and the API accept), else
    None: empty, over MAX_ID_LENGTH characters, not printable, or "." or ".."."""
    if not raw.strip() or len(raw) > MAX_ID_LENGTH or not raw.isprintable() or raw.strip() in (".", ".."):
        return None
    return raw.strip()


def _status(data: dict[str, Any], url_status: str | None) -> tuple[str | None, str]:
    """Resolve the status and say where it came from (none: the worker will ask Shippify)."""
    if url_status is not None:
        status = statuses.normalise(url_status)
        if status is None:
            raise InvalidWebhook("invalid_status", "the status in the URL must be a name such as going_to_dropoff")
        return status, "url"
    for field in ("_status", "status"):
        status = statuses.normalise(data.get(field))
        if status is not None and (field == "_status" or statuses.is_known(status)):
            return status, "body"
    return None, "api"


def _short(value: object) -> str:
    """A small string hint, or nothing; JSON's lone surrogates ("\\ud800") become "?", as Redis needs UTF-8."""
    if not isinstance(value, str):
        return ""
    return value.strip()[:MAX_HINT_LENGTH].encode("utf-8", "replace").decode("utf-8")


def _tracking_url(value: object) -> str:
    """The body's private tracking link when Shippify includes one (its "Tracking Url" option) in canonical form;
    whether its host is Shippify's is decided where the message is planned, against the configured API."""
    return links.canonical(value) or ""


def event_id(delivery_id: str, status: str | None) -> str:
    """Same (delivery, status) → same id, which is what makes a repeat a duplicate; no status → a fresh id."""
    if status is None:
        return "u" + uuid.uuid4().hex[:23]
    return store.digest(delivery_id, status)


def accept(s: store.Store, q: Queue, settings: Settings, event: IncomingEvent) -> Accepted:
    """Record the event and queue its processing, or say it is a duplicate or ignored.

    Two steps, neither of which can lose the event or queue its job twice. First one atomic script records the event
    and, when it is to be processed, marks it pending, unless it exists (a duplicate: nothing else happens). Then
    RQ's own enqueue (its documented `pipeline=`) and the end of the mark go in one MULTI/EXEC. Should the process
    die or Redis go away between the two, the worker's maintenance queues whatever stayed pending (see
    queue_left_pending). The former single step handed RQ's writes, replayed from a redis-py pipeline, to a script
    that ran them with keys it did not declare (bench/README.md compares the designs)."""
    eid = event_id(event.delivery_id, event.status)
    outcome, detail = _decide(settings, event.status)
    if not s.record_event(eid, _fields(event, outcome, detail), pending=outcome == "queued"):
        return Accepted("duplicate", eid, event.delivery_id, event.status)
    if outcome == "queued":
        _queue(s, q, settings, eid, event.delivery_id)
    return Accepted(outcome, eid, event.delivery_id, event.status, detail)


def _queue(s: store.Store, q: Queue, settings: Settings, eid: str, delivery_id: str) -> None:
    """The intake's second step. When it fails the event is still safe, recorded and marked pending: the sender
    is told it was queued, as it will be by the worker's maintenance."""

    def enqueue(pipe: Pipeline) -> None:
        queueing.enqueue_process(q, settings, eid, delivery_id, pipeline=pipe)

    try:
        s.queue_pending(eid, enqueue)
    except redis.RedisError:
        log.warning("event recorded, its job left to the worker's maintenance", extra={"event_id": eid}, exc_info=True)


def queue_left_pending(s: store.Store, q: Queue, settings: Settings, older_than: float = PENDING_GRACE) -> int:
    """Queue the job of every event whose intake stopped between its two steps (the worker's maintenance calls
    this); RQ's unique enqueue (`unique=True`) keeps a job that is already queued from being queued twice."""
    queued = 0
    for eid, delivery_id in pending.left(s.redis, older_than):
        with contextlib.suppress(DuplicateJobError):
            queueing.enqueue_process(q, settings, eid, delivery_id, unique=True)
            queued += 1
        pending.forget(s.redis, eid)
    if queued:
        log.warning("queued %d events left pending by an interrupted intake", queued)
    return queued


def _decide(settings: Settings, status: str | None) -> tuple[str, str]:
    """Queue when a rule may apply (or the status is still unknown); otherwise record it as ignored."""
    if status is None or settings.rules.channels_for(status):
        return "queued", ""
    if not statuses.is_known(status):
        return "ignored", "not a status Shippify documents"
    return "ignored", "no rule notifies on this status"


def _fields(event: IncomingEvent, outcome: str, detail: str) -> dict[str, str]:
    """What the event's record keeps (the secret link only while the event waits to be processed)."""
    fields = {
        "delivery_id": event.delivery_id,
        "status": event.status or "",
        "status_source": event.status_source,
        "received_at": str(store.now()),
        "outcome": outcome,
        "detail": detail,
        "locale_hint": event.locale_hint,
        "merchant_hint": event.merchant_hint,
    }
    if event.tracking_url and outcome == "queued":
        fields["tracking_url"] = event.tracking_url
    return fields
