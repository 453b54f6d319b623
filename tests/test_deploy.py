"""The Procfile's process types point at code that exists, and the worker entry point parses its options."""

import importlib
import shlex
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def procfile() -> dict[str, list[str]]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return {name: shlex.split(command) for name, _, command in (line.partition(":") for line in lines if line)}


def test_procfile_has_web_and_worker():
    assert set(procfile()) == {"web", "worker"}


def test_web_target_is_a_wsgi_app_and_the_config_file_exists(monkeypatch, env):
    command = procfile()["web"]
    assert command[0] == "gunicorn"
    config = command[command.index("--config") + 1]
    assert (ROOT / config).is_file()
    module, _, attribute = command[-1].partition(":")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    app = getattr(importlib.import_module(module), attribute)
    assert app.url_map.bind("localhost").match("/webhooks/shippify", method="POST")


def test_worker_target_is_importable_with_a_main():
    command = procfile()["worker"]
    assert command[:2] == ["python", "-m"]
    assert callable(importlib.import_module(command[2] + ".__main__").main)


def test_python_version_is_pinned_for_the_builder():
    assert (ROOT / ".python-version").read_text().strip().startswith("3.11")
