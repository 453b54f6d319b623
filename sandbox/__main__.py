"""`python -m sandbox`: run the fakes in the foreground for local development and benchmarks."""

from __future__ import annotations

import argparse
import shlex
import signal
import threading
from pathlib import Path
from types import FrameType

from sandbox.core import Sandbox
from sandbox.deliveries import SAMPLES, sample_overrides

DEFAULT_HTTP_PORT = 8070
DEFAULT_SMTP_PORT = 8025


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument(
        "--http-port",
        type=int,
        default=DEFAULT_HTTP_PORT,
        help=f"HTTP port for the Shippify/Twilio APIs (default {DEFAULT_HTTP_PORT}; 0 = any)",
    )
    parser.add_argument(
        "--smtp-port", type=int, default=DEFAULT_SMTP_PORT, help=f"SMTP port (default {DEFAULT_SMTP_PORT}; 0 = any)"
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=len(SAMPLES),
        metavar="N",
        help=f"sample deliveries to create, t-demo-0001... (default {len(SAMPLES)})",
    )
    parser.add_argument(
        "--no-auto-report", action="store_true", help="do not send 'sent'/'delivered' status callbacks by themselves"
    )
    parser.add_argument("--env-file", type=Path, help="also write the env settings to this file (dotenv format)")
    return parser.parse_args(argv)


def seed(sb: Sandbox, count: int) -> list[str]:
    """Create `count` sample deliveries, cycling through the countries and awkward cases."""
    ids = []
    for index in range(count):
        delivery_id, overrides = sample_overrides(index)
        sb.add_delivery(delivery_id, **overrides)
        ids.append(delivery_id)
    return ids


def env_lines(sb: Sandbox) -> list[str]:
    """KEY=value lines, quoted so they can be sourced by a shell or read by python-dotenv."""
    return [f"{key}={shlex.quote(value)}" for key, value in sb.env().items()]


def announce(sb: Sandbox, ids: list[str]) -> None:
    """Print where things are (no phone numbers or addresses)."""
    print(f"Sandbox API (Shippify + Twilio): {sb.api_url}")
    print(f"Outbox page:                     {sb.api_url}/_sandbox/")
    print(f"SMTP:                            {sb.smtp_url}")
    if ids:
        print(f"Seeded {len(ids)} deliveries: {ids[0]} .. {ids[-1]}")
    print("Environment:")
    for line in env_lines(sb):
        print(f"  {line}")
    print("Press Ctrl-C to stop.", flush=True)


def wait_for_signal() -> None:
    """Block until SIGINT or SIGTERM."""
    stop = threading.Event()

    def handle(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, handle)
    signal.signal(signal.SIGTERM, handle)
    while not stop.wait(0.5):
        pass


def main(argv: list[str] | None = None) -> int:
    """Start, seed, announce, wait, stop."""
    args = parse_args(argv)
    sb = Sandbox(host=args.host, http_port=args.http_port, smtp_port=args.smtp_port)
    sb.auto_report = not args.no_auto_report
    with sb:
        sb.serve_tracking()
        ids = seed(sb, args.seed)
        if args.env_file is not None:
            args.env_file.write_text("\n".join(env_lines(sb)) + "\n", encoding="utf-8")
        announce(sb, ids)
        wait_for_signal()
    print("Sandbox stopped.", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
