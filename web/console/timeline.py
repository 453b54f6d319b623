"""What the console shows of the record: a delivery's timeline and the recent activity, masked as stored."""

from dataclasses import dataclass, replace
from datetime import UTC, datetime

from worker.store import Store, states
from worker.store.records import Event, Notification

OUTCOME_TONE = {"queued": "wait", "processed": "good", "failed": "bad"}


@dataclass(frozen=True)
class Entry:
    """One line of the timeline: a status event received, or a notification on one channel, with the other end of
    its fallback when that is on the same timeline: the first message a fallback stands in for, or the fallback that
    replaced a first message."""

    at: datetime | None
    record: Event | Notification
    first: "Entry | None" = None
    fallback: "Entry | None" = None

    @property
    def anchor(self) -> str:
        """The line's id in the page, which the other end of a fallback links to: "n-" and the notification's id, or
        "e-" and the event's (ids are hex digits, some after a letter: safe in an id and in a link's fragment)."""
        return f"{self.kind[0]}-{self.record.id}"

    @property
    def kind(self) -> str:
        """What the line shows: an "event" or a "notification"."""
        return "event" if isinstance(self.record, Event) else "notification"

    @property
    def tone(self) -> str:
        """CSS class of the state or outcome."""
        if isinstance(self.record, Event):
            return OUTCOME_TONE.get(self.record.outcome, "muted")
        return states.tone(self.record.state)  # the text is shown too: colour is never the only signal


@dataclass(frozen=True)
class Activity:
    """A delivery's latest event and notification, for the home page."""

    delivery_id: str
    event: Entry | None
    notification: Entry | None

    @property
    def at(self) -> datetime:
        """When something last happened to it."""
        moments = [e.at for e in (self.event, self.notification) if e is not None and e.at is not None]
        return max(moments, default=datetime.fromtimestamp(0, UTC))


def moment(value: float | str | None) -> datetime | None:
    """A stored epoch timestamp as an aware datetime (None when absent or malformed)."""
    try:
        return datetime.fromtimestamp(float(value or ""), UTC)
    except ValueError:
        return None


def timeline(store: Store, delivery_id: str) -> list[Entry]:
    """Events and notifications of a delivery, newest first."""
    ((events, notifications),) = store.timelines([delivery_id])
    lines = {n.id: _notification(n) for n in notifications}  # a fallback's line links to its first message's
    entries = [_event(e) for e in events] + [
        replace(lines[n.id], first=lines.get(n.fallback_for), fallback=lines.get(n.replaced_by)) for n in notifications
    ]
    return sorted(entries, key=lambda e: e.at or datetime.fromtimestamp(0, UTC), reverse=True)


def recent_activity(store: Store, limit: int = 20) -> list[Activity]:
    """The deliveries with the latest activity and what last happened to each, newest first."""
    return activity(store, store.recent(limit))


def activity(store: Store, ids: list[str]) -> list[Activity]:
    """What last happened to each of these deliveries (those with a record), newest first."""
    rows = [
        Activity(delivery_id, _event(events[-1]) if events else None, _notification(notes[-1]) if notes else None)
        for delivery_id, (events, notes) in zip(ids, store.timelines(ids, last_only=True), strict=True)
        if events or notes
    ]
    return sorted(rows, key=lambda a: a.at, reverse=True)


def _event(record: Event) -> Entry:
    return Entry(moment(record.received_at), record)


def _notification(record: Notification) -> Entry:
    return Entry(moment(record.created_at), record)
