"""Send one notification on one channel, exactly once: claim it in the ledger, call the provider, record."""

import logging
import time
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, parseaddr

from worker import statuses
from worker.errors import AmbiguousSend, PermanentError, RecipientRejected, TransientError
from worker.services import Services

log = logging.getLogger(__name__)

# An ambiguous SMS is looked up among the messages Twilio accepted this long before the claim.
LOOKUP_SLACK_SECONDS = 300


def send_notification(notification_id: str, services: Services) -> str:
    """Returns the state the notification ends this attempt in; raises to retry or to fail the job."""
    s = services.store
    record = s.notification(notification_id)
    state = record.get("state", "")
    if state == "claimed":
        state = _settle_interrupted(notification_id, record, services)
    if state != "pending":
        return state or "gone"
    payload, received_at = s.prepared(notification_id, record.get("event_id", ""))
    if not payload:
        raise TransientError("the message is not prepared yet (its event is still being processed)")
    if record["channel"] == "sms" and s.is_opted_out(payload["to"]):
        s.close(notification_id, "suppressed", reason="opted_out")
        return "suppressed"
    if record.get("scheduled_for") and _moved_on(record, services):
        s.close(notification_id, "skipped", reason="moved_on", error="the delivery changed status during quiet hours")
        return "skipped"
    if not s.claim(notification_id):
        return s.notification(notification_id).get("state", "gone")
    return _deliver(notification_id, record, payload, received_at, services)


def _deliver(
    notification_id: str,
    record: dict[str, str],
    payload: dict[str, str],
    received_at: float | None,
    services: Services,
) -> str:
    """Call the provider while holding the claim; map the outcome onto the record."""
    s = services.store
    extra = {"delivery_id": record["delivery_id"], "notification_id": notification_id, "to": record["destination"]}
    try:
        provider_id, state, segments = _call_provider(notification_id, record, payload, services)
    except TransientError as exc:
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
        s.release(notification_id, str(exc))
        log.error("send failed: %s", exc, extra=extra)
        raise
    done = {"sent_at": round(time.time(), 3), "error": "", "claimed_at": "", "data_started_at": ""}
    s.advance(notification_id, state, provider_id=provider_id, segments=segments, **done)
    latency = time.time() - received_at if received_at is not None else None  # resends have no webhook
    s.handed_over(notification_id, provider_id if record["channel"] == "sms" else None, latency)
    log.info("notification sent", extra={**extra, "state": state})
    return state


def _call_provider(
    notification_id: str, record: dict[str, str], payload: dict[str, str], services: Services
) -> tuple[str, str, int | None]:
    """Send by SMS or email; returns provider id, state and SMS segments."""
    if record["channel"] == "sms":
        if services.sms is None:
            raise PermanentError("SMS is not configured: set TWILIO_* settings")
        sent = services.sms.send(payload["to"], payload["body"], status_callback=_status_callback(services))
        return sent.sid, sent.status, sent.segments
    if services.mailer is None:
        raise PermanentError("email is not configured: set SMTP_URL and MAIL_FROM")
    message = build_email(notification_id, payload, services.settings.mail_from)
    started = lambda: services.store.note(notification_id, data_started_at=round(time.time(), 3))  # noqa: E731
    services.mailer.send(message, before_data=started)
    return message["Message-ID"], "sent", None


def _moved_on(record: dict[str, str], services: Services) -> bool:
    """A message held back by quiet hours goes out only if the delivery is still where the message says."""
    current = statuses.normalise(services.shippify.get_delivery(record["delivery_id"]).get("_status"))
    return current is not None and current != record["status"]


def _reject(
    notification_id: str, record: dict[str, str], payload: dict[str, str], exc: RecipientRejected, services: Services
) -> str:
    """The provider will never take this recipient: close the notification; an opt-out is remembered."""
    s = services.store
    state = "suppressed" if exc.opted_out else "rejected"
    if exc.opted_out:
        s.opt_out(payload["to"])
    s.close(notification_id, state, error=str(exc), error_code=exc.code)
    log.info("recipient refused by provider: %s", exc, extra={"delivery_id": record["delivery_id"]})
    return state


def _settle_interrupted(notification_id: str, record: dict[str, str], services: Services) -> str:
    """A previous attempt claimed the send and never recorded its outcome: did the message go out?"""
    s = services.store
    payload = s.outbox(notification_id)
    if record["channel"] == "sms" and services.sms is not None and payload:
        since = datetime.fromtimestamp(float(record.get("claimed_at", 0)) - LOOKUP_SLACK_SECONDS, UTC)
        found = services.sms.find_sent(
            payload["to"], payload["body"], since, taken=lambda sid: bool(s.by_provider_id(sid))
        )
        if found is not None:
            s.advance(notification_id, found.status, provider_id=found.sid, error="", settled_by="lookup")
            s.handed_over(notification_id, found.sid, latency=None)
            return found.status
    if record.get("data_started_at"):
        # The relay may have taken the email in the instant before the interruption: the resend carries the same
        # Message-ID, which relays and mail clients use to show one message.
        s.release(
            notification_id, "previous attempt was interrupted while transmitting; resent with the same Message-ID"
        )
    else:
        s.release(notification_id, "previous attempt was interrupted before the provider took the message")
    return "pending"


def _status_callback(services: Services) -> str | None:
    """Where Twilio reports delivery, when the public address is known."""
    base = services.settings.public_base_url
    return f"{base}/webhooks/twilio/status" if base else None


def build_email(notification_id: str, payload: dict[str, str], mail_from: str) -> EmailMessage:
    """multipart/alternative (text, then HTML) with a Message-ID derived from the notification."""
    _, from_address = parseaddr(mail_from)
    domain = from_address.rpartition("@")[2] or "localhost"
    message = EmailMessage()
    message["From"] = mail_from
    message["To"] = Address(addr_spec=payload["to"])
    message["Subject"] = payload["subject"]
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = f"<{notification_id}@{domain}>"
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(payload["text"])
    message.add_alternative(payload["html"], subtype="html")
    return message
