"""SMS through Twilio: mobile numbers in E.164, GSM-7 folding and segments, STOP opt-outs, lookups of sends whose
outcome is unknown, and delivery reports by Twilio's message sid."""

from collections.abc import Collection, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from worker import phones, sms_text
from worker.channels.base import Address, Channel, Outgoing, Preview, Sent, recipient_of
from worker.errors import PermanentError
from worker.locales import LOCALES
from worker.setting_values import required

if TYPE_CHECKING:
    from worker.rendering import Renderer
    from worker.services import Services
    from worker.settings import Settings
    from worker.store import Store
    from worker.store.records import Notification

# How to obtain the Twilio account's settings when a rule sends SMS or WhatsApp without them.
TWILIO_HINTS = {
    "TWILIO_ACCOUNT_SID": " (Twilio console → Account info), or remove sms and whatsapp from NOTIFY_RULES",
    "TWILIO_AUTH_TOKEN": " (Twilio console → Account info)",
}
# How far before the claim a lookup of an interrupted send searches Twilio's list (clock skew, slow requests).
LOOKUP_SLACK_SECONDS = 300


class Sms(Channel):
    """SMS through Twilio."""

    name = "sms"
    files = ("sms.txt",)
    field = "phone"
    reports_by_provider_id = True
    billed_in_segments = True

    def address(self, delivery: Mapping[str, Any], settings: "Settings") -> Address:
        """The recipient's phone in E.164 (DEFAULT_COUNTRY for national numbers), mobile-capable only."""
        check = phones.normalise(recipient_of(delivery).get("phonenumber"), settings.default_country)
        return Address(check.e164, check.reason)

    def correct(self, raw: str, settings: "Settings") -> str | None:
        return phones.normalise(raw, settings.default_country).e164

    def mask(self, destination: str) -> str:
        return phones.mask(destination)

    def configured(self, services: "Services") -> bool:
        return services.sms is not None

    def missing_settings(self, values: Mapping[str, Any]) -> list[str]:
        """The Twilio account, and a sender: a number (TWILIO_FROM) or a Messaging Service."""
        problems = twilio_account_missing(values)
        if not (values["twilio_from"] or values["twilio_messaging_service_sid"]):
            problems.append("TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID is required (the SMS sender)")
        return problems

    def render(
        self,
        renderer: "Renderer",
        status: str,
        locale: str,
        context: Mapping[str, Any],
        destination: str,
        settings: "Settings",
    ) -> Outgoing:
        """The text folded to GSM-7 where the locale's setting says so; its encoding and segments as notes (SMS is
        billed per segment)."""
        body = folded(renderer, status, locale, context, settings.sms_fold_locales)
        cost = sms_text.cost(body)
        notes = {"billed": "segments", "sms_encoding": cost.encoding, "sms_segments": cost.segments}
        return Outgoing({"to": destination, "body": body}, notes)

    def preview(
        self, renderer: "Renderer", status: str, locale: str, context: Mapping[str, Any], fold_locales: Collection[str]
    ) -> Preview:
        """The text folded as a send folds it, with its cost."""
        body = folded(renderer, status, locale, context, fold_locales)
        return Preview(body, cost=sms_text.cost(body))

    def suppressed(self, store: "Store", destination: str) -> bool:
        """The number replied STOP on this channel (an SMS STOP does not stop WhatsApp, nor the reverse)."""
        return store.opted_out_at(destination, self.opt_out_scope) is not None

    def opted_out_at(self, store: "Store", destination: str) -> float | None:
        """Since when the number has replied STOP on this channel."""
        return store.opted_out_at(destination, self.opt_out_scope)

    def send(self, notification_id: str, payload: Mapping[str, str], services: "Services") -> Sent:
        if services.sms is None:
            raise PermanentError("SMS is not configured: set TWILIO_* settings")
        sent = services.sms.send(payload["to"], payload["body"], status_callback=status_callback(services))
        return Sent(sent.sid, sent.status, sent.segments)

    def settle(
        self, notification_id: str, record: "Notification", payload: Mapping[str, str], services: "Services"
    ) -> Sent | None:
        """Look the message up in Twilio's list of sent messages (one not already recorded for another send)."""
        if services.sms is None or not payload:
            return None
        since = datetime.fromtimestamp((record.claimed_at or 0) - LOOKUP_SLACK_SECONDS, UTC)
        store = services.store
        found = services.sms.find_sent(
            payload["to"], payload["body"], since, taken=lambda sid: bool(store.by_provider_id(sid))
        )
        return Sent(found.sid, found.status, error_code=found.error_code) if found is not None else None


def folded(
    renderer: "Renderer", status: str, locale: str, context: Mapping[str, Any], fold_locales: Collection[str]
) -> str:
    """The SMS text, folded to GSM-7 when its locale is one of `fold_locales` (SMS_FOLD_LOCALES)."""
    folding = {code: code in fold_locales for code in LOCALES}
    return sms_text.fold_for_locale(renderer.sms(status, locale, context), locale, folding)


def twilio_account_missing(values: Mapping[str, Any]) -> list[str]:
    """The Twilio account settings, when empty (SMS and WhatsApp send through the same account)."""
    account = {"TWILIO_ACCOUNT_SID": values["twilio_account_sid"], "TWILIO_AUTH_TOKEN": values["twilio_auth_token"]}
    return required(account, TWILIO_HINTS)


def status_callback(services: "Services") -> str | None:
    """Where Twilio reports delivery, when the public address is known."""
    base = services.settings.public_base_url
    return f"{base}/webhooks/twilio/status" if base else None
