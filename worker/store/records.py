"""Events and notifications as the notifier reads them: typed records, each built from its Redis hash.

The store writes the hashes (its Lua scripts and pipelines, field by field, dropping empty values); every read of an
event or a notification returns one of these. A field a record lacks (an older record, or one that never reached
that step) reads as its empty value: "" for text, None for a time, 0 for a count that starts at nothing (clicks,
previews), None for a count only a provider tells (segments), False for a mark (corrected). Fields a hash has that a
record does not name are left out: nothing reads them. An unknown or expired record is None (Store.event,
Store.notification), or missing from a delivery's lists (Store.timelines)."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any, Self

from worker.store.rows import decode_row


def _time(value: str) -> float | None:
    """A stored epoch time (seconds, as rows.now writes it); None when absent or malformed."""
    try:
        return float(value) if value else None
    except ValueError:
        return None


def _count(value: str) -> int | None:
    """A stored count; None when absent or not a count."""
    return int(value) if value.isdigit() else None


# How a field is read, by its declared type.
_READ: dict[Any, Callable[[str], Any]] = {
    str: str,
    bool: bool,
    float | None: _time,
    int | None: _count,
    int: lambda value: _count(value) or 0,
}


def _values(cls: type, row: Mapping[Any, Any]) -> dict[str, Any]:
    """The values of a record class's fields (all but its id) in a Redis hash (bytes or text), each read by its
    declared type."""
    text = decode_row(row)
    return {f.name: _READ[f.type](text.get(f.name, "")) for f in fields(cls) if f.name != "id"}


@dataclass(frozen=True)
class Event:
    """A status event a webhook brought (worker/intake.py writes it, Store.close_event what became of it)."""

    id: str
    delivery_id: str = ""
    status: str = ""  # the Shippify status it announced ("" when the webhook named none and Shippify gave none)
    status_source: str = ""  # where the status came from: "url", "body", or "api" (Shippify was asked)
    received_at: float | None = None
    outcome: str = ""  # queued, ignored, duplicate, processed, stale, failed
    detail: str = ""  # why, in words
    processed_at: float | None = None
    locale_hint: str = ""  # the webhook's language and merchant name, for deliveries whose record lacks them
    merchant_hint: str = ""
    tracking_url: str = ""  # the body's link, kept only while the event waits to be processed

    @classmethod
    def from_row(cls, event_id: str, row: Mapping[Any, Any]) -> Self:
        return cls(id=event_id, **_values(cls, row))


@dataclass(frozen=True)
class Notification:
    """One message on one channel: the send ledger's entry, what its provider reported, and its clicks."""

    id: str
    # what it is (worker/outgoing.py's record)
    delivery_id: str = ""
    status: str = ""
    locale: str = ""
    kind: str = ""  # automatic or resend
    channel: str = ""
    template: str = ""  # locale/status/channel
    destination: str = ""  # masked: the real one is only ever in the outbox
    country: str = ""  # of the destination, for the cost
    state: str = ""  # worker/store/states.py
    reason: str = ""  # why it was skipped, suppressed or held back (no_phone, opted_out, quiet_hours...)
    contact_ix: str = ""  # the recipient search index's digest of the contact
    event_id: str = ""  # an automatic message's event
    actor: str = ""  # a resend's: who asked, why, and whether to a corrected destination
    resend_reason: str = ""
    corrected: bool = False
    fallback_for: str = ""  # a fallback's first notification, and the fallback of a first one
    replaced_by: str = ""
    # what it costs (the channel's notes) and when it is held back until
    billed: str = ""
    sms_encoding: str = ""
    sms_segments: int | None = None
    scheduled_for: float | None = None
    # the send and what the provider reported
    created_at: float | None = None
    updated_at: float | None = None
    claimed_at: float | None = None
    data_started_at: float | None = None  # an email's SMTP DATA
    sent_at: float | None = None
    delivered_at: float | None = None
    read_at: float | None = None
    provider_id: str = ""
    segments: int | None = None
    error: str = ""
    error_code: str = ""
    settled_by: str = ""  # "lookup": an interrupted send found at the provider
    # the short link's visits
    clicked_at: float | None = None
    clicks: int = 0
    previews: int = 0

    @classmethod
    def from_row(cls, notification_id: str, row: Mapping[Any, Any]) -> Self:
        return cls(id=notification_id, **_values(cls, row))
