"""Default messages stay cheap and valid: each SMS within its segment budget, each email a proper multipart message."""

from email import message_from_bytes, policy
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.conftest import flask_cli
from worker import preview
from worker.channels.email import build_email
from worker.locales import LOCALES
from worker.rendering import Renderer
from worker.rules import DEFAULT_RULES

CASES = [(status, locale) for status in DEFAULT_RULES for locale in LOCALES]


@pytest.mark.parametrize("locale", LOCALES)
def test_sample_data_is_the_worst_realistic_case(locale):
    context = preview.sample_context(locale)
    assert len(context["tracking_url"]) == 82
    assert len(context["first_name"]) == 20 and len(context["merchant"]) == 20


@pytest.mark.parametrize(("status", "locale"), CASES)
def test_sms_fits_its_budget(status, locale):
    row = preview.message(Renderer(), status, locale, "sms")
    assert row.text.endswith(preview.SAMPLE_LINK)
    assert row.budget == (2 if status == "hold_by_courier" else 1)
    assert not row.over_budget, f"{locale}/{status}/sms.txt costs {row.cost}: shorten it\n{row.text}"


@pytest.mark.parametrize(
    ("locale", "start"),
    [
        ("es", "Farmacias del Puerto: Guadalupe-Concepcion, el repartidor ya llego."),
        ("pt", "Padaria Sao Benedito: Maria-José-Conceicao, o entregador ja chegou."),
        ("en", "Hudson Hardware Shop: Christopher-Jonathan, your courier has arrived."),
    ],
)
def test_spanish_and_portuguese_are_folded_to_gsm7_by_default(locale, start):
    assert preview.message(Renderer(), "at_dropoff", locale, "sms").text.startswith(start)


def test_a_longer_template_is_over_budget(tmp_path):
    (tmp_path / "es" / "at_dropoff").mkdir(parents=True)
    longer = "{{ merchant }}: {{ first_name }}, el repartidor ya llegó. Sal a recibirlo. {{ tracking_url }}"
    (tmp_path / "es" / "at_dropoff" / "sms.txt").write_text(longer)
    (row,) = preview.preview(Renderer(Path(tmp_path)), ["at_dropoff"], ["es"])
    assert (row.channel, row.cost.segments, row.over_budget) == ("sms", 2, True)


def test_a_broken_template_is_a_row_with_its_error(tmp_path):
    (tmp_path / "en" / "x").mkdir(parents=True)
    (tmp_path / "en" / "x" / "sms.txt").write_text("{{ nobody }}")
    (row,) = preview.preview(Renderer(Path(tmp_path)), locales=["en"])
    assert row.error == "UndefinedError: 'nobody' is undefined" and not row.over_budget


def test_preview_covers_every_template():
    rows = preview.preview()
    assert len(rows) == 6 * 3 * 2 and not [r for r in rows if r.error or r.over_budget]


class Tags(HTMLParser):
    """Every start tag with its attributes."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def sent_email(status: str, locale: str):
    """The email as the relay receives it, parsed back from its bytes."""
    row = preview.message(Renderer(), status, locale, "email")
    payload = {"to": "maria@example.com", "subject": row.email.subject, "text": row.email.text, "html": row.email.html}
    raw = build_email("n0123456789", payload, "Acme <tracking@acme.example>").as_bytes()
    return message_from_bytes(raw, policy=policy.default)


@pytest.mark.parametrize(("status", "locale"), CASES)
def test_email_is_multipart_alternative_in_utf8(status, locale):
    message = sent_email(status, locale)
    assert message.get_content_type() == "multipart/alternative"
    parts = [(p.get_content_type(), p.get_content_charset()) for p in message.iter_parts()]
    assert parts == [("text/plain", "utf-8"), ("text/html", "utf-8")]
    assert message["Message-ID"] == "<n0123456789@acme.example>"
    assert message["Subject"] == preview.message(Renderer(), status, locale, "email").text
    assert "\n" not in message["Subject"]
    assert preview.SAMPLE_LINK in message.get_body(("plain",)).get_content()


@pytest.mark.parametrize(("status", "locale"), CASES)
def test_email_html_has_lang_a_tracking_button_and_nothing_external(status, locale):
    html = sent_email(status, locale).get_body(("html",)).get_content()
    tags = Tags(html).tags
    assert ("html", {"lang": locale}) in tags
    assert ("a", {"class": "button", "href": preview.SAMPLE_LINK, "target": "_blank", "rel": "noopener"}) in [
        (tag, {k: v for k, v in attrs.items() if k != "style"}) for tag, attrs in tags
    ]
    assert {attrs.get("href") for tag, attrs in tags if tag == "a"} == {preview.SAMPLE_LINK}
    assert not [tag for tag, _ in tags if tag in ("script", "link", "iframe", "object", "embed", "form")]
    assert not [attrs for tag, attrs in tags if tag == "img" and not (attrs.get("src") or "").startswith("data:")]
    assert "url(" not in html and "@import" not in html and "<style" not in html


def test_preview_command_prints_each_sms_and_subject(app):
    result = flask_cli(app)(args=["messages", "preview", "--locale", "es"])
    assert result.exit_code == 0, result.output
    assert "es going_to_dropoff sms: 159 chars, GSM-7, 1 segment, 159/160 units\n" in result.output
    assert "  Farmacias del Puerto: Guadalupe-Concepcion, tu pedido va en camino. Siguelo: https://" in result.output
    assert "  Subject: Tu pedido de Farmacias del Puerto va en camino\n" in result.output
    assert result.output.endswith("6 SMS, 6 emails: 0 SMS over budget, 0 templates failed\n")


def test_preview_command_warns_over_budget(app, tmp_path):
    (tmp_path / "pt" / "at_dropoff").mkdir(parents=True)
    (tmp_path / "pt" / "at_dropoff" / "sms.txt").write_text("{{ merchant }}: " + "ã" * 60 + " {{ tracking_url }}")
    app.extensions["notifier"].renderer = Renderer(Path(tmp_path))
    result = flask_cli(app)(args=["messages", "preview", "--status", "at_dropoff", "--locale", "pt"])
    heading = "pt at_dropoff sms: 165 chars, GSM-7, 2 segments, 165/160 units  WARNING: over budget (max 1)"
    assert heading in result.output
    assert result.exit_code == 0 and "1 SMS over budget" in result.output


def test_preview_command_unknown_status(app):
    result = flask_cli(app)(args=["messages", "preview", "--status", "nope"])
    assert result.exit_code == 1 and "no templates for status 'nope'" in result.output
