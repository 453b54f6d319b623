"""Message text from the templates people edit: one sandboxed Jinja environment, HTML autoescaped."""

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader, StrictUndefined, TemplateNotFound, select_autoescape
from jinja2.sandbox import SandboxedEnvironment

from worker import channels

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"


# Every name a template may use: the keys of worker.events.template_context (time_zone is for scheduling only).
CONTEXT_NAMES = ("first_name", "recipient_name", "merchant", "reference", "reason", "tracking_url", "delivery_id")


@dataclass(frozen=True)
class Email:
    """The three rendered parts of an email."""

    subject: str
    text: str
    html: str


def first_name(name: object) -> str | None:
    """The first word of a full name, as people are greeted in a message."""
    if not isinstance(name, str) or not name.strip():
        return None
    return name.split()[0][:40]


class Renderer:
    """Renders `<locale>/<status>/<part>`; a missing variable is an error, never a blank in a message."""

    def __init__(self, templates_dir: Path = TEMPLATES_DIR) -> None:
        self.templates_dir = templates_dir  # WhatsApp's approved texts are read as they are, not through Jinja
        self.env = SandboxedEnvironment(
            loader=FileSystemLoader(str(templates_dir)),
            undefined=StrictUndefined,
            autoescape=select_autoescape(["html"]),
            trim_blocks=True,
            lstrip_blocks=True,
        )

    def sms(self, status: str, locale: str, context: Mapping[str, Any]) -> str:
        """SMS text, trimmed."""
        return self._render(f"{locale}/{status}/sms.txt", context).strip()

    def email(self, status: str, locale: str, context: Mapping[str, Any]) -> Email:
        """Subject (one line), plain text and HTML."""
        subject = " ".join(self._render(f"{locale}/{status}/subject.txt", context).split())
        text = self._render(f"{locale}/{status}/email.txt", context).strip() + "\n"
        html = self._render(f"{locale}/{status}/email.html", context)
        return Email(subject=subject, text=text, html=html)

    def missing(self, status: str, locale: str, channel: str) -> list[str]:
        """Template files a rule needs but that do not exist (checked at start by `doctor`)."""
        absent = []
        for part in channels.channel(channel).files:
            try:
                self.env.get_template(f"{locale}/{status}/{part}")
            except TemplateNotFound:
                absent.append(f"templates/{locale}/{status}/{part}")
        return absent

    def warm(self) -> None:
        """Compile every template now (a forking worker then shares them with each job)."""
        for name in self.env.list_templates(extensions=["txt", "html"]):
            self.env.get_template(name)

    def _render(self, name: str, context: Mapping[str, Any]) -> str:
        """Render one template file."""
        return self.env.get_template(name).render(**context)
