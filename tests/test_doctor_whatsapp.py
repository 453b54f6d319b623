"""`doctor` on a service that sends WhatsApp: the templates file, the approved texts, and Twilio's Content API (the
sandbox's stand-in) saying whether each ContentSid exists and is approved."""

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from sandbox import Sandbox
from sandbox.local import WHATSAPP_RULES
from tests.conftest import free_port
from web.commands.doctor import doctor

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = (ROOT / "whatsapp_templates.example.toml").read_text()
GOING_ES = "HX0000000000000000000000000000e001"


@pytest.fixture
def wa_env(env: dict[str, str], sandbox: Sandbox, base_url: str) -> dict[str, str]:
    """Settings that send WhatsApp first (SMS as fallback) through the sandbox, with the example templates."""
    return {**env, **sandbox.whatsapp_env(), "NOTIFY_RULES": str(WHATSAPP_RULES), "PUBLIC_BASE_URL": base_url}


def run_doctor(env: dict[str, str], **changes: str):
    return CliRunner().invoke(doctor, env={**env, **changes}, catch_exceptions=False)


def templates_file(tmp_path: Path, old: str, new: str) -> str:
    """A copy of the example templates file with one change."""
    assert old in EXAMPLE
    path = tmp_path / "whatsapp.toml"
    path.write_text(EXAMPLE.replace(old, new, 1))
    return str(path)


def line_number(path: str, text: str) -> int:
    """The 1-based line of a file holding `text`."""
    return next(n for n, line in enumerate(Path(path).read_text().splitlines(), 1) if text in line)


def test_doctor_passes_with_whatsapp_templates_approved(wa_env):
    result = run_doctor(wa_env)
    assert result.exit_code == 0, result.output
    assert "ok    whatsapp templates (18 templates, approved texts match their variables)" in result.output
    assert "ok    whatsapp content api (18 ContentSids approved for WhatsApp)" in result.output


def test_doctor_fails_a_template_still_pending_approval(wa_env, sandbox: Sandbox):
    sandbox.set_whatsapp_approval(GOING_ES, "pending")
    result = run_doctor(wa_env)
    assert result.exit_code == 1
    assert (
        f"FAIL  whatsapp content api: {GOING_ES} ([going_to_dropoff.es]) is 'pending' for WhatsApp, not approved"
        in result.output
    )
    assert result.output.count("FAIL") == 1


def test_doctor_fails_a_sid_the_account_does_not_have(wa_env, tmp_path):
    unknown = "HX" + "ab" * 16
    path = templates_file(tmp_path, GOING_ES, unknown)
    result = run_doctor(wa_env, WHATSAPP_TEMPLATES=path)
    assert result.exit_code == 1
    line = f"FAIL  whatsapp content api: {unknown} ([going_to_dropoff.es]) is not in this Twilio account"
    assert line in result.output


def test_an_unreachable_content_api_is_a_warning_not_a_failure(wa_env):
    result = run_doctor(wa_env, TWILIO_API_URL=f"http://127.0.0.1:{free_port()}")
    assert re.search(r"^warn  whatsapp content api: http://127\.0\.0\.1:\d+ did not answer", result.output, re.M)
    assert "FAIL  whatsapp content api" not in result.output
    assert "ok    whatsapp templates" in result.output  # every other check still ran


def test_doctor_fails_an_approved_text_that_does_not_match_the_variables(wa_env, tmp_path):
    two = 'variables = { "1" = "first_name", "2" = "merchant" }'
    path = templates_file(tmp_path, 'variables = { "1" = "first_name", "2" = "merchant", "3" = "tracking_url" }', two)
    result = run_doctor(wa_env, WHATSAPP_TEMPLATES=path)
    assert result.exit_code == 1
    assert (
        "FAIL  whatsapp templates: "
        + str(ROOT / "templates/es/going_to_dropoff/whatsapp.txt")
        + " uses variables ['1', '2', '3'] but the mapping gives ['1', '2']"
    ) in result.output


def test_doctor_names_the_file_and_line_of_an_unknown_variable(wa_env, tmp_path):
    path = templates_file(tmp_path, '"1" = "first_name"', '"1" = "nickname"')
    result = run_doctor(wa_env, WHATSAPP_TEMPLATES=path)
    assert result.exit_code == 1
    line = line_number(path, "nickname")
    assert f"{path}, line {line}: going_to_dropoff.es: variable 1 names 'nickname'" in result.output
    assert "FAIL  settings: WHATSAPP_TEMPLATES has problems" in result.output


def test_doctor_names_a_missing_locale(wa_env, tmp_path):
    pt = re.search(r"\[going_to_dropoff\.pt\]\n.*\n.*\n", EXAMPLE).group(0)  # the table, its sid and variables
    path = templates_file(tmp_path, pt, "")
    result = run_doctor(wa_env, WHATSAPP_TEMPLATES=path)
    assert result.exit_code == 1
    assert "no [going_to_dropoff.pt] template: a rule sends WhatsApp for going_to_dropoff; add it" in result.output
    assert f"FAIL  settings: WHATSAPP_TEMPLATES has problems:\n{path}, line " in result.output


def test_doctor_names_the_line_of_a_malformed_content_sid(wa_env, tmp_path):
    path = templates_file(tmp_path, GOING_ES, "HX123")
    result = run_doctor(wa_env, WHATSAPP_TEMPLATES=path)
    assert result.exit_code == 1
    line = line_number(path, "HX123")
    problem = f"{path}, line {line}: going_to_dropoff.es: content_sid must be HX followed by 32 hex digits"
    assert problem in result.output
