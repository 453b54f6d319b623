"""What bench/drain.py measured, checked and printed: one summary line per figure, ratios against the limit."""

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from bench import common
from worker.queueing import RESULT_TTL

MESSAGES_PER_EVENT = 2  # the default rule for going_to_dropoff: one SMS and one email
CALLS_PER_EVENT = 4  # Shippify delivery + Shippify token + Twilio + SMTP
IDLE_BUDGET = 0.100  # seconds on top of the upstream time on one message's path
CALLS_ON_PATH = 3  # two Shippify calls, then the provider (the SMS and the email are sent in parallel)
RECORD_TARGET = 2048


@dataclass
class Run:
    mode: str
    workers: int
    latency: float
    planned: int = 0
    budget: float = 0.0
    depth: int = 0
    ids: list[str] = field(default_factory=list)
    idle_ids: list[str] = field(default_factory=list)
    phones: dict[str, str] = field(default_factory=dict)  # E.164 → delivery id
    accepted: dict[str, float] = field(default_factory=dict)  # delivery id → when the webhook got its 202
    drained_at: float = 0.0
    memory_before: int = 0
    memory_after: int = 0
    record_bytes: int = 0
    failed_jobs: int = 0
    channel: str = "sms"  # what the rule sends with the email: "sms", or "whatsapp" (SMS its fallback)
    sms: list[dict[str, Any]] = field(default_factory=list)  # the messages on that channel
    fallbacks: int = 0  # SMS sent instead of WhatsApp (none expected: every number is reachable)
    emails: list[Any] = field(default_factory=list)
    cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds used while draining, per process group
    worker_rss_kb: list[int] = field(default_factory=list)
    child_rss_kb: int = 0


def arrivals(run: Run) -> dict[str, dict[str, list[float]]]:
    """channel → delivery id → when each message reached the sandbox."""
    found: dict[str, dict[str, list[float]]] = {"sms": {}, "email": {}}
    for sms in run.sms:
        found["sms"].setdefault(run.phones.get(sms["to"].removeprefix("whatsapp:"), "?"), []).append(sms["created_at"])
    for received in run.emails:
        for rcpt in received.rcpt_tos:
            found["email"].setdefault(rcpt.partition("@")[0], []).append(received.received_at)
    return found


def latencies(run: Run, found: dict[str, dict[str, list[float]]], ids: list[str]) -> list[float]:
    """Webhook accepted → provider called, for every message of these deliveries."""
    return [t - run.accepted[i] for channel in found.values() for i in ids for t in channel.get(i, [])]


def check(run: Run, found: dict[str, dict[str, list[float]]]) -> dict[str, int]:
    everyone = set(run.ids + run.idle_ids)
    counts = {channel: Counter({i: len(times) for i, times in by_id.items()}) for channel, by_id in found.items()}
    return {
        "deliveries": len(everyone),
        "sms": sum(counts["sms"].values()),
        "email": sum(counts["email"].values()),
        "lost": sum(1 for c in counts.values() for i in everyone if c[i] == 0),
        "duplicated": sum(n - 1 for c in counts.values() for n in c.values() if n > 1),
        "strangers": sum(n for c in counts.values() for i, n in c.items() if i not in everyone),
        "failed_jobs": run.failed_jobs,
        "fallbacks": run.fallbacks,
    }


def figures(run: Run) -> dict[str, Any]:
    found = arrivals(run)
    last = max((t for channel in found.values() for i in run.ids for t in channel.get(i, [])), default=0.0)
    first = min(run.accepted[i] for i in run.ids)
    backlog, idle = latencies(run, found, run.ids), latencies(run, found, run.idle_ids)
    per_event = CALLS_PER_EVENT * run.latency
    return {
        "mode": run.mode,
        "messages_per_s": MESSAGES_PER_EVENT * len(run.ids) / (last - first) if last > first else 0.0,
        "limit_messages_per_s": MESSAGES_PER_EVENT * run.workers / per_event,
        "backlog_p50_ms": common.percentile(backlog, 50) * 1000,
        "backlog_p99_ms": common.percentile(backlog, 99) * 1000,
        "idle_p50_ms": common.percentile(idle, 50) * 1000,
        "idle_max_ms": common.percentile(idle, 100) * 1000,
        "idle_target_ms": (IDLE_BUDGET + CALLS_ON_PATH * run.latency) * 1000,
        "worker_rss_mb": max(run.worker_rss_kb, default=0) / 1024,
        "child_rss_mb": run.child_rss_kb / 1024,
        "cpu_ms_per_event": {name: seconds * 1000 / len(run.ids) for name, seconds in run.cpu.items()},
        "record_bytes_per_delivery": run.record_bytes / len(run.accepted),
        "redis_bytes_per_delivery": (run.memory_after - run.memory_before) / len(run.accepted),
        **check(run, found),
    }


