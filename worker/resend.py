"""A resend asked for by a person (console, CLI or API): one function, the same rules and audit for all three.

It bypasses the one-message-per-status guard on purpose (a new notification id each time), with a fresh tracking
link, optionally to a corrected destination, capped per delivery and per actor (worker/resend_caps.py); the send
path (worker/send_job.py) does the rest.
"""

import logging
import secrets
from dataclasses import asdict, dataclass, field
from typing import Any

from worker import fallback, outgoing, resend_caps, statuses
from worker.channels import channel
from worker.events import template_context
from worker.locales import resolve as resolve_locale
from worker.resend_caps import ActorLimited, ResendLimited  # noqa: F401 - the callers catch them from here
from worker.rules import CHANNELS, MAIN_STATUS
from worker.services import Services

log = logging.getLogger(__name__)

CAP = "5/hour"  # resends per delivery: enough to fix a typo, too few to spam a recipient
MAX_REASON_LENGTH = 500
OPTED_OUT_DETAIL = "the recipient replied STOP: no SMS reaches them until they reply START (email still works)"
# Field problems, as constants so that the console can show them translated.
CHOOSE_CHANNELS = "choose sms, email and/or whatsapp"
NOT_CONFIGURED = "this channel is not configured on this service"
PHONE_INVALID = "enter a mobile number in international form, such as +593 99 123 4567"
EMAIL_INVALID = "enter an email address such as name@example.com"
PHONE_WITHOUT_SMS = "a corrected phone is only used when sms or whatsapp is among the channels"
EMAIL_WITHOUT_EMAIL = "a corrected email is only used when email is among the channels"
REASON_TOO_LONG = f"keep the reason under {MAX_REASON_LENGTH} characters"
NO_PHONE = "the delivery has no usable phone number: enter a corrected one"
NO_EMAIL = "the delivery has no usable email address: enter a corrected one"
# The same problems by the request's field for a channel's destination (Channel.field).
INVALID = {"phone": PHONE_INVALID, "email": EMAIL_INVALID}
WITHOUT_CHANNEL = {"phone": PHONE_WITHOUT_SMS, "email": EMAIL_WITHOUT_EMAIL}
MISSING = {"phone": NO_PHONE, "email": NO_EMAIL}


class InvalidResend(ValueError):
    """Fields that cannot be used as given: field name → what to change."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(f"{name}: {text}" for name, text in problems.items()))
        self.problems = problems


@dataclass(frozen=True)
class ResendRequest:
    """What a person asks for; every field optional."""

    channels: tuple[str, ...] = ()
    phone: str = ""
    email: str = ""
    reason: str = ""


@dataclass(frozen=True)
class Queued:
    """One channel of a resend, as shown to staff and API callers (destination masked)."""

    notification_id: str
    channel: str
    destination: str
    state: str
    template: str
    detail: str = ""

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


@dataclass(frozen=True)
class ResendResult:
    """The delivery resolved (a reference becomes its id), the status sent and each channel's notification."""

    delivery_id: str
    status: str
    notifications: list[Queued] = field(default_factory=list)


def resend(services: Services, key: str, request: ResendRequest, actor: str, cap: str = CAP) -> ResendResult:
    """Validate, look the delivery up, enforce the cap, then record and queue one send per channel."""
    overrides = validate(request, services)
    delivery = services.shippify.get_delivery(key)  # UnknownDelivery (404) when Shippify does not know it
    delivery_id = str(delivery.get("id") or key)
    channels = _channels(request, delivery, services)
    destinations = _destinations(channels, overrides, delivery, services)
    sendable = [c for c, to in destinations.items() if not _opted_out(c, to, services)]
    caps = resend_caps.Caps(services, cap, actor, delivery_id, resend_caps.kind(sendable, overrides))
    if sendable:
        caps.check()
    locale_hint, merchant_hint = _hints(services, delivery_id)
    locale = resolve_locale(delivery.get("cityLang") or locale_hint, services.settings.default_locale)
    status = _status(delivery, channels, locale, services)
    context = _context(services, delivery_id, delivery, merchant_hint) if sendable else {}
    if sendable:
        caps.take()
    reason = " ".join(request.reason.split())
    fields = {"delivery_id": delivery_id, "status": status, "locale": locale, "actor": actor, "reason": reason}
    queued = [
        _record(channel, to, channel not in sendable, overrides, fields, context, services)
        for channel, to in destinations.items()
    ]
    services.store.touch(delivery_id)
    return ResendResult(delivery_id, status, queued)


def validate(request: ResendRequest, services: Services) -> dict[str, str]:
    """Check every field at once; returns the corrected destinations by channel (E.164 phone, trimmed email)."""
    problems: dict[str, str] = {}
    if any(c not in CHANNELS for c in request.channels):
        problems["channels"] = CHOOSE_CHANNELS
    elif any(not channel(c).configured(services) for c in request.channels):
        problems["channels"] = NOT_CONFIGURED
    overrides = _corrections(request, services, problems)
    for name in overrides:
        field_name = channel(name).field
        if request.channels and all(channel(c).field != field_name for c in request.channels):
            problems[field_name] = WITHOUT_CHANNEL[field_name]
    if len(request.reason) > MAX_REASON_LENGTH:
        problems["reason"] = REASON_TOO_LONG
    if problems:
        raise InvalidResend(problems)
    return overrides


