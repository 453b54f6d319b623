"""WhatsApp settings and rules: a rule sending WhatsApp needs a sender and a template file, the file's problems are
named with their file and line, and a fallback is refused when it would send twice or cannot be told apart."""

from pathlib import Path

import pytest

from tests.test_settings import PRODUCTION
from worker.rules import Fallback
from worker.settings import Settings, SettingsError

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = str(ROOT / "whatsapp_templates.example.toml")
WHATSAPP = {"WHATSAPP_FROM": "whatsapp:+15005550006", "WHATSAPP_TEMPLATES": EXAMPLE}
RULE = '[going_to_dropoff]\nchannels = ["whatsapp", "email"]\nfallback = { whatsapp = "sms" }\n'


def load(tmp_path: Path, rules: str, **env: str) -> Settings:
    path = tmp_path / "rules.toml"
    path.write_text(rules)
    return Settings.from_env({**PRODUCTION, **WHATSAPP, "NOTIFY_RULES": str(path), **env})


def refused(tmp_path: Path, rules: str, **env: str) -> str:
    with pytest.raises(SettingsError) as raised:
        load(tmp_path, rules, **env)
    return str(raised.value)


def test_a_whatsapp_rule_with_fallback_loads_sender_and_templates(tmp_path):
    settings = load(tmp_path, RULE + 'fallback_after = "10m"\n')
    assert settings.whatsapp_from == "whatsapp:+15005550006"
    template = settings.whatsapp_templates[("going_to_dropoff", "es")]
    assert template.content_sid == "HX0000000000000000000000000000e001"
    assert dict(template.variables) == {"1": "first_name", "2": "merchant", "3": "tracking_url"}
    assert settings.rules.channels_for("going_to_dropoff") == ("whatsapp", "email")
    assert settings.rules.fallback_for("going_to_dropoff", "whatsapp") == Fallback("sms", 600.0)
    assert settings.rules.fallback_for("going_to_dropoff", "email") is None


def test_seconds_let_a_short_window_be_configured(tmp_path):
    settings = load(tmp_path, RULE + 'fallback_after = "2s"\n')
    assert settings.rules.fallback_for("going_to_dropoff", "whatsapp") == Fallback("sms", 2.0)


def test_whatsapp_settings_are_empty_without_them():
    settings = Settings.from_env(PRODUCTION)
    assert settings.whatsapp_from == "" and settings.whatsapp_templates == {}


def test_a_whatsapp_rule_needs_sender_and_templates(tmp_path):
    message = refused(tmp_path, RULE, WHATSAPP_FROM="", WHATSAPP_TEMPLATES="")
    assert "WHATSAPP_FROM (whatsapp:+<sender>) or TWILIO_MESSAGING_SERVICE_SID is required" in message
    assert "WHATSAPP_TEMPLATES is required: a rule sends WhatsApp" in message


def test_a_messaging_service_is_a_sender_too(tmp_path):
    settings = load(tmp_path, RULE, WHATSAPP_FROM="", TWILIO_MESSAGING_SERVICE_SID="MG" + "1" * 32)
    assert settings.whatsapp_from == "" and settings.whatsapp_templates


