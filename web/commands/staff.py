"""`flask --app web staff add|password|remove|list`: the console's accounts."""

import click
from flask.cli import AppGroup

from web.commands import services
from worker.store import staff


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
        added = staff.add(services().redis, username, password, role)
    except staff.StaffError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"added {added.username} ({added.role})")


@staff_group.command("remove")
@click.argument("username")
def staff_remove(username: str) -> None:
    """Delete an account; its sessions stop working at once."""
    if not staff.remove(services().redis, username):
        raise click.ClickException(f"no staff member named {staff.normalise_username(username)!r}")
    click.echo(f"removed {staff.normalise_username(username)}")


@staff_group.command("password")
@click.argument("username")
@click.password_option(help=f"At least {staff.MIN_PASSWORD_LENGTH} characters; asked for when not given.")
def staff_password(username: str, password: str) -> None:
    """Set a new password; every session the account has open ends at once."""
    try:
        account = staff.set_password(services().redis, username, password)
    except staff.StaffError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"password changed for {account.username}; their sessions have ended")


@staff_group.command("list")
def staff_list() -> None:
    """Every account and its role."""
    for account in staff.all_staff(services().redis):
        click.echo(f"{account.username}\t{account.role}")
