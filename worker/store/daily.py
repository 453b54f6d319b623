"""The dashboard's counters: one hash per UTC day (keys.day), written by the same atomic step as the change each
counts (scripts.py: ADVANCE, CLOSE, CLICK; the store's notification creation and hand-over) and kept RETENTION_DAYS
after the day ends. A dashboard reads one hash per day shown, in one round trip, and never a record.

Fields (channel names, figures and country codes hold no colon):
  <channel>:<figure>           a figure of FIGURES; each notification counts once per figure
  <channel>:messages:<CC>      messages the provider took, by the destination's country (ISO 3166, "--" unknown)
  <channel>:segments:<CC>      their segments, for messages whose record has them (SMS)
  latency:<bound>              webhook received → provider took the message, counted in the bucket of LATENCY_BUCKETS
                               (upper bounds, seconds) it falls in
"""

import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import redis

from worker.store import keys, states
from worker.store.rows import decode_row, now

FIGURES = ("sent", "delivered", "read", "clicked", "failed", "fallbacks", "suppressed")
# Each bound is at most twice the one before (1.5 times from 0.2 s up): a median or p95 read from them is the upper
# bound of the bucket it falls in, so it is at most that far above the true value.
LATENCY_BUCKETS = (0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 7.5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300, 450,
                   600, 900, 1800, 3600)  # fmt: skip
DAY = timedelta(days=1)


def date_of(at: float | None = None) -> str:
    """The UTC day of a moment (now by default), as YYYY-MM-DD."""
    return datetime.fromtimestamp(now() if at is None else at, UTC).strftime("%Y-%m-%d")


def last_days(count: int, at: float | None = None) -> list[str]:
    """The `count` UTC days ending today, oldest first."""
    today = datetime.fromtimestamp(now() if at is None else at, UTC)
    return [(today - DAY * back).strftime("%Y-%m-%d") for back in range(count - 1, -1, -1)]


def today(ttl: int) -> tuple[str, int]:
    """Today's counters' key and when it expires: `ttl` seconds after the day ends (epoch seconds)."""
    date = date_of()
    start = datetime.strptime(date, "%Y-%m-%d").replace(tzinfo=UTC)
    return keys.day(date), int((start + DAY).timestamp()) + ttl


def figure(channel: str, name: str) -> str:
    """The field of one figure of a channel."""
    return f"{channel}:{name}"


def count(pipe: Any, ttl: int, channel: str, name: str) -> None:
    """Count one figure today, on a pipeline (the caller's transaction is the atomic step)."""
    key, expiry = today(ttl)
    pipe.hincrby(key, figure(channel, name), 1)
    pipe.expireat(key, expiry)


def count_created(pipe: Any, ttl: int, record: Mapping[str, str]) -> None:
    """The figures a new notification counts, in its creation's transaction: a fallback (it carries `fallback_for`:
    the notification it replaces), a closed state (suppressed at once, say)."""
    if record.get("fallback_for"):
        count(pipe, ttl, record["channel"], "fallbacks")
    figure = states.FIGURE.get(record.get("state", ""))
    if figure:
        count(pipe, ttl, record["channel"], figure)


def observe(pipe: Any, ttl: int, seconds: float) -> None:
    """Add one webhook → provider duration to today's histogram, on a pipeline."""
    key, expiry = today(ttl)
    bound = next((f"{b:g}" for b in LATENCY_BUCKETS if seconds <= b), "+Inf")
    pipe.hincrby(key, f"latency:{bound}", 1)
    pipe.expireat(key, expiry)


def read(client: redis.Redis, dates: Sequence[str]) -> list[dict[str, int]]:
    """The counters of each day (an empty dict for a day with none, or expired), in one round trip."""
    with client.pipeline(transaction=False) as pipe:
        for date in dates:
            pipe.hgetall(keys.day(date))
        rows = pipe.execute()
    return [{k: int(v) for k, v in decode_row(row).items()} for row in rows]


def quantile(counters: Mapping[str, int], q: float) -> float | None:
    """The upper bound of the latency bucket holding the q-quantile (math.inf past the last bound), None when
    nothing was measured that day."""
    bounds = [*LATENCY_BUCKETS, math.inf]
    counts = [counters.get(f"latency:{'+Inf' if b == math.inf else f'{b:g}'}", 0) for b in bounds]
    total = sum(counts)
    if not total:
        return None
    rank, running = max(1, math.ceil(q * total)), 0
    for bound, amount in zip(bounds, counts, strict=True):
        running += amount
        if running >= rank:
            return float(bound)
    return math.inf
