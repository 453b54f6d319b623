"""The `flask --app web ...` commands, one module per subject, each registered as a Flask plugin command (the
`flask.commands` entry points in pyproject.toml): `doctor` needs no app, the others load it when they run."""

import getpass
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import click
from flask import current_app

from worker.services import Services


def services() -> Services:
    """The app's collaborators (a command that needs the app runs inside its context)."""
    return current_app.extensions["notifier"]


def operator() -> str:
    """Who ran the command, for the audit trail (resends, erasures)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def echo_audit(entries: list[dict[str, Any]], line: Callable[[dict[str, Any]], str], total: str) -> None:
    """One line per audit entry, its time (UTC) first; then how many, on stderr."""
    for entry in entries:
        when = datetime.fromtimestamp(int(entry["at"]), UTC).strftime("%Y-%m-%d %H:%M:%SZ")
        click.echo(f"{when}\t{line(entry)}")
    click.echo(f"{len(entries)} {total}", err=True)
