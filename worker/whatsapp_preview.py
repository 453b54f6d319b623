"""WhatsApp templates as the recipient will see them: the approved text filled from the sample context that SMS and
email previews use, with what each variable needed cleaning, before anyone pays for a message."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from worker import statuses
from worker import whatsapp_templates as wa
from worker.channels.whatsapp import sent_variables
from worker.locales import LOCALES
from worker.preview import SAMPLE_LINK, sample_context
from worker.rendering import CONTEXT_NAMES, TEMPLATES_DIR

if TYPE_CHECKING:
    from worker.settings import Settings

EXAMPLE_FILE = TEMPLATES_DIR.parent / "whatsapp_templates.example.toml"
Templates = Mapping[tuple[str, str], wa.WhatsAppTemplate]


@dataclass(frozen=True)
class Variable:
    """One {{n}}: the context name it is filled from, the value sent, and what had to change for WhatsApp."""

    key: str
    name: str
    value: str
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class WhatsAppRow:
    """One (status, locale) template: its approved text rendered, billed per message, or why it cannot be sent."""

    status: str
    locale: str
    content_sid: str
    body: str = ""
    variables: tuple[Variable, ...] = ()
    problems: tuple[str, ...] = ()
    error: str | None = None

    @property
    def characters(self) -> int:
        """Length of the rendered body (WhatsApp allows 1,024)."""
        return len(self.body)


# What sanitising did to a value, by code (the console translates them; the CLI prints these).
NOTES = {
    "empty": "empty: a placeholder is sent",
    "breaks": "held a newline or tab: cleaned",
    "spaces": f"held more than {wa.MAX_SPACES} spaces in a row: cleaned",
    "cut": "too long: cut",
}


def variable_notes(raw: object, value: str) -> tuple[str, ...]:
    """What sanitising changed in a context value (codes of NOTES), so a preview shows why a value differs."""
    text = "" if raw is None else str(raw)
    if not text.strip():
        return ("empty",)
    notes = [
        code
        for code, found in (("breaks", wa.BREAKS.search(text)), ("spaces", " " * (wa.MAX_SPACES + 1) in text))
        if found
    ]
    if value != wa.sanitise(text):
        notes.append("cut")
    return tuple(notes)


def variables(template: wa.WhatsAppTemplate, context: Mapping[str, object]) -> tuple[Variable, ...]:
    """Each variable as a send fills it, with its notes."""
    sent = sent_variables(template, context, template.locale)
    return tuple(
        Variable(key, name, sent[key], variable_notes(context.get(name), sent[key]))
        for key, name in template.variables.items()
    )


def render_row(
    template: wa.WhatsAppTemplate, context: Mapping[str, object], templates_dir: Path = TEMPLATES_DIR
) -> WhatsAppRow:
    """One template rendered with `context`; a missing approved text or a mismatch becomes the row's error."""
    row = WhatsAppRow(template.status, template.locale, template.content_sid)
    try:
        text = wa.approved_text(templates_dir, template.locale, template.status)
        filled = variables(template, context)
        unfilled = {key: f"{{{{{key}}}}}" for key in wa.placeholders(text)}  # shown as is, and named a problem
        body = wa.render(text, {**unfilled, **{v.key: v.value for v in filled}})
    except wa.WhatsAppTemplatesError as exc:
        return WhatsAppRow(row.status, row.locale, row.content_sid, error=str(exc))
    problems = [*wa.text_problems(text, template)]
    if len(body) > wa.MAX_BODY:
        problems.append(f"is {len(body)} characters with its variables; WhatsApp allows {wa.MAX_BODY}")
    return WhatsAppRow(row.status, row.locale, row.content_sid, body, filled, tuple(problems))


def example_templates() -> dict[tuple[str, str], wa.WhatsAppTemplate]:
    """The repository's example mapping: what the previews show while WHATSAPP_TEMPLATES is not set."""
    return wa.load(EXAMPLE_FILE, statuses=statuses.KNOWN, locales=LOCALES, variable_names=CONTEXT_NAMES, required={})


def preview(
    templates: Templates,
    only_statuses: Iterable[str] | None = None,
    locales: Iterable[str] = LOCALES,
    link: str = SAMPLE_LINK,
    templates_dir: Path = TEMPLATES_DIR,
) -> list[WhatsAppRow]:
    """Every template of `only_statuses` × `locales` in the mapping, rendered with the sample delivery."""
    wanted = list(locales)
    chosen = list(only_statuses) if only_statuses is not None else list(dict.fromkeys(s for s, _ in templates))
    return [
        render_row(templates[(status, locale)], sample_context(locale, link), templates_dir)
        for status in chosen
        for locale in wanted
        if (status, locale) in templates
    ]


def preview_for(
    settings: "Settings",
    only_statuses: Iterable[str] | None = None,
    locales: Iterable[str] = LOCALES,
    link: str = SAMPLE_LINK,
    templates_dir: Path = TEMPLATES_DIR,
) -> tuple[list[WhatsAppRow], bool]:
    """The rows of the configured templates; while WHATSAPP_TEMPLATES is not set, those of the example mapping whose
    approved text exists (True: nothing sends WhatsApp, so a missing text is no problem)."""
    if settings.whatsapp_templates:
        return preview(settings.whatsapp_templates, only_statuses, locales, link, templates_dir), False
    rows = preview(example_templates(), only_statuses, locales, link, templates_dir)
    return [row for row in rows if row.error is None], True
