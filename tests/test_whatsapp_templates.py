"""The WHATSAPP_TEMPLATES file, WhatsApp's variable rules, and the approved texts kept next to the other templates."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from worker import statuses
from worker.rules import DEFAULT_RULES
from worker.settings import LOCALES
from worker.toml_lines import line_of
from worker.whatsapp_templates import (
    MAX_BODY,
    WhatsAppTemplate,
    WhatsAppTemplatesError,
    approved_text,
    check_length,
    content_variables,
    load,
    parse,
    placeholders,
    render,
    sanitise,
    text_problems,
    variable_problems,
)

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "whatsapp_templates.example.toml"
TEMPLATES = ROOT / "templates"
NAMES = ("first_name", "recipient_name", "merchant", "reference", "reason", "tracking_url", "delivery_id")
SID = "HX0123456789abcdef0123456789abcdef"
GOOD = f"""\
[going_to_dropoff.es]
content_sid = "{SID}"
variables = {{ "1" = "first_name", "2" = "merchant", "3" = "tracking_url" }}
"""


def check(text: str, required: dict[str, tuple[str, ...]] | None = None) -> dict[tuple[str, str], WhatsAppTemplate]:
    return parse(
        text,
        "wa.toml",
        statuses=statuses.KNOWN,
        locales=LOCALES,
        variable_names=NAMES,
        required=required if required is not None else {"going_to_dropoff": ("es",)},
    )


def refusal(text: str, required: dict[str, tuple[str, ...]] | None = None) -> str:
    with pytest.raises(WhatsAppTemplatesError) as caught:
        check(text, required)
    return str(caught.value)


def test_good_file_parses_with_ordered_variables() -> None:
    found = check(GOOD)
    template = found[("going_to_dropoff", "es")]
    assert template.content_sid == SID
    assert list(template.variables.items()) == [("1", "first_name"), ("2", "merchant"), ("3", "tracking_url")]


@pytest.mark.parametrize(
    ("sid", "why"),
    [
        ("HX0123", "too short"),
        ("MG0123456789abcdef0123456789abcdef", "a Messaging Service sid"),
        ("HX0123456789abcdef0123456789abcdeg", "not hex"),
        ("HX0123456789abcdef0123456789abcdef0", "too long"),
        ("hx0123456789abcdef0123456789abcdef", "lower-case prefix"),
    ],
)
def test_bad_content_sid_names_file_and_line(sid: str, why: str) -> None:
    message = refusal(GOOD.replace(SID, sid))
    assert "wa.toml, line 2:" in message, why
    assert "HX followed by 32 hex digits" in message


def test_unknown_variable_name_names_its_line() -> None:
    text = GOOD.replace('"2" = "merchant"', '"2" = "shop"')
    message = refusal(text)
    assert "wa.toml, line 3:" in message
    assert "'shop'" in message and "merchant" in message


def test_variable_keys_with_a_gap_are_refused() -> None:
    message = refusal(GOOD.replace('"3" = "tracking_url"', '"4" = "tracking_url"'))
    assert "line 3" in message and '"1" to "3" without gaps' in message


@pytest.mark.parametrize("keys", [('"0"', '"1"'), ('"01"', '"2"'), ('"a"', '"1"')])
def test_variable_keys_must_be_plain_numbers_from_one(keys: tuple[str, str]) -> None:
    variables = f'variables = {{ {keys[0]} = "merchant", {keys[1]} = "reason" }}'
    text = f'[going_to_dropoff.es]\ncontent_sid = "{SID}"\n{variables}\n'
    assert "without gaps" in refusal(text)


def test_unknown_status_and_locale() -> None:
    text = GOOD + f'\n[on_the_way.es]\ncontent_sid = "{SID}"\n\n[going_to_dropoff.fr]\ncontent_sid = "{SID}"\n'
    message = refusal(text)
    assert "line 5: unknown status 'on_the_way'" in message
    assert "line 8: unknown locale 'fr'" in message


def test_missing_locale_names_the_status_line() -> None:
    message = refusal("# header\n" + GOOD, {"going_to_dropoff": ("es", "pt")})
    assert "wa.toml, line 2: no [going_to_dropoff.pt] template" in message


def test_missing_status_entirely_names_the_file() -> None:
    message = refusal(GOOD, {"at_dropoff": ("es",)})
    assert "wa.toml: no [at_dropoff.es] template" in message


def test_unknown_field_is_a_typo() -> None:
    message = refusal(GOOD + 'content-sid = "x"\n')
    assert "line 4" in message and "unknown field 'content-sid'" in message


def test_every_problem_is_listed_at_once() -> None:
    text = GOOD.replace(SID, "HX1").replace('"merchant"', '"shop"')
    message = refusal(text, {"going_to_dropoff": ("es", "en")})
    assert message.count("wa.toml") == 3


def test_invalid_toml_is_refused_with_the_file() -> None:
    assert "wa.toml: not valid TOML" in refusal("[going_to_dropoff.es\n")


def test_load_names_an_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(WhatsAppTemplatesError, match="cannot read"):
        load(tmp_path / "absent.toml", statuses=statuses.KNOWN, locales=LOCALES, variable_names=NAMES, required={})


# --- line_of ------------------------------------------------------------------------------------------------------

MULTI = f"""\
# comment = not a key
[ "going_to_dropoff" . es ]
content_sid = '{SID}'

