"""WhatsApp Content templates: the WHATSAPP_TEMPLATES file, the variables sent with them, and their approved text.

WhatsApp only takes business-initiated messages as templates approved in Twilio's Content Template Builder, and it
refuses variables holding newlines, tabs, more than 4 spaces in a row or nothing at all (Twilio 63013/21656), and
bodies over 1,024 characters once the variables are in (63021). This module checks all of that before a send, so
that a bad file stops the process at start and a bad value never costs a failed message. It imports nothing from
the rest of the service: callers pass the statuses, locales and variable names they know.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from worker.toml_lines import line_of, loads, located, read

CONTENT_SID = re.compile(r"^HX[0-9a-fA-F]{32}$")
MAX_BODY = 1024
MAX_SPACES = 4
PLACEHOLDER = "-"
FIELDS = frozenset({"content_sid", "variables"})
# Per-variable budgets: a long reason or merchant is cut with an ellipsis; links and ids are never cut.
LIMITS: Mapping[str, int] = {"first_name": 40, "recipient_name": 60, "merchant": 60, "reference": 40, "reason": 200}
UNBREAKABLE = frozenset({"tracking_url", "delivery_id"})
BREAKS = re.compile(r"[\r\n\t\v\f\x85\u2028\u2029]")
SPACES = re.compile(r" {2,}")
PLACEHOLDER_PATTERN = re.compile(r"\{\{\s*(\d+)\s*\}\}")


class WhatsAppTemplatesError(ValueError):
    """The WhatsApp templates file or an approved text cannot be used; the message names the file, line and fix."""


@dataclass(frozen=True)
class WhatsAppTemplate:
    """One approved Content template: which status and locale it serves, its sid, and what fills each variable."""

    status: str
    locale: str
    content_sid: str
    variables: Mapping[str, str] = field(default_factory=dict)  # "1" -> a template context name, in order


# --- the WHATSAPP_TEMPLATES file ---------------------------------------------------------------------------------


def load(
    path: str | Path,
    *,
    statuses: Collection[str],
    locales: Collection[str],
    variable_names: Collection[str],
    required: Mapping[str, Collection[str]],
) -> dict[tuple[str, str], WhatsAppTemplate]:
    """Read and check a WHATSAPP_TEMPLATES file; raises WhatsAppTemplatesError listing every problem."""
    text = read(path, "WHATSAPP_TEMPLATES", WhatsAppTemplatesError)
    return parse(text, str(path), statuses=statuses, locales=locales, variable_names=variable_names, required=required)


def parse(
    text: str,
    path: str,
    *,
    statuses: Collection[str],
    locales: Collection[str],
    variable_names: Collection[str],
    required: Mapping[str, Collection[str]],
) -> dict[tuple[str, str], WhatsAppTemplate]:
    """Check a WHATSAPP_TEMPLATES text; `required` says which locales each status must have."""
    data = loads(text, path, WhatsAppTemplatesError)
    problems: list[tuple[int, str]] = []
    found: dict[tuple[str, str], WhatsAppTemplate] = {}
    for status, by_locale in data.items():
        problems += status_problems(text, status, by_locale, statuses, locales)
        if status in statuses and isinstance(by_locale, dict):
            for locale, table in by_locale.items():
                checked = check_table(text, (status, locale), table, variable_names)
                problems += checked[1]
                if checked[0] is not None and locale in locales:
                    found[(status, locale)] = checked[0]
    problems += missing_problems(text, found, required)
    if problems:
        raise WhatsAppTemplatesError("WHATSAPP_TEMPLATES has problems:\n" + located(path, problems))
    return found


def status_problems(
    text: str, status: str, by_locale: Any, statuses: Collection[str], locales: Collection[str]
) -> list[tuple[int, str]]:
    """An unknown status, a status that is not a table of locales, or an unknown locale."""
    line = line_of(text, (status,)) or 0
    if status not in statuses:
        return [(line, f"unknown status {status!r}: use a Shippify status such as going_to_dropoff")]
    if not isinstance(by_locale, dict):
        return [(line, f"{status} must hold one table per locale, e.g. [{status}.es]")]
    return [
        (line_of(text, (status, locale)) or line, f"unknown locale {locale!r}: use one of {', '.join(locales)}")
        for locale in by_locale
        if locale not in locales
    ]


def check_table(
    text: str, where: tuple[str, str], table: Any, variable_names: Collection[str]
) -> tuple[WhatsAppTemplate | None, list[tuple[int, str]]]:
    """One [status.locale] table: its content_sid and variables, with the line of each problem."""
    name = ".".join(where)
    line = line_of(text, where) or 0
    if not isinstance(table, dict):
        return None, [(line, f"{name} must be a table with content_sid and variables")]
    problems = [
        (line_of(text, (*where, key)) or line, f"{name}: unknown field {key!r}") for key in table.keys() - FIELDS
    ]
    sid = table.get("content_sid")
    if not isinstance(sid, str) or not CONTENT_SID.match(sid):
        problems.append(
            (
                line_of(text, (*where, "content_sid")) or line,
                f"{name}: content_sid must be HX followed by 32 hex digits, as Twilio's Content Template Builder "
                f"shows it (got {sid!r})",
            )
        )
    variables, variable_problems = check_variables(text, where, table.get("variables", {}), variable_names)
    problems += variable_problems
    if problems:
        return None, problems
    return WhatsAppTemplate(where[0], where[1], str(sid), variables), []


def check_variables(
    text: str, where: tuple[str, str], variables: Any, variable_names: Collection[str]
) -> tuple[dict[str, str], list[tuple[int, str]]]:
    """Variables keyed "1".."N" without gaps, each naming a template context variable."""
    name = ".".join(where)
    line = line_of(text, (*where, "variables")) or line_of(text, where) or 0
    if not isinstance(variables, dict):
        return {}, [(line, f'{name}: variables must be a table such as {{ "1" = "first_name" }}')]
    problems: list[tuple[int, str]] = []
    for key, value in variables.items():
        if value not in variable_names:
            problems.append(
                (
                    line_of(text, (*where, "variables", key)) or line,
                    f"{name}: variable {key} names {value!r}, which is not a template variable; "
                    f"use one of {', '.join(sorted(variable_names))}",
                )
            )
    expected = [str(n) for n in range(1, len(variables) + 1)]
    if sorted(variables, key=lambda k: (len(k), k)) != expected:
        problems.append(
            (line, f'{name}: variable keys must be "1" to "{len(variables)}" without gaps (got {sorted(variables)})')
        )
    ordered = {key: str(variables[key]) for key in expected if key in variables}
    return ordered, problems


def missing_problems(
    text: str, found: Mapping[tuple[str, str], WhatsAppTemplate], required: Mapping[str, Collection[str]]
) -> list[tuple[int, str]]:
    """Every (status, locale) the rules need that the file does not give."""
    problems = []
    for status, needed in required.items():
        for locale in needed:
            if (status, locale) not in found and line_of(text, (status, locale)) is None:
                line = line_of(text, (status,)) or 0
                problems.append((line, f"no [{status}.{locale}] template: a rule sends WhatsApp for {status}; add it"))
    return problems


# --- variables ----------------------------------------------------------------------------------------------------


def sanitise(value: object, limit: int | None = None, placeholder: str = PLACEHOLDER) -> str:
    """A value WhatsApp accepts as a variable: one line, no tabs, single spaces, never empty, within `limit`."""
    text = SPACES.sub(" ", BREAKS.sub(" ", "" if value is None else str(value))).strip()
    if limit is not None and len(text) > limit:
        text = text[: max(limit - 1, 0)].rstrip() + "…"
    return text or placeholder


def content_variables(
    template: WhatsAppTemplate,
    context: Mapping[str, object],
    limits: Mapping[str, int] = LIMITS,
    placeholders: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The ContentVariables object for a send (json.dumps it): each template variable filled from the context.

    `placeholders` gives what an empty value becomes, per context name (e.g. {"first_name": "cliente"});
    anything else empty becomes "-", since WhatsApp refuses an empty variable.
    """
    fill = placeholders or {}
    return {
        key: sanitise(context.get(name), None if name in UNBREAKABLE else limits.get(name), fill.get(name, PLACEHOLDER))
        for key, name in template.variables.items()
    }


