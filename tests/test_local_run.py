"""`make run` as a newcomer uses it: start everything, fire the sample webhook it prints, see the SMS and email."""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parent.parent
CLEARED = (
    "REDIS_URL",
    "SHIPPIFY_APP_ID",
    "TWILIO_ACCOUNT_SID",
    "SMTP_URL",
    "WEBHOOK_TOKENS",
    "APP_ENV",
    "PORT",
    "WEB_HOST",
    "WHATSAPP",
    "NOTIFY_RULES",
)


@pytest.fixture
def running(tmp_path, request):
    """`python -m sandbox.local` (what `make run` starts) with nothing configured, on free ports (and the options of
    the test's parameter, if any)."""
    env = {k: v for k, v in os.environ.items() if k not in CLEARED and not k.startswith("TEST_")}
    ports = [str(free_port()) for _ in range(3)]
    command = [
        sys.executable,
        "-m",
        "sandbox.local",
        "--port",
        ports[0],
        "--sandbox-port",
        ports[1],
        "--smtp-port",
        ports[2],
        "--run-dir",
        str(tmp_path),
    ]
    command += getattr(request, "param", [])
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        yield process, read_banner(process)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
        process.stdout.close()


def read_banner(process: subprocess.Popen) -> str:
    """Everything printed up to the line that says the service is ready."""
    lines = []
    for line in process.stdout:
        lines.append(line)
        if line.startswith("Press Ctrl-C"):
            return "".join(lines)
    raise AssertionError("make run stopped before it was ready:\n" + "".join(lines))


def test_the_documented_sample_webhook_produces_an_sms_and_an_email(running):
    process, banner = running
    url = re.search(r"curl -X POST (\S+)", banner).group(1)
    header, token = re.search(r"-H '([\w-]+): (\S+)'", banner).groups()
    body = re.search(r"-d '(\{.*\})'", banner).group(1)
    outbox = re.search(r"(http://\S+/_sandbox/outbox)", banner).group(1)
    response = requests.post(url, data=body, headers={header: token, "Content-Type": "application/json"}, timeout=5)
    assert response.status_code == 202
    seen = {}
    for _ in range(100):
        seen = requests.get(outbox, timeout=5).json()
        if seen["sms"] and seen["emails"]:
            break
        time.sleep(0.2)
    assert len(seen["sms"]) == 1 and len(seen["emails"]) == 1
    assert "token=" in seen["sms"][0]["body"]
    assert process.poll() is None


def curl_commands(banner: str) -> list[tuple[str, dict[str, str], str]]:
    """Each printed `curl -X POST` as (url, headers, body)."""
    found = []
    for block in re.findall(r"curl -X POST .*?-d '\{.*?\}'", banner, re.DOTALL):
        url = re.search(r"curl -X POST (\S+)", block).group(1)
        headers = dict(re.findall(r"-H '([\w-]+): ([^']+)'", block))
        found.append((url, headers, re.search(r"-d '(\{.*\})'", block).group(1)))
    return found


def outbox_when(outbox: str, ready) -> dict:
    """The sandbox outbox once `ready(outbox)` holds (or after 20 s, as it then is)."""
    seen: dict = {}
    for _ in range(100):
        seen = requests.get(outbox, timeout=5).json()
        if ready(seen):
            break
        time.sleep(0.2)
    return seen


