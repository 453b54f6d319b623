"""WhatsApp through Twilio: an approved Content template (ContentSid and ContentVariables, never a free-form Body) to
the recipient's mobile number, billed per message, with WhatsApp's own refusals sorted into "cannot reach them"
(another channel may), "refused by the recipient" and "fix the configuration" (docs/whatsapp.md, section 8)."""

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from twilio.base.exceptions import TwilioRestException

from worker import whatsapp_templates
from worker.channels.base import Outgoing, Sent
from worker.channels.sms import Sms, status_callback, twilio_account_missing
from worker.clients.twilio_sms import classify
from worker.errors import ConfigurationError, PermanentError, RecipientRejected, TransientError, Unreachable

if TYPE_CHECKING:
    from worker.rendering import Renderer
    from worker.services import Services
    from worker.settings import Settings
    from worker.store.records import Notification

PREFIX = "whatsapp:"
# Twilio codes (docs/whatsapp.md, section 8).
UNREACHABLE = {
    63003: "the number is not on WhatsApp, or is inactive",
    63024: "the number cannot receive WhatsApp messages (not enabled, terms not accepted, old app)",
    63032: "WhatsApp did not deliver to this number (Meta 472)",
}
BLOCKED = {63014: "the recipient blocked this business on WhatsApp"}
CONFIG = {
    63016: "WhatsApp needs an approved template outside a conversation: check content_sid in WHATSAPP_TEMPLATES",
    21655: "the template is unknown to Twilio: fix its content_sid in WHATSAPP_TEMPLATES",
    21654: "variables were sent without a template: set content_sid in WHATSAPP_TEMPLATES",
    21656: "a template variable was empty or not text: check the variables in WHATSAPP_TEMPLATES",
    63013: "a template variable breaks WhatsApp's rules (newline, tab, 5+ spaces): check the variables' values",
    63021: "the message is over 1,024 characters with its variables: shorten the approved text",
    63007: "WHATSAPP_FROM is not a WhatsApp sender: set it to whatsapp:+<approved sender number>",
    21603: "set WHATSAPP_FROM (whatsapp:+<sender>) or TWILIO_MESSAGING_SERVICE_SID",
}
TRANSIENT = {63018: "WhatsApp's rate limit for this sender", 63012: "WhatsApp (Meta) failed"}
# What an empty first name becomes ("Hola cliente,"); other empty variables become "-".
GREETING = {"es": "cliente", "pt": "cliente", "en": "there"}


class WhatsApp(Sms):
    """WhatsApp through Twilio: addressed like SMS (a mobile number in E.164), sent and billed differently."""

    name = "whatsapp"
    files = ("whatsapp.txt",)
    billed_in_segments = False
    falls_back = True
    opt_out_scope = "whatsapp"
    inbound_prefix = PREFIX
    previewed = False  # previews render Jinja templates; WhatsApp's approved texts need their own rows

    def configured(self, services: "Services") -> bool:
        settings = services.settings
        sender = settings.whatsapp_from or settings.twilio_messaging_service_sid
        return services.sms is not None and bool(sender) and bool(settings.whatsapp_templates)

    def missing_settings(self, values: Mapping[str, Any]) -> list[str]:
        """The Twilio account; not SMS's sender (its own, WHATSAPP_FROM, and its templates are checked with the
        other WhatsApp settings, worker/whatsapp_settings.py)."""
        return twilio_account_missing(values)

    def render(
        self,
        renderer: "Renderer",
        status: str,
        locale: str,
        context: Mapping[str, Any],
        destination: str,
        settings: "Settings",
    ) -> Outgoing:
        """The template's sid and variables (within WhatsApp's limits), and the approved text they make."""
        template = settings.whatsapp_templates.get((status, locale))
        if template is None:
            raise ConfigurationError(
                f"no WhatsApp template for {status} in {locale}: add [{status}.{locale}] to WHATSAPP_TEMPLATES"
            )
        variables = sent_variables(template, context, locale)
        body = _checked_body(renderer, status, locale, variables)
        payload = {
            "to": destination,
            "content_sid": template.content_sid,
            "content_variables": json.dumps(variables, ensure_ascii=False),
            "body": body,
        }
        return Outgoing(payload, {"billed": "messages"})

    def send(self, notification_id: str, payload: Mapping[str, str], services: "Services") -> Sent:
        if services.sms is None:
            raise PermanentError("WhatsApp is not configured: set TWILIO_* and WHATSAPP_* settings")
        settings = services.settings
        sender = {"from_": settings.whatsapp_from} if settings.whatsapp_from else {}
        if not sender and settings.twilio_messaging_service_sid:
            sender = {"messaging_service_sid": settings.twilio_messaging_service_sid}
        params = {
            "to": PREFIX + payload["to"],
            **sender,
            "content_sid": payload["content_sid"],
            "content_variables": payload["content_variables"],
        }
        sent = services.sms.create(params, status_callback(services), sort=sort)
        return Sent(sent.sid, sent.status)

    def settle(
        self, notification_id: str, record: "Notification", payload: Mapping[str, str], services: "Services"
    ) -> Sent | None:
        """Look the message up in Twilio's list: sent to whatsapp:+<number>, with the approved text filled in."""
        if not payload:
            return None
        return super().settle(notification_id, record, {**payload, "to": PREFIX + payload["to"]}, services)

    def refused(self, code: str | None) -> bool:
        """63014: the recipient blocked the business; no other channel should insist."""
        return code is not None and code.isdigit() and int(code) in BLOCKED


def sent_variables(
    template: whatsapp_templates.WhatsAppTemplate, context: Mapping[str, Any], locale: str
) -> dict[str, str]:
    """The ContentVariables of a send (previews show the same): within WhatsApp's limits, an empty name a greeting."""
    placeholders = {"first_name": GREETING.get(locale, whatsapp_templates.PLACEHOLDER)}
    return whatsapp_templates.content_variables(template, context, placeholders=placeholders)


def _checked_body(renderer: "Renderer", status: str, locale: str, variables: Mapping[str, str]) -> str:
    """The approved text with the variables in; ConfigurationError naming the fix when WhatsApp would refuse it."""
    for key, value in variables.items():
        problems = whatsapp_templates.variable_problems(value)
        if problems:
            raise ConfigurationError(f"WhatsApp variable {key} {' and '.join(problems)}: check WHATSAPP_TEMPLATES")
    try:
        text = whatsapp_templates.approved_text(renderer.templates_dir, locale, status)
        return whatsapp_templates.check_length(text, variables)
    except whatsapp_templates.WhatsAppTemplatesError as exc:
        raise ConfigurationError(str(exc)) from None


def sort(exc: TwilioRestException) -> Exception:
    """WhatsApp's own codes first (messages name the fix and never the number), then SMS's."""
    code = exc.code if isinstance(exc.code, int) else None
    if code in UNREACHABLE:
        return Unreachable(f"Twilio {code}: {UNREACHABLE[code]}", code=code)
    if code in BLOCKED:
        return RecipientRejected(f"Twilio {code}: {BLOCKED[code]}", code=code)
    if code in CONFIG:
        return ConfigurationError(f"Twilio {code}: {CONFIG[code]}")
    if code in TRANSIENT:
        return TransientError(f"Twilio {code}: {TRANSIENT[code]}")
    return classify(exc)
