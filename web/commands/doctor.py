"""`flask --app web doctor`: checks settings and every connection, one line per check.

Registered as every command is, as a Flask plugin command (pyproject entry point): it never loads the app, so it
runs even when broken settings keep the app itself from loading, which is when it is needed most."""

import re
from collections.abc import Callable

import click
import requests
from dotenv import load_dotenv

from worker.connection import check_eviction_policy
from worker.errors import NotifierError
from worker.locales import LOCALES
from worker.rendering import Renderer
from worker.services import Services
from worker.settings import Settings, SettingsError

SENDER = re.compile(r"^(\+[1-9]\d{6,14}|\d{3,8}|[A-Za-z0-9 ]{1,11}|MG[0-9a-f]{32})$")
Check = tuple[str, Callable[[], str | None]]


@click.command()
def doctor() -> None:
    """Check settings, Redis, templates, Shippify, Twilio, SMTP and the public URL; exit 1 on any failure."""
    load_dotenv()
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        for problem in exc.problems:
            click.echo(f"FAIL  settings: {problem}")
        raise SystemExit(1) from None
    click.echo(f"ok    settings ({settings.app_env})")
    failed = sum(not _run(name, check) for name, check in checks(Services.from_settings(settings)))
    raise SystemExit(1 if failed else 0)


def checks(services: Services) -> list[Check]:
    """Every check that applies to these settings."""
    found: list[Check] = [
        ("redis", lambda: _redis(services)),
        ("templates", lambda: _templates(services)),
        ("shippify credentials", services.shippify.check_credentials),
    ]
    if services.sms is not None:
        found += [
            ("twilio credentials", services.sms.check_credentials),
            ("twilio sender", lambda: _sender(services)),
        ]
    if services.mailer is not None:
        found.append(("smtp login", services.mailer.check_login))
    found.append(("public url", lambda: _public_url(services)))
    return found


def _run(name: str, check: Callable[[], str | None]) -> bool:
    """Print one check's line; True when it passed."""
    try:
        note = check()
    except (NotifierError, OSError, ValueError, requests.RequestException) as exc:
        click.echo(f"FAIL  {name}: {exc}")
        return False
    click.echo(f"ok    {name}" + (f" ({note})" if note else ""))
    return True


def _redis(services: Services) -> str:
    """Reachable, and not evicting queued jobs."""
    try:
        services.redis.ping()
    except Exception as exc:  # noqa: BLE001 - any client error means unreachable here
        raise ValueError(f"unreachable ({type(exc).__name__}): check REDIS_URL") from None
    warning = check_eviction_policy(services.redis)
    if warning:
        raise ValueError(warning)
    return "reachable, noeviction or not readable"


def _templates(services: Services) -> str:
    """Every rule has its templates in every locale."""
    renderer = Renderer()
    missing = [
        path
        for status, channels in services.settings.rules.table.items()
        for channel in channels
        for locale in LOCALES
        for path in renderer.missing(status, locale, channel)
    ]
    if missing:
        raise ValueError("missing " + ", ".join(missing))
    return f"{len(services.settings.rules.table)} rules × {len(LOCALES)} locales"


def _sender(services: Services) -> str:
    """TWILIO_FROM is a number, short code or alphanumeric id, or a Messaging Service sid is set."""
    settings = services.settings
    sender = settings.twilio_messaging_service_sid or settings.twilio_from
    if not SENDER.match(sender):
        raise ValueError(
            "TWILIO_FROM must be an E.164 number (+15005550006), or set TWILIO_MESSAGING_SERVICE_SID (MG…)"
        )
    return "messaging service" if settings.twilio_messaging_service_sid else "number"


def _public_url(services: Services) -> str:
    """PUBLIC_BASE_URL answers /healthz (Twilio's delivery reports are sent there)."""
    base = services.settings.public_base_url
    if not base:
        return "not set (development): Twilio delivery reports are not requested"
    response = requests.get(f"{base}/healthz", timeout=services.settings.http_timeout)
    if response.status_code != 200:
        raise ValueError(f"{base}/healthz answered HTTP {response.status_code}: is PUBLIC_BASE_URL this service?")
    return base