@pytest.mark.parametrize("running", [["--whatsapp"]], indirect=True)
def test_whatsapp_demo_sends_whatsapp_then_falls_back_to_sms_as_printed(running):
    """`make run WHATSAPP=1`: the sample webhook goes by WhatsApp and email; after marking the printed number as not
    on WhatsApp, the printed second webhook ends in an SMS to that number instead."""
    _, banner = running
    outbox = re.search(r"(http://\S+/_sandbox/outbox)", banner).group(1)
    (first, mark, second) = curl_commands(banner)
    assert requests.post(first[0], data=first[2], headers=first[1], timeout=5).status_code == 202
    seen = outbox_when(outbox, lambda o: o["whatsapp"] and o["emails"])
    assert [m["to"] for m in seen["whatsapp"]] == ["whatsapp:+593998976565"] and len(seen["emails"]) == 1
    assert seen["whatsapp"][0]["body"].startswith("Hola Iliana") and seen["sms"] == []
    assert requests.post(mark[0], data=mark[2], headers=mark[1], timeout=5).status_code == 201
    number = json.loads(mark[2])["number"]
    assert requests.post(second[0], data=second[2], headers=second[1], timeout=5).status_code == 202
    seen = outbox_when(outbox, lambda o: o["sms"])
    assert [s["to"] for s in seen["sms"]] == [number]
    assert "token=" in seen["sms"][0]["body"]
    failed = [m for m in seen["whatsapp"] if m["to"] == "whatsapp:" + number]
    assert [(m["status"], m["error_code"]) for m in failed] == [("failed", 63003)]


def test_whatsapp_demo_is_asked_for_with_an_environment_variable(monkeypatch):
    """`make run WHATSAPP=1` passes WHATSAPP to the launcher's environment."""
    from sandbox.local import parse_args

    assert parse_args([]).whatsapp is False
    monkeypatch.setenv("WHATSAPP", "1")
    assert parse_args([]).whatsapp is True


def test_the_development_web_process_listens_on_loopback_only(running):
    """A dev instance prints its webhook secret: others on the network must not reach it."""
    _, banner = running
    port = int(re.search(r"http://127\.0\.0\.1:(\d+)/healthz", banner).group(1))
    assert listening_addresses(port) == {"127.0.0.1"}
    outside = non_loopback_address()
    if outside:  # on a machine with a network interface, reaching the port from it is refused
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection((outside, port), timeout=5).close()


@pytest.mark.parametrize("running", [["--host", "0.0.0.0"]], indirect=True)  # noqa: S104 - the point of the test
def test_exposing_the_development_instance_is_a_deliberate_option(running):
    _, banner = running
    port = int(re.search(r"http://127\.0\.0\.1:(\d+)/healthz", banner).group(1))
    assert listening_addresses(port) == {"0.0.0.0"}


def listening_addresses(port: int) -> set[str]:
    """IPv4 addresses with a socket listening on `port`, from the kernel's table (/proc/net/tcp)."""
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, _, hex_port = local.partition(":")
        if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
            found.add(socket.inet_ntoa(bytes.fromhex(address)[::-1]))
    return found


def non_loopback_address() -> str | None:
    """This machine's address on its default route (no packet is sent), None without a network."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))
        except OSError:
            return None
        address = probe.getsockname()[0]
    return None if address.startswith("127.") else address


def test_the_printed_console_login_signs_in_as_an_admin(running, tmp_path):
    """A newcomer reads the console's address and a development login off the printout, and it works."""
    _, banner = running
    console, username, password = re.search(
        r"Console:\s+(http://\S+/console/)\s+sign in as (\S+) / (\S+)", banner
    ).groups()
    assert password == (tmp_path / "console-password").read_text().strip()  # kept in .run/: the same next time
    browser = requests.Session()
    with browser:
        login = browser.get(f"{console}login", timeout=5)
        csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login.text).group(1)
        form = {"username": username, "password": password, "csrf_token": csrf}
        signed_in = browser.post(f"{console}login", data=form, timeout=5, allow_redirects=False)
        assert signed_in.status_code == 302, signed_in.text
        assert browser.get(f"{console}admin/staff", timeout=5).status_code == 200  # an admin page


@pytest.mark.parametrize("app_env", ["production", "test"])
def test_no_console_account_is_made_outside_development(redis_client, redis_url, tmp_path, app_env):
    from sandbox.local import dev_console_login

    assert dev_console_login({"APP_ENV": app_env, "REDIS_URL": redis_url}, tmp_path) is None
    assert not redis_client.keys("ntf:staff*") and not (tmp_path / "console-password").exists()
