"""The /metrics histogram of webhook-accepted → provider-accepted durations (the dashboard keeps its own per day,
daily.py): one hash, a count per bucket and the sum."""

from typing import Any

import redis

from worker.store import keys
from worker.store.rows import decode_row

# Upper bounds (seconds) of the webhook-to-send latency histogram behind /metrics.
LATENCY_BUCKETS = (0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 1800.0)


def observe(pipe: Any, seconds: float) -> None:
    """Add one webhook-accepted → provider-accepted duration to the histogram (on a pipeline)."""
    bucket = next((f"{b:g}" for b in LATENCY_BUCKETS if seconds <= b), "+Inf")
    pipe.hincrby(keys.LATENCY, bucket, 1)
    pipe.hincrbyfloat(keys.LATENCY, "sum", round(max(seconds, 0.0), 3))


def read(client: redis.Redis) -> tuple[list[tuple[str, int]], float]:
    """Cumulative (upper bound, count) pairs ending with +Inf, and the sum of durations."""
    raw = decode_row(client.hgetall(keys.LATENCY))
    running, buckets = 0, []
    for bound in [f"{b:g}" for b in LATENCY_BUCKETS] + ["+Inf"]:
        running += int(raw.get(bound, 0))
        buckets.append((bound, running))
    return buckets, float(raw.get("sum", 0.0))
