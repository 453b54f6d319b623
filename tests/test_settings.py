"""Settings: production refuses to start without what it needs, naming every variable at once."""

import pytest

from worker.settings import Settings, SettingsError

PRODUCTION = {
    "APP_ENV": "production",
    "REDIS_URL": "rediss://:pw@redis.example.com:6380",
    "SHIPPIFY_APP_ID": "app",
    "SHIPPIFY_APP_SECRET": "secret",
    "WEBHOOK_TOKENS": "a-very-long-webhook-secret",
    "TWILIO_ACCOUNT_SID": "AC" + "1" * 32,
    "TWILIO_AUTH_TOKEN": "token",
    "TWILIO_FROM": "+15005550006",
    "SMTP_URL": "smtp://apikey:key@smtp.sendgrid.net:587",
    "MAIL_FROM": "Tracking <tracking@acme.example>",
    "PUBLIC_BASE_URL": "https://notify.acme.example",
    "SECRET_KEY": "a-random-console-key-of-some-length",
    "CONTACT_INDEX_KEY": "a-random-index-key-of-some-length",
}


def test_complete_production_settings_load():
    settings = Settings.from_env(PRODUCTION)
    assert not settings.is_development and settings.retention_seconds == 30 * 86400
    assert settings.webhook_tokens == (b"a-very-long-webhook-secret",)
    assert settings.rules.channels_for("going_to_dropoff") == ("sms", "email")


def test_empty_environment_names_every_required_variable_in_one_message():
    with pytest.raises(SettingsError) as raised:
        Settings.from_env({})
    message = str(raised.value)
    for name in (
        "REDIS_URL",
        "SHIPPIFY_APP_ID",
        "SHIPPIFY_APP_SECRET",
        "WEBHOOK_TOKENS",
        "SECRET_KEY",
        "CONTACT_INDEX_KEY",
        "TWILIO_ACCOUNT_SID",
        "TWILIO_AUTH_TOKEN",
        "TWILIO_FROM",
        "SMTP_URL",
        "MAIL_FROM",
        "PUBLIC_BASE_URL",
    ):
        assert name in message


@pytest.mark.parametrize(
    ("name", "value", "words"),
    [
        ("RETENTION_DAYS", "soon", "RETENTION_DAYS='soon' must be a int"),
        ("RETENTION_DAYS", "0", "at least 1"),
        ("DEFAULT_LOCALE", "fr", "must be one of es, pt, en"),
        ("DEFAULT_COUNTRY", "XX", "two-letter country code"),
        ("REDIS_URL", "localhost:6379", "REDIS_URL must be a URL"),
        ("SMTP_URL", "smtp.sendgrid.net", "SMTP_URL must be a URL"),
        ("PUBLIC_BASE_URL", "http://notify.acme.example", "PUBLIC_BASE_URL must be a URL starting with https://"),
        ("WEBHOOK_TOKENS", "short", "at least 16 characters"),
        ("SECRET_KEY", "short", "SECRET_KEY must be a random value"),
        (
            "CONTACT_INDEX_KEY",
            "new-random-index-key-0123,short",
            "CONTACT_INDEX_KEY: each secret must be a random value",
        ),
        ("CONTACT_INDEX_KEY", "development-only-contact-index-key", "CONTACT_INDEX_KEY: each secret must be a random"),
        ("API_TOKENS", "helpdesk", "name:token pairs"),
        ("NOTIFY_RULES", "/nonexistent/rules.toml", "cannot read"),
        ("TWILIO_SHORTEN_URLS", "true", "TWILIO_SHORTEN_URLS=true needs TWILIO_MESSAGING_SERVICE_SID"),
        ("TWILIO_SHORTEN_URLS", "maybe", "TWILIO_SHORTEN_URLS='maybe' must be true or false"),
        ("RESEND_CAP_CORRECTED", "twenty", "RESEND_CAP_CORRECTED='twenty' must be a rate such as 20/hour"),
    ],
)
def test_malformed_settings_are_named_with_the_fix(name, value, words):
    with pytest.raises(SettingsError) as raised:
        Settings.from_env({**PRODUCTION, name: value})
    assert words in str(raised.value)


def test_twilio_is_not_required_when_no_rule_sends_sms(tmp_path):
    rules = tmp_path / "rules.toml"
    rules.write_text('[completed]\nchannels = ["email"]\n')
    env = {k: v for k, v in PRODUCTION.items() if not k.startswith("TWILIO")}
    settings = Settings.from_env({**env, "NOTIFY_RULES": str(rules)})
    assert settings.rules.channels_for("going_to_dropoff") == ()
    assert settings.rules.channels_for("completed") == ("email",)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('[teleported]\nchannels = ["sms"]\n', "[teleported] is not a Shippify status"),
        ('[completed]\nchannels = ["fax"]\n', '[completed] needs channels = a list of "sms", "email" or "whatsapp"'),
        ("[completed\n", "cannot read"),
        (
            '[completed]\nchannels = ["email"]\nquiet_hours = "late"\n',
            '[completed] quiet_hours must look like "21:00-08:00"',
        ),
    ],
)
def test_bad_rules_file_is_explained(tmp_path, text, words):
    rules = tmp_path / "rules.toml"
    rules.write_text(text)
    with pytest.raises(SettingsError) as raised:
        Settings.from_env({**PRODUCTION, "NOTIFY_RULES": str(rules)})
    assert words in str(raised.value)


def test_development_accepts_plain_http_and_a_fixed_console_key():
    env = {**PRODUCTION, "APP_ENV": "development", "PUBLIC_BASE_URL": "http://127.0.0.1:5000"}
    del env["SECRET_KEY"], env["CONTACT_INDEX_KEY"]
    assert Settings.from_env(env).is_development


def test_several_contact_index_keys_are_kept_in_order_so_the_index_can_rotate():
    settings = Settings.from_env(
        {**PRODUCTION, "CONTACT_INDEX_KEY": " new-random-index-key-0123 , old-random-index-key-0123"}
    )
    assert settings.contact_index_keys == (b"new-random-index-key-0123", b"old-random-index-key-0123")


def test_secrets_do_not_show_in_the_settings_repr():
    text = repr(Settings.from_env(PRODUCTION))
    assert "a-random-index-key" not in text
    assert "a-very-long-webhook-secret" not in text and "secret" not in text.split("shippify_app_id")[1][:40]