def _corrections(request: ResendRequest, services: Services, problems: dict[str, str]) -> dict[str, str]:
    """The corrected destination of each channel (phone: E.164, mobile; email: trimmed), when given and usable;
    problems noted otherwise."""
    overrides: dict[str, str] = {}
    for name in CHANNELS:
        field_name = channel(name).field
        raw = getattr(request, field_name, "")
        if not raw.strip():
            continue
        corrected = channel(name).correct(raw, services.settings)
        if corrected:
            overrides[name] = corrected
        else:
            problems[field_name] = INVALID[field_name]
    return overrides


def _channels(request: ResendRequest, delivery: dict[str, Any], services: Services) -> tuple[str, ...]:
    """As asked; else one channel per corrected destination (a phone goes by SMS or WhatsApp, never both: the one
    the rule uses, else the first configured); else the rule's for the status sent."""
    if request.channels:
        return tuple(c for c in CHANNELS if c in request.channels)
    wanted = default_channels(services, statuses.normalise(delivery.get("_status")))
    typed = {channel(c).field for c in CHANNELS if getattr(request, channel(c).field, "").strip()}
    if not typed:
        return wanted
    picked = [next((c for c in (*wanted, *CHANNELS) if channel(c).field == f), "") for f in typed]
    return tuple(c for c in CHANNELS if c in picked)


def default_channels(services: Services, status: str | None = None) -> tuple[str, ...]:
    """The configured channels of the rule for `status` (else for the main "on the way" status, else all)."""
    rules = services.settings.rules
    wanted = rules.channels_for(status) or rules.channels_for(MAIN_STATUS) or CHANNELS
    return tuple(c for c in wanted if channel(c).configured(services))


def _destinations(
    names: tuple[str, ...], overrides: dict[str, str], delivery: dict[str, Any], services: Services
) -> dict[str, str]:
    """The destination of each channel: the correction, else the delivery's own; a field error when neither."""
    destinations: dict[str, str] = {}
    problems: dict[str, str] = {}
    for name in names:
        found = overrides.get(name) or channel(name).address(delivery, services.settings).destination
        if found:
            destinations[name] = found
        else:
            problems[channel(name).field] = MISSING[channel(name).field]
    if not names:
        problems["channels"] = CHOOSE_CHANNELS
    if problems:
        raise InvalidResend(problems)
    return destinations


def _opted_out(name: str, to: str, services: Services) -> bool:
    """A recipient who asked for nothing more on a channel (SMS: replied STOP) stays suppressed, resend or not."""
    return channel(name).suppressed(services.store, to)


def _status(delivery: dict[str, Any], channels: tuple[str, ...], locale: str, services: Services) -> str:
    """The delivery's current status when it has a message on every channel, else the main "on the way" one."""
    current = statuses.normalise(delivery.get("_status"))
    if current and all(not services.renderer.missing(current, locale, c) for c in channels):
        return current
    return MAIN_STATUS


def _context(services: Services, delivery_id: str, delivery: dict[str, Any], merchant_hint: str) -> dict[str, Any]:
    """What the templates see, with a fresh tracking link (a resend never reuses a webhook's)."""
    link, region = services.shippify.get_tracking_link(delivery_id), services.settings.default_country
    return template_context(delivery_id, delivery, link, region, merchant_hint)


def _hints(services: Services, delivery_id: str) -> tuple[str, str]:
    """What the last webhook told us that the delivery itself may not: its language and merchant name ("" when
    it did not say, or no webhook is recorded)."""
    ((events, _),) = services.store.timelines([delivery_id], last_only=True)
    return (events[-1].locale_hint, events[-1].merchant_hint) if events else ("", "")


def _record(
    name: str,
    to: str,
    opted_out: bool,
    overrides: dict[str, str],
    fields: dict[str, str],
    context: dict[str, Any],
    services: Services,
) -> Queued:
    """The audit record (a new id, kind=resend), then the message and the send job, or a suppression."""
    record = {
        "delivery_id": fields["delivery_id"],
        "status": fields["status"],
        "locale": fields["locale"],
        "kind": "resend",
        "actor": fields["actor"],
        "resend_reason": fields["reason"],
        "corrected": "yes" if name in overrides else "",
    }
    message = outgoing.Message("r" + secrets.token_hex(12), channel(name), to, record)
    nid, masked = message.notification_id, message.masked
    extra = {"delivery_id": fields["delivery_id"], "notification_id": nid, "to": masked}
    if opted_out:  # checked once, before the cap
        outgoing.record(services, message, "suppressed", "opted_out")
        log.info("resend suppressed: recipient opted out", extra=extra)
        return Queued(nid, name, masked, "suppressed", message.template, OPTED_OUT_DETAIL)
    outgoing.record(services, message)
    fallback.queue(services, message, context)
    log.info("resend queued", extra=extra)
    return Queued(nid, name, masked, "pending", message.template)
