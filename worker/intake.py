"""The webhook's hot path: read a Shippify body, decide, and record it for processing in one atomic step (see accept;
the worker's relay queues its job, worker/relay.py)."""

import json
import uuid
from dataclasses import dataclass
from typing import Any

from worker import links, statuses, store
from worker.settings import Settings

MAX_ID_LENGTH = 128
MAX_HINT_LENGTH = 200


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


def accept(s: store.Store, settings: Settings, event: IncomingEvent) -> Accepted:
    """Record the event for processing, or say it is a duplicate or ignored: one atomic script, one round trip. It
    records the event unless it exists (a duplicate: nothing else happens) and, when it is to be processed, marks it
    pending and hands its id to the worker's relay, which makes RQ's own enqueue of its job (worker/relay.py). An
    earlier intake made RQ's writes from the web process, in a script running commands replayed from a redis-py
    pipeline, then in a second round trip; bench/README.md compares the designs."""
    eid = event_id(event.delivery_id, event.status)
    outcome, detail = _decide(settings, event.status)
    if not s.record_event(eid, _fields(event, outcome, detail), pending=outcome == "queued"):
        return Accepted("duplicate", eid, event.delivery_id, event.status)
    return Accepted(outcome, eid, event.delivery_id, event.status, detail)


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
