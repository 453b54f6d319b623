"""Liveness, readiness and Prometheus metrics, all computed from Redis so every web process agrees."""

import time

import redis
from flask import Blueprint, Response, current_app, jsonify
from rq import Worker

from worker.services import Services
from worker.store import STATS_KEY

bp = Blueprint("health", __name__)
HEARTBEAT_FRESH_SECONDS = 120


@bp.get("/healthz")
def healthz() -> Response:
    """The process answers."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz() -> Response:
    """Redis answers and a worker has been seen recently."""
    services: Services = current_app.extensions["notifier"]
    checks: dict[str, str] = {}
    try:
        services.redis.ping()
        checks["redis"] = "ok"
        checks["workers"] = "ok" if _fresh_workers(services) else "no worker seen in the last 2 minutes"
    except (redis.ConnectionError, redis.TimeoutError):
        checks["redis"] = "unreachable"
    ready = all(v == "ok" for v in checks.values())
    response = jsonify(status="ready" if ready else "not_ready", checks=checks)
    response.status_code = 200 if ready else 503
    return response


def _fresh_workers(services: Services) -> int:
    """How many workers sent a heartbeat recently."""
    now = time.time()
    workers = Worker.all(connection=services.redis)
    return sum(1 for w in workers if w.last_heartbeat and now - w.last_heartbeat.timestamp() < HEARTBEAT_FRESH_SECONDS)


@bp.get("/metrics")
def metrics() -> Response:
    """Counters from Redis plus queue figures, in Prometheus text format."""
    services: Services = current_app.extensions["notifier"]
    stats = {_text(k): int(v) for k, v in services.redis.hgetall(STATS_KEY).items()}
    lines = ["# TYPE notifier_events_total counter"]
    lines += [f'notifier_events_total{{name="{name}"}} {value}' for name, value in sorted(stats.items())]
    lines += [
        "# TYPE notifier_queue_depth gauge",
        f"notifier_queue_depth {services.queue.count}",
        "# TYPE notifier_failed_jobs gauge",
        f"notifier_failed_jobs {services.queue.failed_job_registry.count}",
    ]
    return Response("\n".join(lines) + "\n", mimetype="text/plain; version=0.0.4")


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
