"""The `flask --app web ...` commands, one module per subject, each registered as a Flask plugin command (the
`flask.commands` entry points in pyproject.toml): `doctor` needs no app, the others load it when they run."""

import getpass

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
