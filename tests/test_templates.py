"""Every template renders in every locale, with and without optional values, and treats data as text."""

from pathlib import Path

import pytest
from jinja2.exceptions import SecurityError

from worker.locales import LOCALES
from worker.locales import resolve as resolve_locale
from worker.rendering import TEMPLATES_DIR, Renderer
from worker.rules import DEFAULT_RULES

LINK = "https://api.shippify.co/track/t-shiinc-27946?token=ThegDpp8VhtbAVw1y7NjSZ&ref=server"
FULL = {
    "first_name": "Maria",
    "recipient_name": "Maria Fernanda Lopez",
    "merchant": "Farmacias del Puerto",
    "reference": "PO-00012",
    "reason": "Dirección no encontrada",
    "tracking_url": LINK,
    "delivery_id": "t-shiinc-27946",
}
SPARSE = {**FULL, "first_name": None, "recipient_name": None, "reference": None, "reason": None}
CASES = [(status, locale) for status in DEFAULT_RULES for locale in LOCALES]


@pytest.mark.parametrize(("status", "locale"), CASES)
@pytest.mark.parametrize("context", [FULL, SPARSE], ids=["full", "sparse"])
def test_every_template_renders(status, locale, context):
    renderer = Renderer()
    sms = renderer.sms(status, locale, context)
    email = renderer.email(status, locale, context)
    assert sms.endswith(LINK) and "None" not in sms
    assert "Farmacias del Puerto" in email.subject and "\n" not in email.subject
    assert LINK in email.text and "None" not in email.text
    assert LINK.replace("&", "&amp;") in email.html and f'lang="{locale}"' in email.html


@pytest.mark.parametrize(("status", "locale"), CASES)
def test_every_rule_has_all_its_files(status, locale):
    assert Renderer().missing(status, locale, "sms") == [] and Renderer().missing(status, locale, "email") == []


HOSTILE = {
    **FULL,
    "first_name": "{{ 7*7 }}",
    "recipient_name": "{% for x in range(3) %}x{% endfor %}",
    "merchant": "<script>alert(1)</script>",
    "reason": "<b>{{ config }}</b>",
}


@pytest.mark.parametrize("locale", LOCALES)
def test_values_are_text_never_template_code_and_are_escaped_in_html(locale):
    renderer = Renderer()
    sms = renderer.sms("hold_by_courier", locale, HOSTILE)
    email = renderer.email("hold_by_courier", locale, HOSTILE)
    assert "{{ 7*7 }}" in sms and "49" not in sms.replace(LINK, "")
    assert "<script>" not in email.html and "&lt;script&gt;" in email.html
    assert "&lt;b&gt;{{ config }}&lt;/b&gt;" in email.html


def test_templates_cannot_reach_python_internals(tmp_path):
    (tmp_path / "es" / "x").mkdir(parents=True)
    (tmp_path / "es" / "x" / "sms.txt").write_text("{{ tracking_url.__class__.__mro__[1].__subclasses__() }}")
    with pytest.raises(SecurityError):
        Renderer(Path(tmp_path)).sms("x", "es", FULL)


def test_templates_dir_is_the_repository_one():
    assert (TEMPLATES_DIR / "email_layout.html").is_file()


@pytest.mark.parametrize(
    ("hint", "locale"),
    [
        ("es", "es"),
        ("pt", "pt"),
        ("pr", "pt"),
        ("pt-BR", "pt"),
        ("EN", "en"),
        ("fr", "es"),
        ("", "es"),
        (None, "es"),
        (7, "es"),
    ],
)
def test_locale_resolution(hint, locale):
    assert resolve_locale(hint, "es") == locale
