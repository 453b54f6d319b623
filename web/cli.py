"""Operator commands under `flask --app web ...`."""

import click
from flask import Flask, current_app

from worker.connection import check_eviction_policy
from worker.errors import NotifierError
from worker.messages import Renderer
from worker.services import Services
from worker.settings import LOCALES


def register(app: Flask) -> None:
    """Attach the commands to the app's CLI."""
    app.cli.add_command(doctor)


@click.command()
def doctor() -> None:
    """Check settings, templates and every connection; one line per check; exit 1 on any failure."""
    services: Services = current_app.extensions["notifier"]
    checks = [
        ("settings", lambda: None),
        ("redis", lambda: _redis(services)),
        ("templates", lambda: _templates(services)),
        ("shippify credentials", services.shippify.check_credentials),
    ]
    if services.sms is not None:
        checks.append(("twilio credentials", services.sms.check_credentials))
    if services.mailer is not None:
        checks.append(("smtp login", services.mailer.check_login))
    failed = 0
    for name, check in checks:
        try:
            note = check()
        except (NotifierError, OSError, ValueError) as exc:
            failed += 1
            click.echo(f"FAIL  {name}: {exc}")
            continue
        click.echo(f"ok    {name}" + (f" ({note})" if note else ""))
    raise SystemExit(1 if failed else 0)


def _redis(services: Services) -> str | None:
    """Reachable, and not evicting queued jobs."""
    services.redis.ping()
    warning = check_eviction_policy(services.redis)
    if warning:
        raise ValueError(warning)
    return None


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
