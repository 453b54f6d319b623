"""`flask --app web messages preview`: every template with sample data, what each SMS costs, before anyone gets one."""

import click
from flask import current_app
from flask.cli import AppGroup

from worker import preview, sms_text
from worker.locales import LOCALES
from worker.services import Services


@click.group("messages", cls=AppGroup)
def messages_group() -> None:
    """The message templates (templates/)."""


@messages_group.command("preview")
@click.option("--status", help="Only this status (default: every status with templates).")
@click.option("--locale", type=click.Choice(LOCALES), help="Only this locale (default: es, pt, en).")
def preview_command(status: str | None, locale: str | None) -> None:
    """Render every template with an 82-character link and 20-character names; warn when an SMS costs too much."""
    services: Services = current_app.extensions["notifier"]
    folded = services.settings.sms_fold_locales
    statuses = [status] if status else None
    link = preview.sample_link(services.settings.short_links, services.settings.public_base_url)
    rows = preview.preview(services.renderer, statuses, [locale] if locale else LOCALES, folded, link)
    if not rows:
        raise click.ClickException(f"no templates for status {status!r}")
    click.echo(f"SMS folded to GSM-7 for: {', '.join(sorted(folded)) or 'none'} (SMS_FOLD_LOCALES)")
    click.echo(f"sample link: {len(link)} characters{' (SHORT_LINKS)' if services.settings.short_links else ''}\n")
    for row in rows:
        click.echo("\n".join(_lines(row)) + "\n")
    _summary(rows)


def _lines(row: preview.Row) -> list[str]:
    """A heading line, then the SMS text or the email's subject."""
    head = f"{row.locale} {row.status} {row.channel}"
    if row.error:
        return [f"{head}: ERROR {row.error}"]
    if row.cost is None:
        return [f"{head}: subject, text and HTML render", f"  Subject: {row.text}"]
    warning = f"  WARNING: over budget (max {row.budget})" if row.over_budget else ""
    return [
        f"{head}: {sms_text.describe(row.text)}, {row.cost.units}/{row.allowed_units} units{warning}",
        f"  {row.text}",
    ]


def _summary(rows: list[preview.Row]) -> None:
    """One closing line; exit 1 when a template does not render (over-budget SMS only warn)."""
    over = [r for r in rows if r.over_budget]
    broken = [r for r in rows if r.error]
    sms = sum(r.cost is not None for r in rows)  # only SMS rows carry a segment cost
    click.echo(f"{sms} SMS, {len(rows) - sms} emails: {len(over)} SMS over budget, {len(broken)} templates failed")
    if broken:
        raise SystemExit(1)
