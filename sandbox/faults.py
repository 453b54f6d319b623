"""Injected faults and latency shared by the fake services, so tests can rehearse outages."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass

SERVICES = ("shippify", "shippify_token", "twilio", "smtp")
LATENCY_SERVICES = ("shippify", "twilio", "smtp")


@dataclass(frozen=True)
class Fault:
    """One queued misbehaviour; which fields matter depends on the service that consumes it."""

    service: str
    status: int | None = None
    code: int | None = None
    hang: float | None = None
    accept: bool = False
    stage: str = "data"
    message: str | None = None
    drop: bool = False  # SMTP: close the connection instead of replying

    def as_dict(self) -> dict[str, object]:
        """JSON view, for the control endpoint's answer."""
        return {
            "service": self.service,
            "status": self.status,
            "code": self.code,
            "hang": self.hang,
            "accept": self.accept,
            "stage": self.stage,
            "message": self.message,
            "drop": self.drop,
        }


class Conditions:
    """Holds pending faults and per-service latency behind one lock, so handler threads can share them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queues: dict[str, deque[Fault]] = {name: deque() for name in SERVICES}
        self.latency: dict[str, float] = dict.fromkeys(LATENCY_SERVICES, 0.0)
        self.stopping = threading.Event()

    def add(self, fault: Fault, times: int = 1) -> None:
        """Queue a fault `times` times; faults are consumed in the order they were added."""
        if fault.service not in SERVICES:
            raise ValueError(f"unknown service {fault.service!r}; expected one of {SERVICES}")
        if times < 1:
            raise ValueError("times must be >= 1")
        with self._lock:
            self._queues[fault.service].extend([fault] * times)

    def take(self, service: str, stage: str | None = None) -> Fault | None:
        """Pop the next fault of a service (only if it is for `stage`, when given)."""
        with self._lock:
            queue = self._queues[service]
            if not queue or (stage is not None and queue[0].stage != stage):
                return None
            return queue.popleft()

    def pending(self) -> list[Fault]:
        """Snapshot of every queued fault, for inspection."""
        with self._lock:
            return [fault for queue in self._queues.values() for fault in queue]

    def set_latency(self, values: dict[str, float]) -> None:
        """Update some services' added delay, refusing unknown names so typos do not pass silently."""
        unknown = set(values) - set(LATENCY_SERVICES)
        if unknown:
            raise ValueError(f"unknown latency service(s) {sorted(unknown)}; expected {LATENCY_SERVICES}")
        for name, seconds in values.items():
            if float(seconds) < 0:
                raise ValueError("latency must be >= 0")
            self.latency[name] = float(seconds)

    def delay_for(self, service: str) -> float:
        """Seconds to add to a call of this service."""
        return float(self.latency.get(service, 0.0))

    def sleep(self, seconds: float | None) -> None:
        """Block a handler thread, but wake up at once when the sandbox stops."""
        if seconds and seconds > 0:
            self.stopping.wait(seconds)

    def pause(self, service: str) -> None:
        """Apply a service's configured latency to the current call."""
        self.sleep(self.delay_for(service))

    def clear(self) -> None:
        """Drop all faults and latency (used by reset)."""
        with self._lock:
            for queue in self._queues.values():
                queue.clear()
        self.latency.clear()
        self.latency.update(dict.fromkeys(LATENCY_SERVICES, 0.0))
