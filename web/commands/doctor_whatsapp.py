"""`doctor`'s WhatsApp checks: every rule's template in every locale with its approved text matching its variables,
and, when Twilio's Content API answers, every ContentSid present in the account and approved for WhatsApp."""

from collections import defaultdict
from collections.abc import Callable, Mapping
from pathlib import Path

from worker import whatsapp_settings
from worker import whatsapp_templates as wa
from worker.services import Services
from worker.settings import Settings
from worker.whatsapp_content import APPROVED, ContentApi, ContentApiUnreachable, content_api_url

Check = tuple[str, Callable[[], str | None]]
SUBMIT = "submit it for WhatsApp approval in Twilio's Content Template Builder (category Utility)"
NEXT_STEP = {
    "pending": "WhatsApp refuses it until Meta approves it; wait, or send SMS meanwhile",
    "rejected": "read the rejection reason in the Content Template Builder, fix the text and submit a new template",
}
Templates = Mapping[tuple[str, str], wa.WhatsAppTemplate]


class DoctorWarning(Exception):
    """Something doctor could not verify: printed as a warning, not counted as a failure."""


def checks(services: Services) -> list[Check]:
    """The WhatsApp checks that apply: none when no rule sends WhatsApp and no template is configured."""
    settings = services.settings
    required = settings.rules.statuses_using(whatsapp_settings.CHANNEL)
    if not required and not settings.whatsapp_templates:
        return []
    folder = services.renderer.templates_dir
    found: list[Check] = [("whatsapp templates", lambda: templates(settings.whatsapp_templates, folder))]
    if settings.twilio_account_sid and settings.whatsapp_templates:
        found.append(("whatsapp content api", lambda: content(settings)))
    return found


def templates(mapping: Templates, templates_dir: Path) -> str:
    """Each mapped template's approved text exists and fits its variables (settings already refused a file missing a
    (status, locale) that a rule needs, naming its line)."""
    problems = [problem for template in mapping.values() for problem in text_problems(template, templates_dir)]
    if problems:
        raise ValueError("; ".join(problems))
    return f"{len(mapping)} templates, approved texts match their variables"


def text_problems(template: wa.WhatsAppTemplate, templates_dir: Path) -> list[str]:
    """The approved text of one template: missing, or out of step with the file's variables."""
    path = wa.approved_text_path(templates_dir, template.locale, template.status)
    try:
        text = wa.approved_text(templates_dir, template.locale, template.status)
    except wa.WhatsAppTemplatesError as exc:
        return [str(exc)]
    name = f"[{template.status}.{template.locale}]"
    return [
        f"{path} {problem}: make it the text approved in Twilio and {name}'s variables agree"
        for problem in wa.text_problems(text, template)
    ]


def content(settings: Settings) -> str:
    """Every ContentSid exists in this Twilio account and is approved for WhatsApp (a warning when unreachable)."""
    base = content_api_url(settings.twilio_api_url)
    api = ContentApi(settings.twilio_account_sid, settings.twilio_auth_token, base, settings.http_timeout)
    try:
        sids = by_sid(settings.whatsapp_templates).items()
        problems = [problem for sid, names in sids for problem in approval(api, sid, names)]
    except ContentApiUnreachable as exc:
        raise DoctorWarning(f"{base} did not answer ({exc}): ContentSids not checked; run doctor again later") from None
    finally:
        api.close()
    if problems:
        raise ValueError("; ".join(problems))
    return f"{len(by_sid(settings.whatsapp_templates))} ContentSids approved for WhatsApp"


def by_sid(mapping: Templates) -> dict[str, list[str]]:
    """Each ContentSid with the [status.locale] tables that use it."""
    found: dict[str, list[str]] = defaultdict(list)
    for template in mapping.values():
        found[template.content_sid].append(f"[{template.status}.{template.locale}]")
    return dict(found)


def approval(api: ContentApi, sid: str, names: list[str]) -> list[str]:
    """Why one ContentSid cannot be sent, if it cannot."""
    status = api.approval(sid)
    where = ", ".join(names)
    if status is None:
        return [f"{sid} ({where}) is not in this Twilio account: copy the sid from the Content Template Builder"]
    if status != APPROVED:
        return [f"{sid} ({where}) is {status!r} for WhatsApp, not approved: {NEXT_STEP.get(status, SUBMIT)}"]
    return []
