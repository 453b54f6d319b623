"""Support commands under `flask --app web ...`: `staff add|password|remove|list`, `resend`, `resend-refusals`,
`failed list|requeue|discard`."""

import getpass
from datetime import UTC, datetime

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from web import resend_answers
from worker import channels, failed, resend
from worker.services import Services
from worker.store import refusals, staff


def register(app: Flask) -> None:
    """Attach the support commands to the app's CLI."""
    app.cli.add_command(staff_group)
    app.cli.add_command(resend_command)
    app.cli.add_command(refusals_command)
    app.cli.add_command(failed_group)


def _services() -> Services:
    return current_app.extensions["notifier"]


@click.group("staff", cls=AppGroup)
def staff_group() -> None:
    """Console accounts: support (look up, resend) or admin (also staff and failed jobs)."""


@staff_group.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(staff.ROLES), default="support", show_default=True)
@click.password_option(help=f"At least {staff.MIN_PASSWORD_LENGTH} characters; asked for when not given.")
def staff_add(username: str, role: str, password: str) -> None:
    """Create an account (the password is stored as a scrypt hash)."""
    try:
        added = staff.add(_services().redis, username, password, role)
    except staff.StaffError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"added {added.username} ({added.role})")


@staff_group.command("remove")
@click.argument("username")
def staff_remove(username: str) -> None:
    """Delete an account; its sessions stop working at once."""
    if not staff.remove(_services().redis, username):
        raise click.ClickException(f"no staff member named {staff.normalise_username(username)!r}")
    click.echo(f"removed {staff.normalise_username(username)}")


@staff_group.command("password")
@click.argument("username")
@click.password_option(help=f"At least {staff.MIN_PASSWORD_LENGTH} characters; asked for when not given.")
def staff_password(username: str, password: str) -> None:
    """Set a new password; every session the account has open ends at once."""
    try:
        account = staff.set_password(_services().redis, username, password)
    except staff.StaffError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"password changed for {account.username}; their sessions have ended")


@staff_group.command("list")
def staff_list() -> None:
    """Every account and its role."""
    for account in staff.all_staff(_services().redis):
        click.echo(f"{account.username}\t{account.role}")


@click.command("resend")
@with_appcontext
@click.argument("delivery_id")
@click.option("--channel", "channels", type=click.Choice(channels.names()), multiple=True, help="Repeat for both.")
@click.option("--to", "to", default="", help="A corrected phone (E.164) or email for this send only.")
@click.option("--reason", default="", help="Why, for the audit trail.")
def resend_command(delivery_id: str, channels: tuple[str, ...], to: str, reason: str) -> None:
    """Send the delivery's message again with a fresh tracking link (capped per delivery)."""
    asked = resend.ResendRequest(
        channels=channels,
        phone=to if to and "@" not in to else "",
        email=to if "@" in to else "",
        reason=reason,
    )
    actor = f"cli:{_operator()}"
    try:
        result = resend.resend(_services(), delivery_id, asked, actor=actor)
    except resend_answers.REFUSALS as exc:
        refusal = click.UsageError if resend_answers.answer(exc, delivery_id).usage else click.ClickException
        raise refusal(str(exc)) from None
    for sent in result.notifications:
        note = f" ({sent.detail})" if sent.detail else ""
        click.echo(f"{sent.channel} to {sent.destination}: {sent.state} [{sent.template}] {sent.notification_id}{note}")


@click.command("resend-refusals")
@with_appcontext
@click.option("--limit", default=100, show_default=True, help="How many, newest first.")
def refusals_command(limit: int) -> None:
    """Resends refused by a cap (per delivery, or per actor): when, who, which delivery, which cap."""
    entries = refusals.newest(_services().redis, limit)
    for entry in entries:
        when = datetime.fromtimestamp(int(entry["at"]), UTC).strftime("%Y-%m-%d %H:%M:%SZ")
        click.echo(f"{when}\t{entry['actor']}\t{entry['delivery_id']}\t{entry['cap']} {entry['rate']}")
    click.echo(f"{len(entries)} refused resend(s)", err=True)


def _operator() -> str:
    """Who ran the command, for the audit trail."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


@click.group("failed", cls=AppGroup)
def failed_group() -> None:
    """Jobs that failed after their retries: see why, then requeue (once the cause is fixed) or discard."""


@failed_group.command("list")
def failed_list() -> None:
    """One line per failed job: id, when, what, why."""
    jobs = failed.list_failed(_services().queue)
    for job in jobs:
        when = job.failed_at.strftime("%Y-%m-%d %H:%M:%SZ") if job.failed_at else "-"
        click.echo(f"{job.id}\t{when}\t{job.description}\t{job.reason}")
    click.echo(f"{len(jobs)} failed job(s)", err=True)


@failed_group.command("requeue")
@click.argument("job_ids", nargs=-1)
@click.option("--all", "everything", is_flag=True, help="Every failed job.")
def failed_requeue(job_ids: tuple[str, ...], everything: bool) -> None:
    """Run failed jobs again; the send ledger still prevents a second message."""
    _apply(job_ids, everything, failed.requeue, failed.requeue_all, "requeued")


@failed_group.command("discard")
@click.argument("job_ids", nargs=-1)
@click.option("--all", "everything", is_flag=True, help="Every failed job.")
def failed_discard(job_ids: tuple[str, ...], everything: bool) -> None:
    """Forget failed jobs for good."""
    _apply(job_ids, everything, failed.discard, failed.discard_all, "discarded")


def _apply(job_ids: tuple[str, ...], everything: bool, one, every, verb: str) -> None:
    """Act on the named jobs or on all of them; unknown ids are an error."""
    if bool(job_ids) == everything:
        raise click.UsageError("name one or more job ids, or use --all")
    q = _services().queue
    if everything:
        click.echo(f"{every(q)} job(s) {verb}")
        return
    missing = [job_id for job_id in job_ids if not one(q, job_id)]
    click.echo(f"{len(job_ids) - len(missing)} job(s) {verb}")
    if missing:
        raise click.ClickException(f"not in the failed list: {', '.join(missing)}")
