"""Fake Shippify REST API: the delivery and tracking-token reads the service depends on."""

from __future__ import annotations

import copy
import hmac
import secrets
import string
import threading
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, jsonify, request

from sandbox.deliveries import apply_status, build_delivery
from sandbox.faults import Conditions, Fault

TRACK_BASE = "https://track.sandbox.test"
TOKEN_ALPHABET = string.ascii_letters + string.digits


def new_token() -> str:
    """A random 22-character token, the length Shippify's tokens have."""
    return "".join(secrets.choice(TOKEN_ALPHABET) for _ in range(22))


class ShippifyStore:
    """Deliveries, their tokens and the calls received, guarded by one lock for the handler threads."""

    def __init__(self, app_id: str, app_secret: str) -> None:
        self.app_id = app_id
        self.app_secret = app_secret
        self.track_base = TRACK_BASE  # the sandbox's own URL when it serves its tracking page (serve_tracking)
        self._lock = threading.Lock()
        self._deliveries: dict[str, dict[str, Any]] = {}
        self._tokens: dict[str, str] = {}
        self._calls: list[tuple[str, str]] = []
        self._urls: dict[str, str] = {}  # links given as they are, to try what a misbehaving answer would do

    def add(self, delivery_id: str, **overrides: Any) -> dict[str, Any]:
        """Build and store a delivery; returns a copy the caller may modify freely."""
        delivery = build_delivery(delivery_id, **overrides)
        with self._lock:
            self._deliveries[delivery_id] = delivery
            return copy.deepcopy(delivery)

    def _lookup(self, key: str) -> dict[str, Any] | None:
        """Find by id first, then by referenceId, as the real API accepts either (lock held)."""
        if key in self._deliveries:
            return self._deliveries[key]
        return next((d for d in self._deliveries.values() if d.get("referenceId") == key), None)

    def find(self, key: str) -> dict[str, Any] | None:
        """A copy of the delivery with that id or referenceId, or None."""
        with self._lock:
            found = self._lookup(key)
            return copy.deepcopy(found) if found is not None else None

    def set_status(self, key: str, status: str | int) -> dict[str, Any]:
        """Change a delivery's current status; KeyError when unknown."""
        with self._lock:
            delivery = self._lookup(key)
            if delivery is None:
                raise KeyError(key)
            apply_status(delivery, status, datetime.now(UTC))
            return copy.deepcopy(delivery)

    def token_for(self, key: str) -> dict[str, Any] | None:
        """The token answer for a delivery, with a token that stays the same on every call."""
        with self._lock:
            delivery = self._lookup(key)
            if delivery is None:
                return None
            delivery_id = delivery["id"]
            token = self._tokens.setdefault(delivery_id, new_token())
            recipient = delivery.get("recipient") or {}
            url = self._urls.get(delivery_id, f"{self.track_base}/track/{delivery_id}?token={token}&ref=server")
        return {
            "token": token,
            "url": url,
            "recipient": {"name": recipient.get("name"), "email": recipient.get("email")},
        }

    def tracked(self, delivery_id: str, token: str) -> dict[str, Any] | None:
        """A copy of the delivery when `token` is its own tracking token, else None."""
        with self._lock:
            expected = self._tokens.get(delivery_id)
            if expected is None or not hmac.compare_digest(token.encode(), expected.encode()):
                return None
            return copy.deepcopy(self._deliveries.get(delivery_id))

    def answer_url(self, delivery_id: str, url: str) -> None:
        """Answer this exact link for the delivery's token from now on."""
        with self._lock:
            self._urls[delivery_id] = url

    def record(self, method: str, path: str) -> None:
        """Remember a received call, in order."""
        with self._lock:
            self._calls.append((method, path))

    @property
    def calls(self) -> list[tuple[str, str]]:
        """Snapshot of the calls received."""
        with self._lock:
            return list(self._calls)

    def clear(self) -> None:
        """Forget deliveries, tokens and calls."""
        with self._lock:
            self._deliveries.clear()
            self._tokens.clear()
            self._calls.clear()
            self._urls.clear()


def error(status: int, message: str) -> tuple[Response, int]:
    """Shippify's documented error body."""
    return jsonify({"code": "ERROR", "message": message}), status


def fault_response(fault: Fault, conditions: Conditions) -> tuple[Response, int] | None:
    """Play a queued fault: hang first if asked, then answer its status (None = answer normally)."""
    conditions.sleep(fault.hang)
    if fault.status is None:
        return None
    response, status = error(fault.status, fault.message or f"Sandbox fault: HTTP {fault.status}")
    if fault.status in (429, 503):
        response.headers["Retry-After"] = "1"
    return response, status


def authorised(store: ShippifyStore) -> bool:
    """HTTP Basic with the company's APP ID and APP SECRET."""
    auth = request.authorization
    if auth is None or auth.type != "basic":
        return False
    user_ok = hmac.compare_digest((auth.username or "").encode(), store.app_id.encode())
    password_ok = hmac.compare_digest((auth.password or "").encode(), store.app_secret.encode())
    return user_ok and password_ok


def gate(store: ShippifyStore, conditions: Conditions, *services: str) -> tuple[Response, int] | None:
    """Common front of every Shippify call: record, delay, faults, then credentials."""
    store.record(request.method, request.path)
    conditions.pause("shippify")
    for service in services:
        fault = conditions.take(service)
        if fault is not None:
            answer = fault_response(fault, conditions)
            if answer is not None:
                return answer
            break
    if not authorised(store):
        return error(401, "Unauthorized: missing or invalid APP ID / APP SECRET")
    return None


def shippify_blueprint(store: ShippifyStore, conditions: Conditions) -> Blueprint:
    """Routes under /v1 that mimic api.shippify.co."""
    bp = Blueprint("shippify", __name__)

    @bp.get("/v1/deliveries/<path:key>/complete")
    def complete(key: str) -> Any:
        """GET a delivery with recipient phone and current status."""
        refused = gate(store, conditions, "shippify")
        if refused is not None:
            return refused
        delivery = store.find(key)
        return jsonify(delivery) if delivery is not None else error(404, "Delivery not found")

    @bp.get("/v1/deliveries/token/<path:key>")
    def token(key: str) -> Any:
        """GET the secret tracking token and link."""
        refused = gate(store, conditions, "shippify_token", "shippify")
        if refused is not None:
            return refused
        answer = store.token_for(key)
        return jsonify(answer) if answer is not None else error(404, "Delivery not found")

    @bp.route("/v1/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    def other(rest: str) -> Any:
        """Anything else under /v1 is recorded and answered like the real API's 404."""
        store.record(request.method, request.path)
        return error(404, "Not found")

    return bp
