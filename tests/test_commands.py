"""Every `flask --app web` command is registered one way (pyproject's `flask.commands` entry points), so each is
listed, and doctor runs, even when broken settings keep the app itself from loading."""

import os
import subprocess
import sys
from pathlib import Path

FLASK = str(Path(sys.executable).with_name("flask"))
COMMANDS = ("doctor", "failed", "messages", "recipient", "resend", "resend-refusals", "staff")


def run_flask(*args: str) -> subprocess.CompletedProcess:
    """The installed `flask` executable with no setting at all (not even APP_ENV), away from any .env file."""
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp")}
    return subprocess.run([FLASK, "--app", "web", *args], env=env, cwd="/", capture_output=True, text=True, timeout=60)


def test_help_lists_every_command_even_with_broken_settings() -> None:
    listed = run_flask("--help")
    names = {line.split()[0] for line in listed.stdout.split("Commands:")[1].splitlines() if line.strip()}
    assert set(COMMANDS) <= names


def test_doctor_runs_with_broken_settings_and_names_each_missing_one() -> None:
    result = run_flask("doctor")
    assert result.returncode == 1 and "FAIL  settings: WEBHOOK_TOKENS is required" in result.stdout


def test_a_support_command_with_broken_settings_says_which_ones() -> None:
    result = run_flask("staff", "list")
    assert result.returncode != 0 and "WEBHOOK_TOKENS is required" in result.stdout + result.stderr
