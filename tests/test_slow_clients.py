"""Slow clients do not stop the web process: gunicorn run as the Procfile runs it (gunicorn.conf.py, two workers)
keeps answering /healthz and webhooks while more clients than it has workers hold half-sent requests open."""

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.conftest import API_TOKEN, WEBHOOK_TOKEN, free_port, wait_for
from tests.test_deploy import procfile

ROOT = Path(__file__).resolve().parent.parent
WORKERS = 2  # WEB_CONCURRENCY as the platform sets it for a small dyno
FORM = "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 4096\r\n\r\n"
STALLED = [
    "GET /healthz HTTP/1.1\r\nHost: probe\r\n",  # a request line and a header, never the blank line
    "GET /healthz HTTP/1.1\r\n",
    f"POST /console/login HTTP/1.1\r\nHost: probe\r\n{FORM}username=a",  # full headers, a body that never comes
    f"POST /webhooks/twilio/inbound HTTP/1.1\r\nHost: probe\r\nX-Twilio-Signature: c2ln\r\n{FORM}From=%2B1",
]


@pytest.fixture
def web(env, tmp_path):
    """The Procfile's web command on a free port; yields its base URL."""
    port = free_port()
    process_env = {
        **os.environ,
        **env,
        "PORT": str(port),
        "WEB_CONCURRENCY": str(WORKERS),
        "PYTHONPATH": str(ROOT),
        "API_TOKENS": f"helpdesk:{API_TOKEN}",
    }
    command = procfile()["web"]
    command[0] = str(Path(sys.executable).with_name("gunicorn"))
    with (tmp_path / "web.log").open("wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=process_env, stdout=out, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        assert wait_for(lambda: _answers(url + "/healthz"), 30)
        yield url, port
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def test_health_and_webhooks_answer_while_slow_clients_hold_every_old_worker(web, sandbox):
    url, port = web
    sandbox.add_delivery("t-slow-resend")
    held = []
    try:
        for n in range(4 * WORKERS):  # each kind of stalled request, twice as many as there are workers
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            sock.sendall(STALLED[n % len(STALLED)].encode())
            held.append(sock)
        health = requests.get(url + "/healthz", timeout=10)
        webhook = requests.post(
            url + "/webhooks/shippify/going_to_dropoff",
            json={"id": "t-slow-clients"},
            headers={"X-Webhook-Token": WEBHOOK_TOKEN},
            timeout=10,
        )
        resend = requests.post(  # calls Shippify from the web process (requests, through the patched socket module)
            url + "/api/deliveries/t-slow-resend/resend",
            json={"channels": ["email"]},
            headers={"Authorization": f"Bearer {API_TOKEN}"},
            timeout=10,
        )
        assert (health.status_code, webhook.status_code, resend.status_code) == (200, 202, 202)
        assert all(_still_open(sock) for sock in held)  # the slow clients were held, not dropped to make room
    finally:
        for sock in held:
            sock.close()


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=1).status_code == 200
    except requests.RequestException:  # not listening yet, or no worker booted to answer
        return False


def _still_open(sock: socket.socket) -> bool:
    """Nothing answered or closed the half-sent request yet."""
    sock.setblocking(False)
    try:
        sock.recv(1)  # b"" (closed) or bytes (answered): either way no longer held
        return False
    except BlockingIOError:
        return True
    finally:
        sock.setblocking(True)
