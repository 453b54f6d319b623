"""Short-link redirects (`GET /t/<code>`) against a floor, and Shippify calls per click under a burst.

Ours: web.wsgi:app under gunicorn as the Procfile runs it (gunicorn.conf.py, WEB_CONCURRENCY=2), SHORT_LINKS=true,
the sandbox (in this process) as Shippify. Floor: bench/redirect_floor.py, a fixed 302, same gunicorn config.
Clicks come from many addresses (X-Forwarded-For, which the app trusts from the router), as recipients' do, so the
per-address throttle does not answer them; each goes to one of --codes codes (one per delivery).
"""

import argparse
import itertools
import json
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import redis
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402
from sandbox import Sandbox  # noqa: E402
from worker.store import Store, short_links  # noqa: E402

AGENT = "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36"


def seed(url: str, sandbox: Sandbox, count: int) -> list[str]:
    """`count` deliveries in the sandbox, each with a notification record and a short-link code."""
    client = redis.Redis.from_url(url)
    store, codes = Store(client, 3600), []
    for n in range(count):
        delivery_id, nid = f"bench-{n:05d}", f"nbench{n:05d}"
        sandbox.add_delivery(delivery_id)
        fields = {"delivery_id": delivery_id, "channel": "sms", "locale": "es", "sent_at": time.time() - 60}
        store.create_notification(nid, fields)
        codes.append(short_links.create(client, 3600, delivery_id, nid))
    client.close()
    return codes


def load(base: str, codes: list[str], seconds: float, concurrency: int) -> tuple[int, list[float], dict[int, int]]:
    """Clicks for `seconds` from `concurrency` threads: (answers, latencies in ms, count per status)."""
    deadline, latencies, statuses = time.monotonic() + seconds, [], {}
    lock, numbers = threading.Lock(), itertools.count()

    def run() -> None:
        with requests.Session() as session:
            while time.monotonic() < deadline:
                n = next(numbers)
                headers = {"User-Agent": AGENT, "X-Forwarded-For": f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"}
                start = time.perf_counter()
                answer = session.get(f"{base}/t/{codes[n % len(codes)]}", headers=headers, allow_redirects=False)
                with lock:
                    latencies.append((time.perf_counter() - start) * 1000)
                    statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1

    with ThreadPoolExecutor(concurrency) as pool:
        for _ in range(concurrency):
            pool.submit(run)
    return len(latencies), latencies, statuses


def burst(base: str, sandbox: Sandbox, code: str, clicks: int) -> int:
    """Shippify calls made by `clicks` simultaneous clicks on one fresh code."""
    before = len(sandbox.shippify_calls)
    with ThreadPoolExecutor(clicks) as pool:
        list(
            pool.map(
                lambda n: requests.get(
                    f"{base}/t/{code}",
                    headers={"User-Agent": AGENT, "X-Forwarded-For": f"10.9.0.{n}"},
                    allow_redirects=False,
                ),
                range(clicks),
            )
        )
    return len(sandbox.shippify_calls) - before


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=float, default=5.0, help="seconds of load per app")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--codes", type=int, default=200)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with common.redis_url() as url, Sandbox() as sandbox, tempfile.TemporaryDirectory() as tmp:
        common.flush(url)
        codes = seed(url, sandbox, args.codes + 1)
        env = common.process_env(
            {
                **sandbox.env(),
                "APP_ENV": "development",
                "REDIS_URL": url,
                "WEBHOOK_TOKENS": "bench-token-0123456789",
                "SHORT_LINKS": "true",
                "PUBLIC_BASE_URL": "http://127.0.0.1",
                "LOG_LEVEL": "WARNING",
                "WEB_CONCURRENCY": "2",
            }
        )
        ours_port, floor_port = common.free_port(), common.free_port()
        ours = common.gunicorn("web.wsgi:app", ours_port, env, Path(tmp) / "ours.log")
        floor = common.gunicorn("bench.redirect_floor:app", floor_port, env, Path(tmp) / "floor.log")
        try:
            figures = {}
            for name, port in (("floor", floor_port), ("ours", ours_port)):
                base = f"http://127.0.0.1:{port}"
                load(base, codes[:-1], 1.0, args.concurrency)  # warm-up
                figures[name] = load(base, codes[:-1], args.duration, args.concurrency)
            calls = burst(f"http://127.0.0.1:{ours_port}", sandbox, codes[-1], 50)
        finally:
            common.stop(ours)
            common.stop(floor)
    (o_n, o_lat, o_status), (f_n, f_lat, _) = figures["ours"], figures["floor"]
    print(
        f"redirect setup: {common.machine()}, {args.concurrency} clients, {args.codes} codes, {args.duration:g} s each"
    )
    print(common.ratio_line("redirect rps", o_n / args.duration, f_n / args.duration, ">= 0.50"))
    print(
        common.ratio_line(
            "redirect p99 ms", common.percentile(o_lat, 99), common.percentile(f_lat, 99), "<= 3.00", "{:.1f}"
        )
    )
    print(f"redirect shippify calls per burst of 50 clicks on one code: {calls} (2 web processes: at most 2)")
    print(
        f"redirect check statuses {dict(sorted(o_status.items()))}: " + ("ok" if set(o_status) == {302} else "FAILED")
    )
    if args.json:
        print(json.dumps({"rps": o_n / args.duration, "floor_rps": f_n / args.duration, "burst_calls": calls}))
    return 0 if set(o_status) == {302} else 1


if __name__ == "__main__":
    sys.exit(main())