def test_the_fallback_channel_needs_its_own_settings(tmp_path):
    env = {name: "" for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM")}
    message = refused(tmp_path, RULE, **env)
    assert "TWILIO_ACCOUNT_SID is required" in message and "TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID" in message


TWILIO_ACCOUNT = [
    "TWILIO_ACCOUNT_SID is required (Twilio console → Account info), or remove sms and whatsapp from NOTIFY_RULES",
    "TWILIO_AUTH_TOKEN is required (Twilio console → Account info)",
]
MAIL = [
    "SMTP_URL is required (smtp://user:password@host:587 of your mail relay), or remove email from NOTIFY_RULES",
    'MAIL_FROM is required (e.g. "Acme Deliveries <tracking@acme.example>")',
]
SMS_SENDER = ["TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID is required (the SMS sender)"]
WITHOUT_PROVIDERS = {
    name: "" for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM", "SMTP_URL", "MAIL_FROM")
}


@pytest.mark.parametrize(
    ("rules", "problems"),
    [
        ('[completed]\nchannels = ["email"]\n', MAIL),
        ('[going_to_dropoff]\nchannels = ["whatsapp"]\n', TWILIO_ACCOUNT),
        ('[at_dropoff]\nchannels = ["sms"]\n', TWILIO_ACCOUNT + SMS_SENDER),
        (RULE, TWILIO_ACCOUNT + SMS_SENDER + MAIL),  # WhatsApp and its SMS fallback share one account, named once
    ],
)
def test_each_channel_a_rule_uses_requires_its_own_settings(tmp_path, rules, problems):
    with pytest.raises(SettingsError) as raised:
        load(tmp_path, rules, **WITHOUT_PROVIDERS)
    assert raised.value.problems == problems


def test_whatsapp_needs_the_twilio_account_but_neither_sms_sender_nor_mail(tmp_path):
    only = {**WITHOUT_PROVIDERS, "TWILIO_ACCOUNT_SID": "AC" + "1" * 32, "TWILIO_AUTH_TOKEN": "token"}
    settings = load(tmp_path, '[going_to_dropoff]\nchannels = ["whatsapp"]\n', **only)
    assert settings.rules.channels_for("going_to_dropoff") == ("whatsapp",)
    assert settings.twilio_from == "" and settings.smtp_url == ""


def test_a_malformed_sender_is_named(tmp_path):
    assert "WHATSAPP_FROM='+15005550006' must look like whatsapp:+" in refused(
        tmp_path, RULE, WHATSAPP_FROM="+15005550006"
    )


def test_template_file_problems_name_the_file_and_line(tmp_path):
    templates = tmp_path / "wa.toml"
    templates.write_text('[going_to_dropoff.es]\ncontent_sid = "HX12"\nvariables = { "1" = "first_name" }\n')
    message = refused(tmp_path, RULE, WHATSAPP_TEMPLATES=str(templates))
    assert f"{templates}, line 2: going_to_dropoff.es: content_sid must be HX followed by 32 hex digits" in message
    assert f"{templates}, line 1: no [going_to_dropoff.pt] template: a rule sends WhatsApp" in message


def test_an_unreadable_template_file_is_named(tmp_path):
    assert "WHATSAPP_TEMPLATES: cannot read /nonexistent/wa.toml" in refused(
        tmp_path, RULE, WHATSAPP_TEMPLATES="/nonexistent/wa.toml"
    )


@pytest.mark.parametrize(
    ("rules", "words"),
    [
        (
            '[at_dropoff]\nchannels = ["whatsapp", "sms"]\nfallback = { whatsapp = "sms" }\n',
            "[at_dropoff] fallback: sms is already among the rule's channels: remove it there, or the recipient gets"
            " both",
        ),
        (
            '[at_dropoff]\nchannels = ["whatsapp"]\nfallback = { whatsapp = "fax" }\n',
            "[at_dropoff] fallback: whatsapp = 'fax' must name another channel",
        ),
        (
            '[at_dropoff]\nchannels = ["whatsapp"]\nfallback = { email = "sms" }\n',
            "[at_dropoff] fallback: 'email' is not among the rule's channels (whatsapp)",
        ),
        (
            '[at_dropoff]\nchannels = ["email"]\nfallback = { email = "sms" }\n',
            "[at_dropoff] fallback: email cannot tell when it did not reach the recipient; only whatsapp may fall back",
        ),
        (
            '[at_dropoff]\nchannels = ["whatsapp"]\nfallback = "sms"\n',
            '[at_dropoff] fallback must be a table such as { whatsapp = "sms" }',
        ),
        (
            '[at_dropoff]\nchannels = ["whatsapp"]\nfallback = { whatsapp = "sms" }\nfallback_after = "soon"\n',
            '[at_dropoff] fallback_after must be a duration such as "10m", "1h" or "30s" (got \'soon\')',
        ),
        (
            '[at_dropoff]\nchannels = ["whatsapp"]\nfallback_after = "10m"\n',
            '[at_dropoff] fallback_after needs fallback = { whatsapp = "sms" }',
        ),
    ],
)
def test_bad_fallbacks_are_explained(tmp_path, rules, words):
    assert words in refused(tmp_path, rules)
