"""Liveness and readiness, from Redis so that every web process gives the same answer."""

import time

import redis
from flask import Blueprint, Response, current_app, jsonify
from rq import Worker

from web.metrics import oldest_age
from worker.services import Services
from worker.store import pending

bp = Blueprint("health", __name__)
HEARTBEAT_FRESH_SECONDS = 120
STUCK_SECONDS = 300


@bp.get("/healthz")
def healthz() -> Response:
    """The process answers."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz() -> Response:
    """For monitoring the whole service: Redis answers, a worker was seen recently, the queue moves and the workers'
    relay queues each received event's job.

    Use /healthz as a platform's routing health check: a stuck worker must not take webhook intake down."""
    services: Services = current_app.extensions["notifier"]
    checks: dict[str, str] = {}
    try:
        services.redis.ping()
        checks["redis"] = "ok"
        checks["workers"] = "ok" if _fresh_workers(services) else "no worker seen in the last 2 minutes"
        age = oldest_age(services.queue)
        checks["queue"] = "ok" if age < STUCK_SECONDS else f"the next job has waited {age:.0f} s"
        waited = pending.oldest_age(services.redis)
        checks["relay"] = "ok" if waited < STUCK_SECONDS else f"an event has waited {waited:.0f} s for its job"
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
