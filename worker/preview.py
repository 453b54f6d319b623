"""Every message template rendered with realistic worst-case data: SMS cost and email rendering, before any send."""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from jinja2 import TemplateError

from worker import channels, sms_text
from worker.clients.shippify import TrackingLink
from worker.events import template_context
from worker.locales import FOLD_BY_DEFAULT, LOCALES
from worker.rendering import Email, Renderer
from worker.rules import DEFAULT_RULES
from worker.store import short_links

# As long as Shippify's real links (82 characters); first names and merchants of 20, with the letters that cost most.
SAMPLE_LINK = "https://api.shippify.co/track/t-demo-00127?token=ThegDpp8VhtbAVw1y7NjSZ&ref=server"
SAMPLE_DELIVERY = "t-demo-00127"


@dataclass(frozen=True)
class Sample:
    """One locale's recipient, merchant and issue reason."""

    name: str
    merchant: str
    reason: str


SAMPLES = {
    "es": Sample("Guadalupe-Concepción Bolaños Peñaherrera", "Farmacias del Puerto", "Dirección no encontrada"),
    "pt": Sample("Maria-José-Conceição Gonçalves", "Padaria São Benedito", "Endereço não encontrado"),
    "en": Sample("Christopher-Jonathan O'Sullivan", "Hudson Hardware Shop", "Address not found"),
}
SMS_BUDGETS = {"hold_by_courier": 2}  # it carries the issue reason; every other SMS must fit one segment


@dataclass(frozen=True)
class Row:
    """One rendered message: the SMS as it would be sent, or an email (its subject in `text`)."""

    status: str
    locale: str
    channel: str
    text: str
    cost: sms_text.SmsCost | None = None
    budget: int | None = None
    email: Email | None = None
    error: str | None = None

    @property
    def over_budget(self) -> bool:
        """An SMS that costs more segments than its status allows."""
        return self.cost is not None and self.budget is not None and self.cost.segments > self.budget

    @property
    def allowed_units(self) -> int | None:
        """Septets (GSM-7) or UTF-16 units the budget holds in this SMS's encoding: 160 for one GSM-7 segment."""
        if self.cost is None or self.budget is None:
            return None
        single, per_part = sms_text.LIMITS[self.cost.encoding]
        return single if self.budget == 1 else per_part * self.budget


def sample_link(short: bool, public_base_url: str) -> str:
    """The link messages carry as configured: a short link on PUBLIC_BASE_URL (a code as long as real ones) with
    SHORT_LINKS on, else one as long as Shippify's."""
    if not short:
        return SAMPLE_LINK
    return short_links.short_url(public_base_url, "x" * short_links.CODE_LENGTH)


def sms_budget(status: str) -> int:
    """Segments an SMS of this status may cost."""
    return SMS_BUDGETS.get(status, 1)


def sample_context(locale: str, link: str = SAMPLE_LINK) -> dict[str, Any]:
    """What a template sees for the sample delivery, built like a real send builds it."""
    sample = SAMPLES.get(locale, SAMPLES["en"])
    delivery = {
        "recipient": {"name": sample.name},
        "company": sample.merchant,
        "referenceId": "PO-00012",
        "reasonText": sample.reason,
    }
    return template_context(SAMPLE_DELIVERY, delivery, TrackingLink(link))


def template_statuses(renderer: Renderer) -> list[str]:
    """The default rules' statuses first, then any other status someone wrote templates for."""
    found = {name.split("/")[1] for name in renderer.env.list_templates() if name.count("/") == 2}
    return [*DEFAULT_RULES, *sorted(found - set(DEFAULT_RULES))]


def message(
    renderer: Renderer,
    status: str,
    locale: str,
    channel: str,
    fold_locales: Iterable[str] = FOLD_BY_DEFAULT,
    link: str = SAMPLE_LINK,
) -> Row:
    """One channel's message as a send renders it, with its cost against the status's budget when it is billed in
    segments (a template that does not render raises TemplateError)."""
    found = channels.channel(channel)
    shown = found.preview(renderer, status, locale, sample_context(locale, link), frozenset(fold_locales))
    budget = sms_budget(status) if found.billed_in_segments else None
    return Row(status, locale, channel, shown.text, cost=shown.cost, budget=budget, email=shown.email)


def render(
    renderer: Renderer,
    status: str,
    locale: str,
    channel: str,
    fold_locales: Iterable[str] = FOLD_BY_DEFAULT,
    link: str = SAMPLE_LINK,
) -> Row:
    """One channel's message; a template that does not render gives a row with the error instead of raising."""
    try:
        return message(renderer, status, locale, channel, fold_locales, link)
    except TemplateError as exc:
        return Row(status, locale, channel, "", error=f"{type(exc).__name__}: {exc}")


def preview(
    renderer: Renderer | None = None,
    statuses: Iterable[str] | None = None,
    locales: Iterable[str] = LOCALES,
    fold_locales: Iterable[str] = FOLD_BY_DEFAULT,
    link: str = SAMPLE_LINK,
) -> list[Row]:
    """Every existing template of `statuses` × `locales` × each channel previews show, in that order."""
    renderer = renderer or Renderer()
    fold_locales = tuple(fold_locales)
    rows = []
    for status in statuses or template_statuses(renderer):
        for locale in locales:
            for channel in channels.names():
                if channels.channel(channel).previewed and not renderer.missing(status, locale, channel):
                    rows.append(render(renderer, status, locale, channel, fold_locales, link))
    return rows