[going_to_dropoff.es.variables]
1 = "first_name"
"2" = "merchant"

[at_dropoff]
pt.content_sid = "{SID}"
pt.variables = {{ "1" = "merchant" }}
"""


@pytest.mark.parametrize(
    ("path", "line"),
    [
        (("going_to_dropoff",), 2),
        (("going_to_dropoff", "es"), 2),
        (("going_to_dropoff", "es", "content_sid"), 3),
        (("going_to_dropoff", "es", "variables"), 5),
        (("going_to_dropoff", "es", "variables", "1"), 6),
        (("going_to_dropoff", "es", "variables", "2"), 7),
        (("at_dropoff", "pt"), 10),
        (("at_dropoff", "pt", "variables", "1"), 11),
        (("completed",), None),
    ],
)
def test_line_of_finds_tables_dotted_keys_and_quoted_keys(path: tuple[str, ...], line: int | None) -> None:
    assert line_of(MULTI, path) == line


def test_errors_point_into_sub_tables() -> None:
    text = MULTI.replace('"2" = "merchant"', '"2" = "shop"')
    with pytest.raises(WhatsAppTemplatesError, match=r"line 7: going_to_dropoff.es: variable 2 names 'shop'"):
        check(text, {})


# --- sanitise and content_variables ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Ana\nMaría", "Ana María"),
        ("Ana\r\nMaría", "Ana María"),
        ("Ana\tMaría", "Ana María"),
        ("Ana" + " " * 10 + "María", "Ana María"),
        ("Ana\u2028María", "Ana María"),
        ("  Ana  ", "Ana"),
        ("José 🎉", "José 🎉"),
        ("", "-"),
        ("   \n\t ", "-"),
        (None, "-"),
        (1234, "1234"),
    ],
)
def test_sanitise_makes_values_whatsapp_accepts(value: object, expected: str) -> None:
    result = sanitise(value)
    assert result == expected
    assert variable_problems(result) == []


def test_sanitise_trims_to_budget_with_an_ellipsis() -> None:
    result = sanitise("x" * 500, 200)
    assert len(result) == 200 and result.endswith("…")
    assert sanitise("short", 200) == "short"


@pytest.mark.parametrize(
    ("value", "problem"),
    [("", "is empty"), ("a\nb", "newline"), ("a\tb", "newline or tab"), ("a     b", "more than 4 spaces")],
)
def test_variable_problems_spot_what_whatsapp_refuses(value: str, problem: str) -> None:
    assert any(problem in p for p in variable_problems(value))
    assert variable_problems("a    b") == []  # four spaces are allowed


def test_content_variables_fill_from_the_context() -> None:
    template = check(GOOD)[("going_to_dropoff", "es")]
    context = {"first_name": "Ana\nMaría", "merchant": "", "tracking_url": "https://t.example/" + "a" * 300}
    variables = content_variables(template, context, placeholders={"first_name": "cliente"})
    assert variables == {"1": "Ana María", "2": "-", "3": context["tracking_url"]}  # links are never cut
    assert json.loads(json.dumps(variables)) == variables
    cut = content_variables(template, context, limits={"tracking_url": 10, "merchant": 10})
    assert cut["3"] == context["tracking_url"]  # even when asked to, a link is never cut
    assert content_variables(template, {"merchant": "Tienda"}, placeholders={"first_name": "cliente"})["1"] == "cliente"


def test_a_very_long_reason_is_cut_to_its_budget() -> None:
    template = WhatsAppTemplate("hold_by_courier", "es", SID, {"1": "reason"})
    assert len(content_variables(template, {"reason": "Nadie en casa. " * 100})["1"]) == 200


# --- approved texts ----------------------------------------------------------------------------------------------


def test_render_replaces_placeholders_and_refuses_a_missing_one() -> None:
    assert render("Hola {{1}}, ve {{ 2 }}.", {"1": "Ana", "2": "x"}) == "Hola Ana, ve x."
    with pytest.raises(WhatsAppTemplatesError, match=r"\{\{2\}\}"):
        render("Hola {{1}} {{2}}", {"1": "Ana"})


def test_check_length_refuses_over_1024() -> None:
    assert check_length("Hola {{1}}.", {"1": "a" * 1000}) == "Hola " + "a" * 1000 + "."
    with pytest.raises(WhatsAppTemplatesError, match="1,024|1024"):
        check_length("Hola {{1}}.", {"1": "a" * MAX_BODY})


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("{{1}} llegó. {{2}} ok", "starts or ends"),
        ("Hola, mira {{1}} {{2}}", "starts or ends"),
        ("Hola {{1}}{{2}} ok", "side by side"),
        ("Hola {{1}} ok", "mapping gives"),
    ],
)
def test_text_problems_catch_what_meta_will_not_approve(text: str, problem: str) -> None:
    template = WhatsAppTemplate("completed", "es", SID, {"1": "merchant", "2": "tracking_url"})
    assert any(problem in p for p in text_problems(text, template))
    assert text_problems("Hola {{1}}, mira {{2}}\nGracias.", template) == []


# --- the example mapping and the approved texts shipped with the service -----------------------------------------

REQUIRED = {status: LOCALES for status in DEFAULT_RULES}
WORST = {
    "first_name": "Maximiliana Fernanda",  # 20 characters
    "recipient_name": "Maximiliana Fernanda de la Torre Villavicencio",
    "merchant": "M" * 60,
    "reference": "R" * 40,
    "reason": "El destinatario no se encontraba en el domicilio. " * 10,
    "tracking_url": "https://tracking.shippify.co/t/" + "a" * 51,  # 82 characters
    "delivery_id": "d" * 36,
}


def example() -> dict[tuple[str, str], WhatsAppTemplate]:
    return load(EXAMPLE, statuses=statuses.KNOWN, locales=LOCALES, variable_names=NAMES, required=REQUIRED)


def test_worst_case_values_are_what_the_brief_says() -> None:
    assert len(WORST["first_name"]) == 20 and len(WORST["tracking_url"]) == 82


def test_example_covers_every_default_status_in_every_locale() -> None:
    assert set(example()) == {(status, locale) for status in DEFAULT_RULES for locale in LOCALES}
    assert "EXAMPLE" in EXAMPLE.read_text(encoding="utf-8")


@pytest.mark.parametrize(("status", "locale"), [(s, loc) for s in DEFAULT_RULES for loc in LOCALES])
def test_each_approved_text_matches_its_mapping_and_fits(status: str, locale: str) -> None:
    template = example()[(status, locale)]
    text = approved_text(TEMPLATES, locale, status)
    assert text_problems(text, template) == []
    body = check_length(text, content_variables(template, WORST))
    assert WORST["tracking_url"] in body
    assert "{{" not in body


def test_example_sids_are_unique_and_plainly_fake() -> None:
    sids = [t.content_sid for t in example().values()]
    assert len(set(sids)) == len(sids)
    assert all(sid.startswith("HX0000000000") for sid in sids)
    tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))


def test_missing_approved_text_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(WhatsAppTemplatesError, match=r"es/completed/whatsapp.txt"):
        approved_text(tmp_path, "es", "completed")
    assert placeholders("a {{2}} b {{1}}") == ["2", "1"]
