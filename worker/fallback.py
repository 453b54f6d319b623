"""The rules' fallback (`fallback = { whatsapp = "sms" }`): when the first channel cannot reach the recipient, the
message goes on the other channel instead, exactly once, and never when the recipient refused the first one.

What triggers it: the provider refusing the recipient as unreachable when we send, a failure report (any code but
a refusal such as WhatsApp's 63014, blocked), no delivered or read report within the rule's `fallback_after`, or a
configuration error that stops the first message (which then fails with the reason naming the fix).

The fallback is a notification of its own, created through worker/outgoing.py with an id derived from the first
one's (so a repeated or late report, or a re-run, finds it made) and `fallback_for` naming the first one. What it
needs, its real destination and the template context, is kept as a spare (worker/store/spares.py) from the moment
the first message is queued until the first message reached the recipient or the fallback is queued.
"""

import contextlib
import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from rq.exceptions import DuplicateJobError

from worker import outgoing, queueing, store
from worker.channels import channel
from worker.errors import ConfigurationError
from worker.rules import Fallback
from worker.services import Services
from worker.store import spares, states
from worker.store.records import Notification

log = logging.getLogger(__name__)


def fallback_id(notification_id: str) -> str:
    """The fallback's notification id: one per first notification, ever."""
    return "f" + store.digest("fallback", notification_id, size=23)


def rule_for(services: Services, record: Notification) -> Fallback | None:
    """The fallback the rule of the record's status names for the record's channel, if any."""
    return services.settings.rules.fallback_for(record.status, record.channel)


def _inherited(record: Notification) -> dict[str, str]:
    """The first notification's fields its fallback keeps, those it has (the rest is the fallback's own). Not the
    event: the webhook → send latency in /metrics measures our pipeline, not the time WhatsApp was given to
    deliver."""
    kept = {
        "delivery_id": record.delivery_id,
        "status": record.status,
        "locale": record.locale,
        "kind": record.kind,
        "actor": record.actor,
        "resend_reason": record.resend_reason,
        "corrected": "yes" if record.corrected else "",
    }
    return {name: value for name, value in kept.items() if value} | {"fallback_for": record.id}


def queue(
    services: Services, message: outgoing.Message, context: Mapping[str, Any], release: datetime | None = None
) -> None:
    """outgoing.queue, keeping the spare a fallback needs; a configuration error then fails the first message with
    its reason and sends the fallback instead of stopping the job."""
    rule = services.settings.rules.fallback_for(message.fields["status"], message.channel.name)
    if rule is not None and message.destination is not None:
        destination = channel(rule.channel).correct(message.destination, services.settings)
        if destination:
            spares.keep(services.redis, services.store.ttl, fallback_id(message.notification_id), destination, context)
    try:
        outgoing.queue(services, message, context, release)
    except ConfigurationError as exc:
        if rule is None:
            raise
        services.store.close(message.notification_id, "failed", error=str(exc))
        log.error("message failed, falling back: %s", exc, extra={"notification_id": message.notification_id})
        fall_back(services, message.notification_id)


def fall_back(services: Services, notification_id: str) -> bool:
    """Create and queue the fallback of a notification, unless it exists; True when this call queued it."""
    record = services.store.notification(notification_id)
    rule = rule_for(services, record) if record else None
    if record is None or rule is None:
        return False
    fid = fallback_id(notification_id)
    fields = _inherited(record)
    kept = spares.get(services.redis, fid)
    if kept is None:  # used already (the record exists: nothing changes), or the number cannot take the fallback
        outgoing.record(services, outgoing.Message(fid, channel(rule.channel), None, fields), "skipped", "no_phone")
        return False
    message = outgoing.Message(fid, channel(rule.channel), kept[0], fields)
    if not outgoing.record(services, message) and not _pending(services, fid):
        spares.drop(services.redis, fid)
        return False
    outgoing.queue(services, message, kept[1])
    spares.drop(services.redis, fid)
    services.store.note(notification_id, replaced_by=fid)
    log.info("falling back", extra={"notification_id": notification_id, "delivery_id": record.delivery_id})
    return True


def _pending(services: Services, notification_id: str) -> bool:
    """Whether the notification exists and waits for its send."""
    record = services.store.notification(notification_id)
    return record is not None and record.state == "pending"


def not_needed(services: Services, notification_id: str) -> None:
    """The first message will not go (the recipient opted out of it, or it was refused): forget the spare."""
    spares.drop(services.redis, fallback_id(notification_id))


def after_report(services: Services, notification_id: str) -> None:
    """A delivery report moved the state: forget the spare once the message arrived or was refused; fall back
    once a failure report says it did not arrive."""
    record = services.store.notification(notification_id)
    if record is None or rule_for(services, record) is None:  # most reports: a message without a fallback
        return
    if record.state in states.REACHED or channel(record.channel).refused(record.error_code or None):
        not_needed(services, notification_id)
    elif record.state in states.FAILED:
        fall_back(services, notification_id)


def arm(services: Services, notification_id: str, record: Notification) -> None:
    """After the provider took the message: check for a delivered or read report after the rule's fallback_after."""
    rule = rule_for(services, record)
    if rule is None or rule.after_seconds is None:
        return
    with contextlib.suppress(DuplicateJobError):  # armed by an earlier attempt
        queueing.enqueue_check_unreached(
            services.queue, services.settings, notification_id, record.channel, rule.after_seconds
        )


def check_unreached(notification_id: str, services: Services) -> str:
    """fallback_after is up: fall back unless the message arrived, was refused, or never went."""
    record = services.store.notification(notification_id)
    if record is None:
        return "gone"
    state = record.state
    if state in states.REACHED or channel(record.channel).refused(record.error_code or None):
        not_needed(services, notification_id)
        return state
    if state in states.CLOSED:
        return state
    return "fell back" if fall_back(services, notification_id) else "already"
