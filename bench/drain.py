"""Queue drain: N webhooks, W `python -m worker` processes, upstreams (sandbox) answering after a fixed latency.

    python bench/drain.py [--events 2000] [--workers 4] [--latency-ms 50] [--max-seconds 35]
                          [--mode both|simple|fork] [--rule sms|whatsapp] [--json]

Webhooks are posted (Flask test client) so that `depth` events always wait in the queue: the workers never idle,
and the run stops posting after N events or `--max-seconds`, whichever comes first, then drains the rest.

The limit: each event costs the worker 2 Shippify calls + 1 Twilio call + 1 SMTP session, so 4 × latency of
worker time (over 3 jobs); W workers finish at most W / (4 × latency) events/s, twice that in messages/s.
With `--rule whatsapp` the rule sends WhatsApp (an approved template, SMS as its fallback) and email instead.
Exits non-zero unless every delivery got exactly one SMS (or WhatsApp) and one email; a missed target only prints.
"""

import argparse
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script: the project's packages

import redis  # noqa: E402
from rq import Queue, Worker  # noqa: E402
from rq.registry import FailedJobRegistry, StartedJobRegistry  # noqa: E402

from bench import bodies, common  # noqa: E402
from bench.drain_report import Run, report  # noqa: E402
from sandbox import Sandbox  # noqa: E402
from web import create_app  # noqa: E402
from worker.queueing import QUEUE_NAME  # noqa: E402

IDLE_EVENTS = 5
TAIL_SECONDS = 30.0  # after the last webhook, for the backlog to drain


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=2000, help="webhooks to drain (2000)")
    parser.add_argument("--workers", type=int, default=4, help="worker processes (4)")
    parser.add_argument("--latency-ms", type=float, default=50.0, help="added to every upstream call (50)")
    parser.add_argument("--max-seconds", type=float, default=35.0, help="time budget for posting, per mode (35)")
    parser.add_argument(
        "--mode",
        choices=("simple", "fork", "both"),
        default="both",
        help="worker kind: simple (in-process, as the Procfile), fork (--fork), both (the default)",
    )
    parser.add_argument(
        "--rule",
        choices=("sms", "whatsapp"),
        default="sms",
        help="going_to_dropoff sends sms and email (the default rule), or whatsapp (fallback sms) and email",
    )
    parser.add_argument("--json", action="store_true", help="also print one machine-readable line per mode")
    return parser.parse_args(argv)


WHATSAPP_RULES = f"""[{bodies.STATUS}]
channels = ["whatsapp", "email"]
fallback = {{ whatsapp = "sms" }}
"""


def service_env(url: str, sb: Sandbox, rule: str = "sms", folder: Path | None = None) -> dict[str, str]:
    """The service's settings; with the whatsapp rule, a rules file in `folder` and the sandbox's WhatsApp sender."""
    env = {
        **sb.env(),
        "APP_ENV": "development",
        "REDIS_URL": url,
        "WEBHOOK_TOKENS": bodies.TOKEN,
        "LOG_LEVEL": "WARNING",
    }
    if rule == "whatsapp" and folder is not None:
        rules = folder / "rules.toml"
        rules.write_text(WHATSAPP_RULES)
        env.update(sb.whatsapp_env(), NOTIFY_RULES=str(rules))
    return env


def seed(sb: Sandbox, ids: list[str]) -> dict[str, str]:
    """One delivery per id with its own valid Ecuadorian mobile; returns E.164 → delivery id."""
    phones = {}
    for i, delivery_id in enumerate(ids):
        phone = f"+59399{i:07d}"
        sb.add_delivery(delivery_id, phone=phone, email=f"{delivery_id}@example.com", status=bodies.STATUS)
        phones[phone] = delivery_id
    return phones


def start_workers(args: argparse.Namespace, simple: bool, env: dict[str, str], log: Path) -> list[subprocess.Popen]:
    command = [common.PYTHON, "-m", "worker", *([] if simple else ["--fork"])]
    with log.open("ab") as out:
        return [
            subprocess.Popen([*command, "--name", f"bench-{i}"], cwd=common.ROOT, env=env, stdout=out, stderr=out)
            for i in range(args.workers)
        ]