def variable_problems(value: str) -> list[str]:
    """Why WhatsApp would refuse this value as a variable (empty when it would not)."""
    problems = []
    if not value.strip():
        problems.append("is empty")
    if BREAKS.search(value):
        problems.append("holds a newline or tab")
    if " " * (MAX_SPACES + 1) in value:
        problems.append(f"holds more than {MAX_SPACES} spaces in a row")
    return problems


# --- approved text ------------------------------------------------------------------------------------------------


def approved_text_path(templates_dir: str | Path, locale: str, status: str) -> Path:
    """Where the approved body of a status's WhatsApp template lives, next to its SMS and email."""
    return Path(templates_dir) / locale / status / "whatsapp.txt"


def approved_text(templates_dir: str | Path, locale: str, status: str) -> str:
    """The approved body text, with Twilio's {{1}} placeholders, as entered in the Content Template Builder."""
    path = approved_text_path(templates_dir, locale, status)
    try:
        return path.read_text(encoding="utf-8").rstrip("\n")
    except (OSError, UnicodeDecodeError) as exc:
        raise WhatsAppTemplatesError(f"{path}: cannot read the approved WhatsApp text ({exc}); add the file") from None


def placeholders(text: str) -> list[str]:
    """The variable keys an approved text uses, in order of appearance."""
    return [match.group(1) for match in PLACEHOLDER_PATTERN.finditer(text)]


def render(text: str, variables: Mapping[str, str]) -> str:
    """What the recipient sees: the approved text with each {{n}} replaced by its variable."""

    def value(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in variables:
            raise WhatsAppTemplatesError(f"the approved text uses {{{{{key}}}}} but no variable {key} is given")
        return variables[key]

    return PLACEHOLDER_PATTERN.sub(value, text)


def text_problems(text: str, template: WhatsAppTemplate) -> list[str]:
    """Mismatches between an approved text and its mapping, and shapes Meta will not approve without samples."""
    used = placeholders(text)
    problems = []
    if set(used) != set(template.variables):
        problems.append(f"uses variables {sorted(set(used))} but the mapping gives {sorted(template.variables)}")
    stripped = text.strip()
    if PLACEHOLDER_PATTERN.match(stripped) or stripped.endswith("}}"):
        problems.append("starts or ends with a variable (Meta then needs sample values to approve it)")
    if re.search(r"\}\}\s*\{\{", text):
        problems.append("has two variables side by side (Meta then needs sample values to approve it)")
    if len(text) > MAX_BODY:
        problems.append(f"is {len(text)} characters; WhatsApp allows {MAX_BODY}")
    return problems


def check_length(text: str, variables: Mapping[str, str]) -> str:
    """The rendered body, or WhatsAppTemplatesError when it is over WhatsApp's 1,024 characters (Twilio 63021)."""
    body = render(text, variables)
    if len(body) > MAX_BODY:
        raise WhatsAppTemplatesError(
            f"the WhatsApp body is {len(body)} characters with its variables; WhatsApp allows {MAX_BODY}: "
            "shorten the approved text or lower the variable limits"
        )
    return body
