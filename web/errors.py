"""Every error the service answers is JSON: {"error": "...", "detail": "..."}."""

import logging

import redis
from flask import Flask, Response, jsonify
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


def error(status: int, code: str, detail: str, **headers: str) -> Response:
    """A JSON error response."""
    response = jsonify(error=code, detail=detail)
    response.status_code = status
    response.headers.update(headers)
    return response


def register(app: Flask) -> None:
    """JSON for HTTP errors, 503 for an unreachable or full Redis, and a scrubbed 500 for the rest."""

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        code = (exc.name or "error").lower().replace(" ", "_")
        return error(exc.code or 500, code, exc.description or exc.name)

    @app.errorhandler(redis.ConnectionError)
    @app.errorhandler(redis.TimeoutError)
    def redis_down(exc: Exception) -> Response:
        log.error("Redis unreachable: %s", type(exc).__name__)
        return error(
            503,
            "unavailable",
            "storage is unreachable; nothing was recorded, send it again later",
            **{"Retry-After": "30"},
        )

    @app.errorhandler(redis.exceptions.OutOfMemoryError)
    def redis_full(exc: Exception) -> Response:
        log.error("Redis refused a write: it is at its maxmemory limit (raise it, or find what fills it)")
        return error(
            503,
            "unavailable",
            "storage is full; nothing was recorded, send it again later",
            **{"Retry-After": "30"},
        )

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Response:
        log.exception("unexpected error")
        return error(500, "internal_error", "the service failed; it was logged")