def throughput_lines(run: Run, f: dict[str, Any]) -> list[str]:
    per_event = CALLS_PER_EVENT * run.latency
    worker = "python -m worker (as the Procfile)" if run.mode == "simple" else "python -m worker --fork"
    capped = f" (time budget {run.budget:g} s reached)" if len(run.ids) < run.planned else ""
    rate = f["messages_per_s"] / f["limit_messages_per_s"]
    return [
        f"drain setup [{run.mode}]: {len(run.ids)} of {run.planned} events{capped}, {run.depth} kept queued, "
        f"{run.workers} × {worker}, {run.latency * 1000:g} ms per upstream call, rule {run.channel} + email; "
        f"{common.machine()}",
        f"drain limit [{run.mode}]: per event 2 Shippify calls + 1 Twilio call + 1 SMTP session = {CALLS_PER_EVENT} × "
        f"{run.latency * 1000:g} ms = {per_event:.3f} s of worker time (over 3 jobs); {run.workers} workers / "
        f"{per_event:.3f} s = {run.workers / per_event:.1f} events/s = {f['limit_messages_per_s']:.1f} messages/s",
        f"drain messages/s [{run.mode}]: measured {f['messages_per_s']:.1f} limit {f['limit_messages_per_s']:.1f} "
        f"ratio {rate:.2f} (target >= 0.80){common.verdict(rate, '>= 0.80')}",
    ]


def latency_lines(run: Run, f: dict[str, Any]) -> list[str]:
    idle = f["idle_p50_ms"] / f["idle_target_ms"]
    return [
        f"drain latency with backlog ms [{run.mode}]: p50 {f['backlog_p50_ms']:.0f} p99 {f['backlog_p99_ms']:.0f} "
        f"(webhook accepted → provider called, {run.depth} events queued ahead)",
        f"drain idle latency ms [{run.mode}]: p50 {f['idle_p50_ms']:.0f} max {f['idle_max_ms']:.0f} target "
        f"{f['idle_target_ms']:.0f} (100 + {CALLS_ON_PATH} × {run.latency * 1000:g} upstream) ratio {idle:.2f} "
        f"(target < 1.00){common.verdict(idle, '< 1.00')}",
    ]


def resource_lines(run: Run, f: dict[str, Any]) -> list[str]:
    each = " ".join(f"{kb / 1024:.1f}" for kb in run.worker_rss_kb)
    record = f["record_bytes_per_delivery"] / RECORD_TARGET
    cpu = ", ".join(f"{name} {ms:.1f}" for name, ms in f["cpu_ms_per_event"].items())
    return [
        f"drain cpu ms/event [{run.mode}]: {cpu} (the machine has {common.cores() * 1000} ms/s)",
        f"drain worker rss MB [{run.mode}]: max {f['worker_rss_mb']:.1f} (each: {each}), "
        f"their children (scheduler, job processes) max {f['child_rss_mb']:.1f}",
        f"drain redis bytes/delivery [{run.mode}]: records {f['record_bytes_per_delivery']:.0f} ratio {record:.2f} "
        f"(target < {RECORD_TARGET}){common.verdict(record, '< 1.00')}; used_memory growth "
        f"{f['redis_bytes_per_delivery']:.0f} ({KEPT})",
    ]


KEPT = (
    f"with RQ's finished jobs and their result streams, kept {RESULT_TTL} s"
    if RESULT_TTL
    else "RQ keeps no finished job: the rest is its queues, registries and the workers' own keys"
)


def report(run: Run, as_json: bool) -> bool:
    """Print the summary lines; True when every delivery got exactly one SMS and one email."""
    f = figures(run)
    ok = f["lost"] == f["duplicated"] == f["strangers"] == f["fallbacks"] == 0
    ok = ok and f["sms"] == f["email"] == f["deliveries"]
    fallbacks = f" (SMS fallbacks {f['fallbacks']})" if run.channel == "whatsapp" else ""
    check = (
        f"drain check [{run.mode}]: {f['deliveries']} deliveries, {run.channel} {f['sms']}{fallbacks} email "
        f"{f['email']}, lost {f['lost']} "
        f"duplicated {f['duplicated']} unknown {f['strangers']}, failed jobs {f['failed_jobs']}: "
        + ("ok" if ok else "FAILED")
    )
    print("\n".join([*throughput_lines(run, f), *latency_lines(run, f), *resource_lines(run, f), check]))
    if as_json:
        print(json.dumps({"bench": "drain", "workers": run.workers, "latency_ms": run.latency * 1000, **f}))
    return ok
