"""Turn one received status event into at most one notification per channel, each queued as its own send."""

import logging
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from worker import fallback, links, outgoing, phones, statuses, store
from worker.channels import channel
from worker.channels.base import recipient_of
from worker.clients.shippify import TrackingLink
from worker.errors import UnknownDelivery
from worker.locales import resolve as resolve_locale
from worker.rendering import first_name
from worker.services import Services
from worker.store.records import Event

log = logging.getLogger(__name__)

FALLBACK_MERCHANT = "Shippify"


def notification_id(delivery_id: str, status: str, channel: str) -> str:
    """The ledger key of an automatic send: one per (delivery, status, channel), ever."""
    return "n" + store.digest(delivery_id, status, channel, size=23)


def process_event(event_id: str, services: Services) -> str:
    """Fetch the delivery, apply the rules and queue the sends; safe to run again after a crash."""
    s = services.store
    event = s.event(event_id)
    if event is None:
        log.warning("event expired before processing", extra={"event_id": event_id})
        return "expired"
    if event.outcome != "queued":
        return event.outcome
    delivery_id = event.delivery_id
    try:
        delivery = services.shippify.get_delivery(delivery_id)
    except UnknownDelivery as exc:
        s.close_event(event_id, "failed", str(exc))
        raise
    return _apply_rules(event_id, event, delivery, services)


def _apply_rules(event_id: str, event: Event, delivery: dict[str, Any], services: Services) -> str:
    """Decide what to send for the event's status, given the delivery as Shippify has it now."""
    s = services.store
    current = statuses.normalise(delivery.get("_status"))
    status = event.status or current
    if not status:
        s.close_event(event_id, "ignored", "Shippify gave no status for this delivery")
        return "ignored"
    channels = services.settings.rules.channels_for(status)
    if not channels:
        detail = "no rule notifies on this status" if statuses.is_known(status) else "unknown status"
        s.close_event(event_id, "ignored", detail, status=status)
        return "ignored"
    if statuses.is_stale(status, current):
        s.close_event(event_id, "stale", f"the delivery is already {current}", status=status)
        return "stale"
    summary = _notify(event_id, event, status, delivery, channels, services)
    outcome = "duplicate" if all(v == "duplicate" for v in summary.values()) else "processed"
    detail = ", ".join(f"{channel}: {what}" for channel, what in summary.items())
    s.close_event(event_id, outcome, detail, status=status)
    return outcome


def _notify(
    event_id: str,
    event: Event,
    status: str,
    delivery: dict[str, Any],
    names: tuple[str, ...],
    services: Services,
) -> dict[str, str]:
    """Create each channel's notification (the ledger entry) and queue the ones that will send."""
    context: dict[str, Any] | None = None
    summary: dict[str, str] = {}
    locale = resolve_locale(event.locale_hint, services.settings.default_locale)
    fields = {"delivery_id": event.delivery_id, "event_id": event_id, "status": status, "locale": locale}
    for name in names:
        chosen = channel(name)
        address = chosen.address(delivery, services.settings)
        nid = notification_id(event.delivery_id, status, name)
        message = outgoing.Message(nid, chosen, address.destination, {**fields, "kind": "automatic"})
        if address.reason is None and context is None:
            link, region = _link(event, services), services.settings.default_country
            context = template_context(event.delivery_id, delivery, link, region, event.merchant_hint)
        summary[name] = _record_and_queue(message, address.reason, context, services)
    return summary


def _record_and_queue(
    message: outgoing.Message, reason: str | None, context: dict[str, Any] | None, services: Services
) -> str:
    """Ledger first, then the message, then the job; each step is idempotent."""
    if not outgoing.record(services, message, "skipped" if reason else None, reason):
        existing = services.store.notification(message.notification_id)  # a re-run finishes its own work
        if not (existing and existing.event_id == message.fields["event_id"] and existing.state == "pending"):
            return "duplicate"
    if reason:
        log.info("notification skipped", extra={"delivery_id": message.fields["delivery_id"], "reason": reason})
        return f"skipped ({reason})"
    assert context is not None
    release = _after_quiet_hours(message.fields["status"], context, services)
    fallback.queue(services, message, context, release)
    return f"scheduled for {release.isoformat(timespec='minutes')} (quiet hours)" if release else "queued"


def _after_quiet_hours(status: str, context: dict[str, Any], services: Services) -> datetime | None:
    """When the rule has quiet hours and it is now inside them where the recipient lives: the window's end."""
    quiet = services.settings.rules.quiet.get(status)
    if quiet is None:
        return None
    local = datetime.now(ZoneInfo(context["time_zone"]))
    return quiet.ends_after(local) if quiet.contains(local.time()) else None


def _link(event: Event, services: Services) -> TrackingLink:
    """The body's tracking link when Shippify sent one on its own host, else a fresh one from the API (a webhook
    sender with a leaked secret must not choose the link a recipient is sent)."""
    body_link = links.canonical(event.tracking_url, links.shippify_hosts(services.settings.shippify_api_url))
    if body_link:
        return TrackingLink(body_link)
    return services.shippify.get_tracking_link(event.delivery_id)


def template_context(
    delivery_id: str, delivery: dict[str, Any], link: TrackingLink, default_region: str = "EC", merchant_hint: str = ""
) -> dict[str, Any]:
    """What templates may use; every key is always present (None when unknown). `merchant_hint` is the merchant
    name a webhook carried, for deliveries whose answer from Shippify has none."""
    recipient = recipient_of(delivery)
    name = recipient.get("name") if isinstance(recipient.get("name"), str) else None
    merchant = delivery.get("company") if isinstance(delivery.get("company"), str) else None
    reference = delivery.get("referenceId")
    reason = delivery.get("reasonText") or delivery.get("problem_note")
    return {
        "first_name": first_name(name),
        "recipient_name": name.strip() if name else None,
        "merchant": (merchant or merchant_hint or FALLBACK_MERCHANT).strip(),
        "reference": str(reference) if reference not in (None, "") else None,
        "reason": reason if isinstance(reason, str) and reason.strip() else None,
        "tracking_url": link.url,
        "delivery_id": delivery_id,
        "time_zone": phones.time_zone(recipient.get("phonenumber"), default_region),
    }
