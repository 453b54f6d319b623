"""Webhook intake under load: our app (gunicorn as the Procfile runs it) against a floor app doing the least possible
(parse + one RQ enqueue, bench/floor_app.py), same gunicorn config, same traffic, measured in the same run.

    python bench/ingest.py [--duration 10] [--concurrency 16] [--rounds 2] [--tool auto|wrk|python] [--json]

Both apps run under gunicorn at once; the load alternates between them (ABBA) so that whatever else the machine
is doing weighs on both alike. Besides requests/s and latency, the CPU time of each app's gunicorn workers and of
Redis per request is printed: on a busy machine that is the steadier figure.

Our app queues no job itself: a worker's relay does (worker/relay.py). Before the check, the benchmark relays every
recorded event as a worker would, and prints that relay's CPU time per event apart: it is spent in the worker, not
in the web process the ratios compare.

Exits non-zero when an accepted event has no queued job or two, or on any 5xx; a missed target only prints.
"""

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script: the project's packages

import redis  # noqa: E402
from rq import Queue  # noqa: E402

from bench import bodies, common, load  # noqa: E402
from sandbox import Sandbox  # noqa: E402
from worker import relay  # noqa: E402
from worker.intake import event_id  # noqa: E402
from worker.queueing import QUEUE_NAME, process_job_id, queue  # noqa: E402
from worker.settings import Settings  # noqa: E402
from worker.store import Store, pending  # noqa: E402

FLOOR_QUEUE = "bench-floor"  # bench/floor_app.py's queue
APPS = {"ours": "web.wsgi:app", "floor": "bench.floor_app:app"}
WARMUP_SECONDS = 2.0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of measured load per app (10)")
    parser.add_argument("--concurrency", type=int, default=16, help="open connections (16)")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds per app, ABBA order (2)")
    parser.add_argument("--tool", choices=("auto", "wrk", "python"), default="auto", help="load generator")
    parser.add_argument(
        "--mix",
        choices=("mix", "fresh"),
        default="mix",
        help="mix: bench/bodies.py's traffic (repeats, 2 MB bodies); fresh: new ~1.5 KB bodies only",
    )
    parser.add_argument("--json", action="store_true", help="also print one machine-readable line")
    return parser.parse_args(argv)


def app_env(url: str, sb: Sandbox) -> dict[str, str]:
    """What the Procfile's web process gets in development, plus the floor's REDIS_URL."""
    return common.process_env(
        {**sb.env(), "APP_ENV": "development", "REDIS_URL": url, "WEBHOOK_TOKENS": bodies.TOKEN, "WEB_CONCURRENCY": "2"}
    )


def measure(servers: dict[str, tuple[int, subprocess.Popen]], url: str, args: argparse.Namespace) -> dict:
    """Warm both up, start from an empty Redis, then alternate the apps in ABBA order, `rounds` times each."""
    for name, (port, _) in servers.items():
        load.run(port, WARMUP_SECONDS, args.concurrency, f"{name}-warm", args.tool)
    time.sleep(0.5)  # let requests still in flight when the warm-up stopped finish before the flush
    common.flush(url)
    client = redis.Redis.from_url(url)
    results = {name: load.Load(tool="") for name in servers}
    for r in range(args.rounds):
        for name in list(servers)[:: 1 if r % 2 == 0 else -1]:
            port, process = servers[name]
            before = _cpu(process, client)
            result = load.run(port, args.duration / args.rounds, args.concurrency, f"{name}-r{r}", args.tool)
            result.cpu = {k: v - before[k] for k, v in _cpu(process, client).items()}
            results[name].tool = result.tool
            results[name].add(result)
    client.close()
    time.sleep(0.5)
    return results


def _cpu(server: subprocess.Popen, client: redis.Redis) -> dict[str, float]:
    """CPU seconds used so far by the app's gunicorn workers and by Redis."""
    return {"app": common.cpu_seconds(common.children(server.pid)), "redis": common.redis_cpu_seconds(client)}


def check(name: str, url: str, result: load.Load, args: argparse.Namespace, env: dict[str, str]) -> dict:
    """What reached the queue (ours: once relayed), against what the load generator was told."""
    client = redis.Redis.from_url(url)
    try:
        found = check_ours(client, result, relay_all(client, env)) if name == "ours" else check_floor(client, result)
    finally:
        client.close()
    slack = args.rounds * args.concurrency + result.errors  # requests cut off when a round stopped may be queued
    found["ok"] = found["lost"] == 0 and found["duplicated"] == 0 and found["bad"] == 0 and found["unanswered"] <= slack
    return found


def relay_all(client: redis.Redis, env: dict[str, str]) -> dict[str, float]:
    """Queue the job of every recorded event, as a worker's relay does (one relay, in this process): how many events
    and the CPU milliseconds each cost."""
    settings = Settings.from_env(env)
    before_cpu, before = time.process_time(), pending.count(client)
    relay.drain(Store(client, settings.retention_seconds), queue(client), settings)
    cpu_ms = (time.process_time() - before_cpu) * 1000
    return {"relayed": before, "relay_cpu_ms": cpu_ms / before if before else 0.0}