def wait_for(condition: Callable[[], bool], timeout: float, processes: Sequence[subprocess.Popen] = ()) -> bool:
    """Poll until condition() is true; False on timeout or when a process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        if any(p.poll() is not None for p in processes):
            return False
        time.sleep(0.05)
    return condition()


class RssSampler(threading.Thread):
    """Max resident memory of each worker process and of its children (the scheduler, RQ's job processes)."""

    def __init__(self, pids: list[int]) -> None:
        super().__init__(daemon=True)
        self.workers = dict.fromkeys(pids, 0)
        self.child = 0
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(0.2):
            for pid in self.workers:
                self.workers[pid] = max(self.workers[pid], common.rss_kb(pid))
                self.child = max([self.child, *(common.rss_kb(c) for c in common.children(pid))])


def post(client, delivery_id: str) -> float:
    """POST one webhook; the time it was accepted."""
    prefix, suffix = bodies.template(False)
    response = client.post(
        bodies.PATH,
        data=prefix + delivery_id.encode() + suffix,
        headers={bodies.TOKEN_HEADER: bodies.TOKEN},
        content_type="application/json",
    )
    if response.status_code != 202:
        raise RuntimeError(f"webhook for {delivery_id} answered {response.status_code}: {response.get_data()!r}")
    return time.time()


def delivered(sb: Sandbox) -> tuple[int, int]:
    """(SMS, emails) the sandbox took so far, without copying every message."""
    return len(sb.twilio.messages()), len(sb.emails)


def cpu(workers: list[subprocess.Popen], conn: redis.Redis) -> dict[str, float]:
    """CPU seconds so far: workers (with the job processes they reaped), this process (sandbox, poster), Redis."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "workers": common.cpu_seconds([w.pid for w in workers], reaped_children=True),
        "sandbox+poster": usage.ru_utime + usage.ru_stime,
        "redis": common.redis_cpu_seconds(conn),
    }


def drain(run: Run, sb: Sandbox, client, conn: redis.Redis, args: argparse.Namespace) -> None:
    """Keep a backlog of `depth` events queued until N are posted or the time budget is spent, then wait for the
    messages of every posted event."""
    run.memory_before = conn.info("memory")["used_memory"]
    deadline = time.monotonic() + args.max_seconds

    def room() -> bool:
        return len(run.accepted) - min(delivered(sb)) < run.depth

    for delivery_id in run.ids:
        if not wait_for(room, deadline - time.monotonic()) or time.monotonic() > deadline:
            break
        run.accepted[delivery_id] = post(client, delivery_id)
    run.ids = list(run.accepted)
    wait_for(lambda: min(delivered(sb)) >= len(run.ids), TAIL_SECONDS)


def idle_latency(run: Run, sb: Sandbox, client) -> None:
    """One event at a time on an empty queue."""
    for delivery_id in run.idle_ids:
        before = delivered(sb)
        run.accepted[delivery_id] = post(client, delivery_id)
        wait_for(lambda before=before: all(n > b for n, b in zip(delivered(sb), before, strict=True)), 10.0)
        time.sleep(0.1)


def settle(conn: redis.Redis, timeout: float = 10.0) -> None:
    """Until the queue is empty and no job is running (the last send records its outcome after the call)."""
    queue = Queue(QUEUE_NAME, connection=conn)
    started = StartedJobRegistry(QUEUE_NAME, connection=conn)
    wait_for(lambda: queue.count == 0 and started.count == 0, timeout)


def record_memory(run: Run, conn: redis.Redis) -> None:
    """MEMORY USAGE of the notification record (ntf:* but the counters), and Redis's whole growth."""
    run.memory_after = conn.info("memory")["used_memory"]
    keys = [k for k in conn.scan_iter(match="ntf:*", count=1000) if k != b"ntf:stats"]
    with conn.pipeline(transaction=False) as pipe:
        for key in keys:
            pipe.memory_usage(key, samples=0)
        run.record_bytes = sum(n or 0 for n in pipe.execute())
    run.failed_jobs = FailedJobRegistry(QUEUE_NAME, connection=conn).count


def run_mode(args: argparse.Namespace, simple: bool, url: str, sb: Sandbox, folder: Path) -> Run:
    """One drain with one kind of worker, from an empty Redis and sandbox."""
    common.flush(url)
    sb.reset()
    sb.latency = dict.fromkeys(("shippify", "twilio", "smtp"), args.latency_ms / 1000)
    run = Run(mode="simple" if simple else "fork", workers=args.workers, latency=args.latency_ms / 1000)
    run.channel = args.rule
    run.planned, run.budget, run.depth = args.events, args.max_seconds, max(20, 4 * args.workers)
    run.ids = [f"dr-{run.mode}-{i:05d}" for i in range(args.events)]
    run.idle_ids = [f"idle-{run.mode}-{i}" for i in range(IDLE_EVENTS)]
    run.phones = seed(sb, run.ids + run.idle_ids)
    env = service_env(url, sb, args.rule, folder)
    log = folder / f"workers-{run.mode}.log"
    workers = start_workers(args, simple, common.process_env(env), log)
    conn = redis.Redis.from_url(url)
    try:
        if not wait_for(lambda: Worker.count(connection=conn) >= args.workers, 30.0, workers):
            raise RuntimeError(f"workers did not start: {log.read_text()[-2000:]}")
        exercise(run, sb, create_app(env).test_client(), conn, workers, args)
    finally:
        for worker in workers:
            common.stop(worker)
        conn.close()
    run.sms, run.emails = (sb.whatsapp if args.rule == "whatsapp" else sb.sms), sb.emails
    run.fallbacks = len(sb.sms) if args.rule == "whatsapp" else 0
    return run


def exercise(run: Run, sb: Sandbox, client, conn: redis.Redis, workers: list, args: argparse.Namespace) -> None:
    """The drain (with CPU and memory watched), then single events on an idle queue, then Redis memory."""
    sampler = RssSampler([w.pid for w in workers])
    sampler.start()
    before = cpu(workers, conn)
    drain(run, sb, client, conn, args)
    run.cpu = {name: seconds - before[name] for name, seconds in cpu(workers, conn).items()}
    settle(conn)
    idle_latency(run, sb, client)
    settle(conn)
    record_memory(run, conn)
    sampler.stopped.set()
    run.worker_rss_kb, run.child_rss_kb = list(sampler.workers.values()), sampler.child


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    modes = {"simple": [True], "fork": [False], "both": [True, False]}[args.mode]
    with tempfile.TemporaryDirectory(prefix="bench-drain-") as tmp, common.redis_url() as url, Sandbox() as sb:
        runs = [run_mode(args, simple, url, sb, Path(tmp)) for simple in modes]
        ok = all([report(run, args.json) for run in runs])
        if not ok:
            for log in Path(tmp).glob("workers-*.log"):
                print(f"{log.name} (last lines):\n" + "".join(log.read_text().splitlines(keepends=True)[-20:]))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
