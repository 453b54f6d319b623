"""A few seconds' memory of fresh tracking links, per web process, so that a burst of clicks on one delivery's
short links costs Shippify one call: concurrent misses on the same delivery wait for the first one's answer. Only
answers are kept (a failure is not), never beyond `ttl`, and never written anywhere."""

import threading
import time
from collections.abc import Callable

from worker.clients.shippify import TrackingLink

TTL_SECONDS = 10.0
MAX_ENTRIES = 10_000


class LinkCache:
    """Delivery id → (expiry, link); one lock per delivery being fetched (gevent makes these greenlet locks)."""

    def __init__(self, ttl: float = TTL_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl, self.clock = ttl, clock
        self._links: dict[str, tuple[float, TrackingLink]] = {}
        self._fetching: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def get(self, delivery_id: str, fetch: Callable[[str], TrackingLink]) -> TrackingLink:
        """The cached link while fresh, else `fetch(delivery_id)` (once for concurrent callers); fetch errors pass."""
        link = self._fresh(delivery_id)
        if link is not None:
            return link
        with self._guard:
            lock = self._fetching.setdefault(delivery_id, threading.Lock())
        with lock:
            link = self._fresh(delivery_id)  # fetched by the caller we waited for
            if link is None:
                link = fetch(delivery_id)
                self._keep(delivery_id, link)
        with self._guard:
            self._fetching.pop(delivery_id, None)
        return link

    def _fresh(self, delivery_id: str) -> TrackingLink | None:
        entry = self._links.get(delivery_id)
        return entry[1] if entry is not None and entry[0] > self.clock() else None

    def _keep(self, delivery_id: str, link: TrackingLink) -> None:
        """Remember a link; past MAX_ENTRIES, expired entries go first, then everything (a burst is short)."""
        now = self.clock()
        if len(self._links) >= MAX_ENTRIES:
            self._links = {k: v for k, v in self._links.items() if v[0] > now}
            if len(self._links) >= MAX_ENTRIES:
                self._links.clear()
        self._links[delivery_id] = (now + self.ttl, link)
