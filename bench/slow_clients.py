"""Webhook intake while slow clients hold connections: requests/s and p99 of POST /webhooks/shippify/<status> with
N slow clients open, against N = 0 measured in the same run, for the config's worker model and the old one.

    python bench/slow_clients.py [--slow 0,2,8,32] [--duration 3] [--concurrency 4] [--models config,sync] [--json]

A slow client is what a probe (or a bad network) does: half of them send a request line and never finish the
headers; the other half send complete headers of a form POST (/console/login, /webhooks/twilio/inbound) and stall
the body. Each request of the load has a 2 s timeout; one that gets none counts as an error.

Exits non-zero when the config's model (the one the Procfile runs) lets a request go unanswered or answers 5xx while
slow clients hang on; the old model's stall is printed, not failed (it is what the config moved away from).
"""

import argparse
import asyncio
import json
import socket
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script: the project's packages

from bench import common, ingest, load  # noqa: E402
from sandbox import Sandbox  # noqa: E402

REQUEST_TIMEOUT = 2.0
SETTLE_SECONDS = 0.5  # for the slow clients' connections to be accepted and their bytes read
MODELS = {
    "config": [],
    "sync": ["--worker-class", "sync"],
    "gthread": ["--worker-class", "gthread", "--threads", "16"],
    "gevent": ["--worker-class", "gevent"],
}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--slow", default="0,2,8,32", help="slow clients per step, 0 first: the floor (0,2,8,32)")
    parser.add_argument("--duration", type=float, default=3.0, help="seconds of load per step (3)")
    parser.add_argument("--concurrency", type=int, default=4, help="connections of the load (4)")
    parser.add_argument("--models", default="config,sync", help="config (gunicorn.conf.py), sync, gthread")
    parser.add_argument("--json", action="store_true", help="also print one machine-readable line")
    args = parser.parse_args(argv)
    args.steps = [int(n) for n in args.slow.split(",")]
    args.model_names = args.models.split(",")
    if args.steps[0] != 0 or any(m not in MODELS for m in args.model_names):
        parser.error("--slow starts with 0 (the floor); --models among " + ", ".join(MODELS))
    return args


def slow_clients(port: int, n: int) -> list[socket.socket]:
    """N connections that never finish: half stop inside the headers, half inside a form body."""
    partial = [
        b"GET /healthz HTTP/1.1\r\nHost: bench\r\n",
        b"POST /console/login HTTP/1.1\r\nHost: bench\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        b"Content-Length: 4096\r\n\r\nusername=a",
        b"GET /readyz HTTP/1.1\r\n",
        b"POST /webhooks/twilio/inbound HTTP/1.1\r\nHost: bench\r\nX-Twilio-Signature: c2ln\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n"
        b"Content-Length: 4096\r\n\r\nFrom=%2B1",
    ]
    opened = []
    for i in range(n):
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        sock.sendall(partial[i % len(partial)])
        opened.append(sock)
    return opened


def measure(port: int, args: argparse.Namespace, model: str) -> dict[int, load.Load]:
    """One load step per number of slow clients, the slow ones opened before and closed after."""
    results = {}
    for n in args.steps:
        held = slow_clients(port, n)
        try:
            time.sleep(SETTLE_SECONDS)
            run = load.run_python(port, args.duration, args.concurrency, f"{model}-{n}", REQUEST_TIMEOUT)
            results[n] = asyncio.run(run)
        finally:
            for sock in held:
                sock.close()
    return results


def run(args: argparse.Namespace, log: Path) -> dict[str, dict[int, load.Load]]:
    """Each model in turn on the same Redis and sandbox, 2 web workers (WEB_CONCURRENCY) as the Procfile runs."""
    results = {}
    with common.redis_url() as url, Sandbox() as sb:
        env = ingest.app_env(url, sb)
        for model in args.model_names:
            port = common.free_port()
            server = common.gunicorn(ingest.APPS["ours"], port, env, log, MODELS[model])
            try:
                asyncio.run(load.run_python(port, 1.0, args.concurrency, f"{model}-warm", REQUEST_TIMEOUT))
                results[model] = measure(port, args, model)
            finally:
                common.stop(server)
    return results


def failures(result: load.Load) -> int:
    """Requests that got no answer in time, or a 5xx."""
    return result.errors + sum(1 for status, _ in result.responses if status >= 500)


def report(args: argparse.Namespace, results: dict[str, dict[int, load.Load]]) -> bool:
    """One line per model and step; True when the config's model answered every request at every step."""
    print(
        f"slow-clients setup: {args.concurrency} connections, {args.duration:g} s per step, request timeout "
        f"{REQUEST_TIMEOUT:g} s, 2 web workers; {common.machine()}"
    )
    ok = True
    for model, steps in results.items():
        floor = steps[0]
        for n, result in steps.items():
            statuses = " ".join(f"{s}={c}" for s, c in sorted(Counter(s for s, _ in result.responses).items()))
            label = f"slow-clients {model} N={n}"
            print(common.ratio_line(f"{label} rps", result.rps, floor.rps, ">= 0.50"))
            print(
                common.ratio_line(
                    f"{label} p99 ms", result.percentile_ms(99), floor.percentile_ms(99), "<= 3.00", "{:.1f}"
                )
            )
            bad = failures(result)
            verdict = "ok" if bad == 0 else ("FAILED" if model == "config" else "stalled (expected of this model)")
            print(f"{label} check: {statuses or 'no responses'}, {bad} unanswered or 5xx: {verdict}")
            ok = ok and (bad == 0 or model != "config")
    if args.json:
        figures = {
            m: {n: {"rps": r.rps, "p99_ms": r.percentile_ms(99), "failed": failures(r)} for n, r in s.items()}
            for m, s in results.items()
        }
        print(json.dumps({"bench": "slow_clients", "concurrency": args.concurrency, **figures}))
    return ok


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-slow-") as tmp:
        log = Path(tmp) / "gunicorn.log"
        ok = report(args, run(args, log))
        if not ok:
            print("gunicorn log (last lines):\n" + "".join(log.read_text().splitlines(keepends=True)[-20:]))
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
