"""The WhatsApp settings: WHATSAPP_FROM (the sender) and WHATSAPP_TEMPLATES (the approved templates' file), read
and checked with the other settings so that a bad sender or template file stops the service at start."""

import re
from collections.abc import Mapping

from worker import statuses, whatsapp_templates
from worker.channels.whatsapp import WhatsApp
from worker.locales import LOCALES
from worker.rendering import CONTEXT_NAMES
from worker.rules import Rules
from worker.whatsapp_templates import WhatsAppTemplate

CHANNEL = WhatsApp.name  # the rules' name of the channel these settings serve
SENDER = re.compile(r"^whatsapp:\+[1-9]\d{6,14}$")


def read(
    env: Mapping[str, str], rules: Rules, messaging_service_sid: str
) -> tuple[str, dict[tuple[str, str], WhatsAppTemplate], list[str]]:
    """(WHATSAPP_FROM, the templates by (status, locale), problems); both required when a rule sends WhatsApp."""
    sender = (env.get("WHATSAPP_FROM") or "").strip()
    path = (env.get("WHATSAPP_TEMPLATES") or "").strip()
    problems = []
    if sender and not SENDER.match(sender):
        problems.append(f"WHATSAPP_FROM={sender!r} must look like whatsapp:+15551234567 (the approved sender number)")
    if rules.uses(CHANNEL):
        if not (sender or messaging_service_sid):
            problems.append(
                "WHATSAPP_FROM (whatsapp:+<sender>) or TWILIO_MESSAGING_SERVICE_SID is required: a rule sends WhatsApp"
            )
        if not path:
            problems.append(
                "WHATSAPP_TEMPLATES is required: a rule sends WhatsApp; point it at a copy of "
                "whatsapp_templates.example.toml with your approved templates' sids"
            )
    templates, problem = load(path, rules)
    return sender, templates, problems + ([problem] if problem else [])


def load(path: str, rules: Rules) -> tuple[dict[tuple[str, str], WhatsAppTemplate], str | None]:
    """The templates of a WHATSAPP_TEMPLATES file ({} without one), or the problem naming its file and lines."""
    if not path:
        return {}, None
    required = {status: LOCALES for status in rules.statuses_using(CHANNEL)}
    try:
        found = whatsapp_templates.load(
            path, statuses=statuses.KNOWN, locales=LOCALES, variable_names=CONTEXT_NAMES, required=required
        )
    except whatsapp_templates.WhatsAppTemplatesError as exc:
        return {}, str(exc)
    return found, None
