"""Every setting the service reads, from the environment (and `.env`), validated together at start."""

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

import phonenumbers

from worker import channels, prices, whatsapp_settings
from worker import rules as rules_module
from worker.locales import FOLD_BY_DEFAULT, LOCALES
from worker.rules import Rules, RulesError
from worker.setting_values import ValueReader, required
from worker.whatsapp_templates import WhatsAppTemplate

DEVELOPMENT_ENVS = ("development", "test")
DEV_SECRET_KEY = "development-only-secret-key"  # noqa: S105 - refused outside development
DEV_CONTACT_INDEX_KEY = "development-only-contact-index-key"  # noqa: S105 - refused outside development
TWILIO_API_URL = "https://api.twilio.com"
SHIPPIFY_API_URL = "https://api.shippify.co"


class SettingsError(Exception):
    """One message naming every missing or malformed variable and how to fix it."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"The service cannot start; fix these settings (environment or .env):\n{lines}")


@dataclass(frozen=True)
class Settings:
    """The validated configuration shared by the web and worker processes."""

    app_env: str = "production"
    redis_url: str = ""
    shippify_api_url: str = SHIPPIFY_API_URL
    shippify_app_id: str = ""
    shippify_app_secret: str = field(default="", repr=False)
    webhook_tokens: tuple[bytes, ...] = field(default=(), repr=False)
    webhook_token_header: str = "X-Webhook-Token"  # noqa: S105 - a header name, not a secret
    twilio_account_sid: str = ""
    twilio_auth_token: str = field(default="", repr=False)
    twilio_from: str = ""
    twilio_messaging_service_sid: str = ""
    twilio_shorten_urls: bool = False
    twilio_api_url: str = TWILIO_API_URL
    whatsapp_from: str = ""  # whatsapp:+E.164, or empty to send through TWILIO_MESSAGING_SERVICE_SID
    whatsapp_templates: Mapping[tuple[str, str], WhatsAppTemplate] = field(default_factory=dict)  # (status, locale)
    smtp_url: str = field(default="", repr=False)
    mail_from: str = ""
    public_base_url: str = ""
    short_links: bool = False  # messages carry PUBLIC_BASE_URL/t/<code> instead of Shippify's long link
    secret_key: str = field(default="", repr=False)
    # Keys of the recipient search index's HMAC: the first writes, all are searched (so the key can be rotated).
    contact_index_keys: tuple[bytes, ...] = field(default=(DEV_CONTACT_INDEX_KEY.encode(),), repr=False)
    api_tokens: Mapping[str, str] = field(default_factory=dict, repr=False)
    default_locale: str = "es"
    default_country: str = "EC"
    rules: Rules = field(default_factory=lambda: rules_module.load(None))
    retention_days: int = 30
    http_timeout: float = 10.0
    retry_base_seconds: float = 10.0
    retry_max_attempts: int = 8
    webhook_max_bytes: int = 32 * 1024 * 1024
    log_level: str = "INFO"
    sms_fold_locales: frozenset[str] = FOLD_BY_DEFAULT
    sentry_dsn: str = field(default="", repr=False)
    resend_cap_corrected: str = "20/hour"  # resends per actor to a destination they typed in
    resend_cap_own: str = "200/hour"  # resends per actor to the recipient's own contact
    price_table: prices.PriceTable = field(default_factory=prices.PriceTable)  # PRICE_TABLE, for the dashboard

    @property
    def is_development(self) -> bool:
        """Development and test runs may use the sandbox and a fixed console key."""
        return self.app_env in DEVELOPMENT_ENVS

    @property
    def retention_seconds(self) -> int:
        """How long records, events and failed jobs are kept."""
        return self.retention_days * 86400

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "Settings":
        """Read and validate; raise SettingsError naming every problem at once."""
        return _Reader(os.environ if environ is None else environ).read()


# How to obtain a missing value (a channel's own settings say so in its missing_settings).
HINTS = {
    "REDIS_URL": " (add a Redis add-on; `make run` starts an embedded one in development)",
    "SHIPPIFY_APP_ID": " (Shippify dashboard → company settings → APP ID)",
    "SHIPPIFY_APP_SECRET": " (Shippify dashboard → company settings → APP SECRET)",
    "WEBHOOK_TOKENS": " (a random secret: python -c 'import secrets; print(secrets.token_urlsafe(32))')",
    "SECRET_KEY": " (a long random secret for console sessions)",
    "CONTACT_INDEX_KEY": " (a long random secret, kept apart from SECRET_KEY, for the recipient search index)",
    "PUBLIC_BASE_URL": " (the https:// address this service is reached at)",
}


class _Reader(ValueReader):
    """Reads every setting, collecting problems so that one start-up names all of them."""

    def require(self, **values: str) -> None:
        """Name each empty required value."""
        self.problems += required(values, HINTS)

    def read(self) -> Settings:
        """Build Settings or raise SettingsError."""
        app_env = self.text("APP_ENV", "production").lower()
        dev = app_env in DEVELOPMENT_ENVS
        rules = self.read_rules()
        values = dict(
            app_env=app_env,
            redis_url=self.url("REDIS_URL", "", ("redis", "rediss", "unix")),
            shippify_api_url=self.url("SHIPPIFY_API_URL", SHIPPIFY_API_URL, ("https", "http")),
            shippify_app_id=self.text("SHIPPIFY_APP_ID"),
            shippify_app_secret=self.text("SHIPPIFY_APP_SECRET"),
            webhook_tokens=self.secrets("WEBHOOK_TOKENS", dev),
            webhook_token_header=self.text("WEBHOOK_TOKEN_HEADER", "X-Webhook-Token"),
            twilio_account_sid=self.text("TWILIO_ACCOUNT_SID"),
            twilio_auth_token=self.text("TWILIO_AUTH_TOKEN"),
            twilio_from=self.text("TWILIO_FROM"),
            twilio_messaging_service_sid=self.text("TWILIO_MESSAGING_SERVICE_SID"),
            twilio_shorten_urls=self.boolean("TWILIO_SHORTEN_URLS", False),
            twilio_api_url=self.url("TWILIO_API_URL", TWILIO_API_URL, ("https", "http")),
            smtp_url=self.url("SMTP_URL", "", ("smtp", "smtps")),
            mail_from=self.text("MAIL_FROM"),
            public_base_url=self.url("PUBLIC_BASE_URL", "", ("https",) if not dev else ("https", "http")),
            short_links=self.boolean("SHORT_LINKS", False),
            secret_key=self.text("SECRET_KEY", DEV_SECRET_KEY if dev else ""),
            contact_index_keys=self.secrets("CONTACT_INDEX_KEY", dev, DEV_CONTACT_INDEX_KEY),
            api_tokens=self.api_tokens(),
            default_locale=self.choice("DEFAULT_LOCALE", "es", LOCALES),
            default_country=self.country(),
            rules=rules,
            retention_days=int(self.number("RETENTION_DAYS", 30, 1)),
            http_timeout=float(self.number("HTTP_TIMEOUT_SECONDS", 10.0, 0.1, float)),
            retry_base_seconds=float(self.number("RETRY_BASE_SECONDS", 10.0, 0, float)),
            retry_max_attempts=int(self.number("RETRY_MAX_ATTEMPTS", 8, 0)),
            webhook_max_bytes=int(self.number("WEBHOOK_MAX_MB", 32, 1)) * 1024 * 1024,
            log_level=self.choice("LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR")),
            sms_fold_locales=self.locales("SMS_FOLD_LOCALES", ",".join(sorted(FOLD_BY_DEFAULT))),
            sentry_dsn=self.url("SENTRY_DSN", "", ("https", "http")),
            resend_cap_corrected=self.rate("RESEND_CAP_CORRECTED", "20/hour"),
            resend_cap_own=self.rate("RESEND_CAP_OWN", "200/hour"),
            price_table=self.read_prices(),
        )
        sender, templates, problems = whatsapp_settings.read(
            self.env, rules, str(values["twilio_messaging_service_sid"])
        )
        values.update(whatsapp_from=sender, whatsapp_templates=templates)
        self.problems += problems
        self.check_required(values, rules, dev)
        if self.problems:
            raise SettingsError(self.problems)
        return Settings(**values)  # type: ignore[arg-type]

    def check_required(self, v: dict, rules: Rules, dev: bool) -> None:
        """Required settings; a channel's own only when a rule uses it."""
        self.require(
            REDIS_URL=v["redis_url"],
            SHIPPIFY_APP_ID=v["shippify_app_id"],
            SHIPPIFY_APP_SECRET=v["shippify_app_secret"],
            SECRET_KEY=v["secret_key"],
        )
        # Each channel a rule uses names what it lacks; channels sharing a provider name its settings once.
        used = [channels.channel(name) for name in channels.names() if rules.uses(name)]
        self.problems += dict.fromkeys(problem for found in used for problem in found.missing_settings(v))
        if v["twilio_shorten_urls"] and not v["twilio_messaging_service_sid"]:
            self.problems.append(
                "TWILIO_SHORTEN_URLS=true needs TWILIO_MESSAGING_SERVICE_SID: Twilio shortens links only in messages"
                " sent through a Messaging Service with Link Shortening set up (a verified domain)"
            )
        if v["short_links"] and not v["public_base_url"]:
            self.problems.append("SHORT_LINKS=true needs PUBLIC_BASE_URL: short links are PUBLIC_BASE_URL/t/<code>")
        if not dev:
            self.require(PUBLIC_BASE_URL=v["public_base_url"])
            if v["secret_key"] == DEV_SECRET_KEY or 0 < len(v["secret_key"]) < 16:
                self.problems.append("SECRET_KEY must be a random value of at least 16 characters in production")

    def secrets(self, name: str, dev: bool, dev_default: str = "") -> tuple[bytes, ...]:
        """Comma-separated secrets, several at once so they can be rotated (the first is the one that signs or
        writes); in production each is 16+ characters and not the development value."""
        values = tuple(v.strip() for v in self.text(name, dev_default if dev else "").split(",") if v.strip())
        if not values:
            self.require(**{name: ""})
        elif not dev and any(len(v) < 16 or v == dev_default for v in values):
            self.problems.append(f"{name}: each secret must be a random value of at least 16 characters in production")
        return tuple(v.encode() for v in values)

    def api_tokens(self) -> dict[str, str]:
        """`name:token` pairs; the name is the actor recorded in the audit trail."""
        pairs: dict[str, str] = {}
        for item in filter(None, (p.strip() for p in self.text("API_TOKENS").split(","))):
            name, sep, token = item.partition(":")
            if not sep or not name.strip() or len(token.strip()) < 16:
                self.problems.append("API_TOKENS must be comma-separated name:token pairs, tokens of 16+ characters")
                continue
            pairs[name.strip()] = token.strip()
        return pairs

    def country(self) -> str:
        """Region used for phone numbers written without a country code."""
        value = self.text("DEFAULT_COUNTRY", "EC").upper()
        if value not in phonenumbers.SUPPORTED_REGIONS:
            self.problems.append(f"DEFAULT_COUNTRY={value!r} must be a two-letter country code such as EC, BR, CL, MX")
            return "EC"
        return value

    def read_prices(self) -> prices.PriceTable:
        """PRICE_TABLE, or no prices (the dashboard then shows cost in messages and segments only)."""
        path = self.text("PRICE_TABLE")
        try:
            return prices.load(path, channels.names()) if path else prices.PriceTable()
        except prices.PriceTableError as exc:
            self.problems.append(str(exc))
            return prices.PriceTable()

    def read_rules(self) -> Rules:
        """NOTIFY_RULES, or the built-in defaults."""
        try:
            return rules_module.load(self.text("NOTIFY_RULES") or None)
        except RulesError as exc:
            self.problems.append(str(exc))
            return rules_module.load(None)
