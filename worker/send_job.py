"""Send one notification on one channel, exactly once: claim it in the ledger, call the provider, record."""

import logging
import time

from rq import get_current_job

from worker import fallback, statuses
from worker.channels import channel
from worker.errors import AmbiguousSend, PermanentError, RecipientRejected, TransientError, Unreachable
from worker.services import Services
from worker.store import Store
from worker.store.records import Notification

log = logging.getLogger(__name__)


def send_notification(notification_id: str, services: Services) -> str:
    """Returns the state the notification ends this attempt in; raises to retry or to fail the job."""
    s = services.store
    record = s.notification(notification_id)
    if record is None:
        return "gone"
    state = record.state
    if state == "claimed":
        state = _settle_interrupted(notification_id, record, services)
    if state != "pending":
        return state or "gone"
    payload, received_at = s.prepared(notification_id, record.event_id)
    if not payload:
        raise TransientError("the message is not prepared yet (its event is still being processed)")
    if channel(record.channel).suppressed(s, payload["to"]):
        s.close(notification_id, "suppressed", reason="opted_out")
        fallback.not_needed(services, notification_id)
        return "suppressed"
    if record.scheduled_for is not None and _moved_on(record, services):
        s.close(notification_id, "skipped", reason="moved_on", error="the delivery changed status during quiet hours")
        fallback.not_needed(services, notification_id)
        return "skipped"
    if not s.claim(notification_id):
        return _state(s, notification_id)
    return _deliver(notification_id, record, payload, received_at, services)


def _deliver(
    notification_id: str,
    record: Notification,
    payload: dict[str, str],
    received_at: float | None,
    services: Services,
) -> str:
    """Call the provider while holding the claim; map the outcome onto the record."""
    s = services.store
    extra = {"delivery_id": record.delivery_id, "notification_id": notification_id, "to": record.destination}
    try:
        sent = channel(record.channel).send(notification_id, payload, services)
    except TransientError as exc:
        if _last_attempt() and fallback.rule_for(services, record) is not None:  # an outage outlasted the retries
            return _fall_back_now(notification_id, f"gave up after every retry: {exc}", services, extra)
        s.release(notification_id, str(exc))
        log.warning("send failed, will retry: %s", exc, extra=extra)
        raise
    except AmbiguousSend as exc:
        s.note(notification_id, error=str(exc))  # stays claimed: the retry looks it up before any resend
        log.warning("send outcome unknown, will check before any resend: %s", exc, extra=extra)
        raise TransientError(str(exc)) from None
    except RecipientRejected as exc:
        return _reject(notification_id, record, payload, exc, services)
    except PermanentError as exc:
        if fallback.rule_for(services, record) is not None:  # a message is never lost to a configuration error
            return _fall_back_now(notification_id, str(exc), services, extra)
        s.release(notification_id, str(exc))
        log.error("send failed: %s", exc, extra=extra)
        raise
    done = {"sent_at": round(time.time(), 3), "error": "", "claimed_at": "", "data_started_at": ""}
    s.advance(notification_id, sent.state, provider_id=sent.provider_id, segments=sent.segments, **done)
    latency = time.time() - received_at if received_at is not None else None  # resends have no webhook
    by_id = sent.provider_id if channel(record.channel).reports_by_provider_id else None
    s.handed_over(notification_id, by_id, latency)
    fallback.arm(services, notification_id, record)
    log.info("notification sent", extra={**extra, "state": sent.state})
    return sent.state


def _state(store: Store, notification_id: str) -> str:
    """The notification's state as another attempt left it ("gone" once it expired)."""
    record = store.notification(notification_id)
    return record.state if record and record.state else "gone"


def _last_attempt() -> bool:
    """Whether RQ will not run this send again if it fails (False outside an RQ job)."""
    job = get_current_job()
    return job is not None and job.retries_left == 0


def _fall_back_now(notification_id: str, error: str, services: Services, extra: dict[str, str]) -> str:
    """The first message will not go: fail it with its reason and send the rule's fallback instead."""
    services.store.close(notification_id, "failed", error=error, claimed_at="")
    log.error("send failed, falling back: %s", error, extra=extra)
    fallback.fall_back(services, notification_id)
    return "failed"


def _moved_on(record: Notification, services: Services) -> bool:
    """A message held back by quiet hours goes out only if the delivery is still where the message says."""
    current = statuses.normalise(services.shippify.get_delivery(record.delivery_id).get("_status"))
    return current is not None and current != record.status


def _reject(
    notification_id: str, record: Notification, payload: dict[str, str], exc: RecipientRejected, services: Services
) -> str:
    """The provider will never take this recipient: close the notification; an opt-out is remembered."""
    s = services.store
    state = "suppressed" if exc.opted_out else "rejected"
    if exc.opted_out:
        s.opt_out(payload["to"], scope=channel(record.channel).opt_out_scope)
    s.close(notification_id, state, error=str(exc), error_code=exc.code)
    log.info("recipient refused by provider: %s", exc, extra={"delivery_id": record.delivery_id})
    if isinstance(exc, Unreachable):
        fallback.fall_back(services, notification_id)
    else:
        fallback.not_needed(services, notification_id)
    return state


def _settle_interrupted(notification_id: str, record: Notification, services: Services) -> str:
    """A previous attempt claimed the send and never recorded its outcome: did the message go out?"""
    s = services.store
    payload = s.outbox(notification_id)
    found = channel(record.channel).settle(notification_id, record, payload, services)
    if found is not None:
        code = found.error_code
        s.advance(
            notification_id, found.state, provider_id=found.provider_id, error="", settled_by="lookup", error_code=code
        )
        s.handed_over(notification_id, found.provider_id, latency=None)
        fallback.arm(services, notification_id, record)
        fallback.after_report(services, notification_id)  # found already failed?
        return found.state
    if record.data_started_at is not None:
        # The relay may have taken the email in the instant before the interruption: the resend carries the same
        # Message-ID, which relays and mail clients use to show one message.
        s.release(
            notification_id, "previous attempt was interrupted while transmitting; resent with the same Message-ID"
        )
    else:
        s.release(notification_id, "previous attempt was interrupted before the provider took the message")
    return "pending"
