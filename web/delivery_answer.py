"""`GET /api/deliveries/<id>`'s body: the record of a delivery in the names of the API contract, destinations
masked as stored, times as ISO 8601 UTC (null when unknown); and a person's export, made of those bodies."""

from datetime import UTC, datetime
from typing import Any

from worker.recipients import Person
from worker.store import Store, states
from worker.store.records import Event, Notification


def describe(store: Store, delivery_id: str) -> dict[str, Any] | None:
    """Events and notifications of the delivery, oldest first; None when nothing is recorded (or it expired)."""
    ((events, notifications),) = store.timelines([delivery_id])
    if not events and not notifications:
        return None
    return {
        "delivery_id": delivery_id,
        "events": [_event(record) for record in events],
        "notifications": [_notification(record) for record in notifications],
    }


def person(store: Store, found: Person) -> dict[str, Any]:
    """What is kept about a person (`flask --app web recipient export`, the console's admin page): their contact,
    every delivery that messaged them described as the read API does, their opt-outs per channel and how many replies
    are kept."""
    described = (describe(store, delivery_id) for delivery_id in found.delivery_ids)
    return {
        "contact": found.contact,
        "deliveries": [answer for answer in described if answer is not None],
        "opt_outs": {name: iso_time(since) for name, since in found.opt_outs.items()},
        "replies_kept": found.replies,
    }


def _event(record: Event) -> dict[str, Any]:
    """A status event as received, and what became of it."""
    return {
        "status": record.status or None,
        "received_at": iso_time(record.received_at),
        "outcome": record.outcome,
    }


def _notification(record: Notification) -> dict[str, Any]:
    """One message on one channel; the destination is the masked one the record keeps (the real one never is)."""
    state = states.public(record.state, scheduled=record.scheduled_for is not None)
    return {
        "id": record.id,
        "channel": record.channel,
        "status": record.status,
        "state": state,
        "destination": record.destination or None,
        "created_at": iso_time(record.created_at),
        "sent_at": iso_time(record.sent_at),
        "delivered_at": iso_time(record.delivered_at),
        "read_at": iso_time(record.read_at),
        "clicked_at": iso_time(record.clicked_at),
        "segments": record.segments,
        "error_code": record.error_code or None,
        "fallback_for": record.fallback_for or None,
        "resent_by": (record.actor or None) if record.kind == "resend" else None,
    }


def iso_time(value: float | None) -> str | None:
    """A stored epoch time as ISO 8601 UTC with milliseconds ("2026-11-29T09:00:00.123Z"); None when absent."""
    if value is None:
        return None
    try:
        moment = datetime.fromtimestamp(value, UTC)
    except (ValueError, OverflowError, OSError):
        return None
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
