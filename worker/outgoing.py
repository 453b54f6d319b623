"""THE one path from "this delivery needs message X on channel C" to "send job queued", used by event processing
and by resend alike: record (the ledger) with the masked destination → render → cost → outbox → enqueue; or a
closed record (skipped, suppressed) when the message will not go."""

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rq.exceptions import DuplicateJobError

from worker import queueing
from worker.channels.base import Channel
from worker.services import Services
from worker.store import short_links


@dataclass(frozen=True)
class Message:
    """One message to one destination on one channel, and the record's own fields (delivery_id, status, locale,
    kind, and what the caller adds: event_id, actor...)."""

    notification_id: str
    channel: Channel
    destination: str | None
    fields: Mapping[str, str]

    @property
    def masked(self) -> str:
        return self.channel.mask(self.destination) if self.destination else ""

    @property
    def template(self) -> str:
        return f"{self.fields['locale']}/{self.fields['status']}/{self.channel.name}"


def record(services: Services, message: Message, closed: str | None = None, reason: str | None = None) -> bool:
    """The ledger entry, pending (or closed as `closed`, with its reason), indexed under its recipient's contact for
    the console's search; False when it already exists."""
    fields = {
        **message.fields,
        "channel": message.channel.name,
        "template": message.template,
        "destination": message.masked,
        "country": message.channel.country(message.destination, services.settings) if message.destination else "",
        "state": closed or "pending",
        "reason": reason,
    }
    contact = message.channel.contact(message.destination) if message.destination else ""
    return services.store.create_notification(message.notification_id, fields, contact)


def queue(services: Services, message: Message, context: Mapping[str, Any], release: datetime | None = None) -> None:
    """Render, cost, put in the outbox and queue the send (at `release`, after quiet hours); safe to repeat."""
    assert message.destination is not None
    status, locale = message.fields["status"], message.fields["locale"]
    settings = services.settings
    context = _with_short_link(services, message, context)
    out = message.channel.render(services.renderer, status, locale, context, message.destination, settings)
    notes = dict(out.notes)
    if release is not None:
        notes.update(scheduled_for=round(release.timestamp(), 3), reason="quiet_hours")
    services.store.put_outbox(message.notification_id, out.payload, **notes)
    delivery_id, name = message.fields["delivery_id"], message.channel.name
    with contextlib.suppress(DuplicateJobError):  # queued by an earlier run of the same event
        queueing.enqueue_send(services.queue, settings, message.notification_id, delivery_id, name, release)


def _with_short_link(services: Services, message: Message, context: Mapping[str, Any]) -> Mapping[str, Any]:
    """With SHORT_LINKS on, the message carries PUBLIC_BASE_URL/t/<code>, a code of its own notification, instead
    of Shippify's long link (which a click fetches fresh); otherwise the context as it is."""
    settings = services.settings
    if not settings.short_links:
        return context
    store = services.store
    code = short_links.create(store.redis, store.ttl, message.fields["delivery_id"], message.notification_id)
    return {**context, "tracking_url": short_links.short_url(settings.public_base_url, code)}