def check_ours(client: redis.Redis, result: load.Load, relayed: dict[str, float]) -> dict:
    """Every 202 has exactly one job (and every repeat answered 200 points at one); no job twice."""
    accepted = [i for status, i in result.responses if status == 202]
    repeats = {i for status, i in result.responses if status == 200}
    job_ids = Queue(QUEUE_NAME, connection=client).job_ids
    queued = set(job_ids)
    expected = {process_job_id(event_id(i, bodies.STATUS)) for i in accepted}
    answered = expected | {process_job_id(event_id(i, bodies.STATUS)) for i in repeats}
    with client.pipeline(transaction=False) as pipe:
        for job_id in expected:
            pipe.exists(f"rq:job:{job_id}")
        hashes = sum(pipe.execute())
    return _summary(
        result,
        **relayed,
        jobs=len(job_ids),
        lost=len(answered - queued) + (len(expected) - hashes),
        duplicated=(len(accepted) - len(set(accepted))) + (len(job_ids) - len(queued)),
        unanswered=len(queued - answered),
    )


def check_floor(client: redis.Redis, result: load.Load) -> dict:
    """The floor queues one job per request, repeats included."""
    jobs = client.llen(f"rq:queue:{FLOOR_QUEUE}")
    accepted = sum(1 for status, _ in result.responses if status == 202)
    return _summary(result, jobs=jobs, lost=max(0, accepted - jobs), duplicated=0, unanswered=max(0, jobs - accepted))


def _summary(result: load.Load, **figures: float) -> dict:
    statuses = Counter(status for status, _ in result.responses)
    bad = sum(n for status, n in statuses.items() if status not in (200, 202))
    return {"responses": len(result.responses), "statuses": dict(statuses), "bad": bad, **figures}


def run(args: argparse.Namespace, log: Path) -> dict[str, tuple[load.Load, dict]]:
    """Both apps up at once (the idle one costs nothing), same Redis, same traffic."""
    with common.redis_url() as url, Sandbox() as sb:
        env = app_env(url, sb)
        servers = {}
        try:
            for name, app in APPS.items():
                port = common.free_port()
                servers[name] = (port, common.gunicorn(app, port, env, log))
            loads = measure(servers, url, args)
        finally:
            for _, process in servers.values():
                common.stop(process)
        return {name: (result, check(name, url, result, args, env)) for name, result in loads.items()}


def report(args: argparse.Namespace, results: dict[str, tuple[load.Load, dict]]) -> None:
    ours, floor = results["ours"][0], results["floor"][0]
    print(
        f"ingest setup: {ours.tool}, {args.concurrency} connections, {ours.seconds:.1f} s per app in {args.rounds} "
        f"alternating rounds after {WARMUP_SECONDS:g} s warm-up, 2 gunicorn workers each as gunicorn.conf.py sets "
        f"them; traffic: {args.mix}; {common.machine()}"
    )
    label = "ingest rps" if args.mix == "mix" else "ingest rps (fresh small bodies)"
    print(common.ratio_line(label, ours.rps, floor.rps, ">= 0.90"))
    for p in (50, 99):
        ours_ms, floor_ms = ours.percentile_ms(p), floor.percentile_ms(p)
        print(common.ratio_line(f"ingest p{p} ms", ours_ms, floor_ms, "<= 1.50", "{:.1f}"))
    for group in ("app", "redis"):
        ours_ms, floor_ms = ours.cpu_ms(group), floor.cpu_ms(group)
        print(common.ratio_line(f"ingest {group} cpu ms/request", ours_ms, floor_ms, "<= 1.10", "{:.2f}", "aim"))
    relayed = results["ours"][1]
    print(
        f"ingest relay (in the worker, not in the ratios): {relayed['relayed']:.0f} events queued by one relay, "
        f"{relayed['relay_cpu_ms']:.2f} cpu ms/event"
    )
    for name, (result, check) in results.items():
        codes = " ".join(f"{status}={n}" for status, n in sorted(check["statuses"].items()))
        print(
            f"ingest check {name}: {check['responses']} responses ({codes}), {result.errors} socket errors; "
            f"{check['jobs']} jobs queued, {check['unanswered']} for requests cut off at the end; "
            f"lost {check['lost']} duplicated {check['duplicated']} bad {check['bad']}: "
            + ("ok" if check["ok"] else "FAILED")
        )
    if args.json:
        print(json_line(args, results))


def json_line(args: argparse.Namespace, results: dict[str, tuple[load.Load, dict]]) -> str:
    figures = {
        name: {
            "rps": r.rps,
            "p50_ms": r.percentile_ms(50),
            "p99_ms": r.percentile_ms(99),
            "app_cpu_ms": r.cpu_ms("app"),
            "redis_cpu_ms": r.cpu_ms("redis"),
            **c,
        }
        for name, (r, c) in results.items()
    }
    tool = results["ours"][0].tool
    return json.dumps({"bench": "ingest", "tool": tool, "concurrency": args.concurrency, **figures})


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.mix == "fresh":
        bodies.fresh_only()
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        log = Path(tmp) / "gunicorn.log"
        results = run(args, log)
        report(args, results)
        if all(check["ok"] for _, check in results.values()):
            return 0
        print("gunicorn log (last lines):\n" + "".join(log.read_text().splitlines(keepends=True)[-20:]))
        return 1


if __name__ == "__main__":
    sys.exit(main())
