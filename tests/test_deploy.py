"""The Procfile's process types point at code that exists, the worker entry point parses its options, and the web
process runs as the Procfile says, with JSON logs."""

import importlib
import json
import os
import shlex
import signal
import subprocess
import sys
from pathlib import Path

import requests

from tests.conftest import WEBHOOK_TOKEN, free_port, wait_for

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


def test_the_web_process_writes_only_json_lines_and_access_lines_carry_the_request_id(env, tmp_path):
    """Run the Procfile's web command for real: gunicorn's own lines are JSON objects like the app's, and each
    request's access line names its request id (and no client address or query string)."""
    port = free_port()
    process_env = {**os.environ, **env, "PORT": str(port), "WEB_CONCURRENCY": "1", "PYTHONPATH": str(ROOT)}
    command = procfile()["web"]
    command[0] = str(Path(sys.executable).with_name("gunicorn"))
    log = tmp_path / "web.log"
    with log.open("wb") as out:
        web = subprocess.Popen(command, cwd=ROOT, env=process_env, stdout=out, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        assert wait_for(lambda: _answers(url + "/healthz"), 30)
        responses = [
            requests.post(
                url + "/webhooks/shippify/going_to_dropoff?debug=secret-query",
                json={"id": "t-gunicorn"},
                headers={"X-Webhook-Token": WEBHOOK_TOKEN},
                timeout=10,
            )
            for _ in range(2)
        ]
        assert [r.status_code for r in responses] == [202, 200]
    finally:
        web.send_signal(signal.SIGTERM)
        web.wait(timeout=30)
    lines = [json.loads(line) for line in log.read_text().splitlines()]  # every line is one JSON object
    ids = [r.headers["X-Request-ID"] for r in responses]
    access = [e["event"] for e in lines if e["logger"] == "gunicorn.access" and "/webhooks/shippify/" in e["event"]]
    assert [f"request_id={ids[0]}" in access[0], f"request_id={ids[1]}" in access[1]] == [True, True]
    assert "status=202" in access[0] and "status=200" in access[1]
    assert "secret-query" not in log.read_text() and not any("127.0.0.1" in a for a in access)
    # the app's own line for the repeat (a decision only the web process makes) carries the same request id
    assert any(e["event"] == "webhook duplicate" and e.get("request_id") == ids[1] for e in lines)
    assert any(e["logger"] == "gunicorn.error" and "Shutting down" in e["event"] for e in lines)


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=1).status_code == 200
    except (requests.ConnectionError, requests.Timeout):  # not listening yet, or still booting on a busy machine
        return False
