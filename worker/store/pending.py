"""Events recorded by the webhook intake whose job is still to be queued (the mark the intake's script sets and its
second step clears, see Store.record_event and Store.queue_pending): what the worker's maintenance finds when a
crash came between the two steps."""

import redis

from worker.store import keys
from worker.store.rows import as_text


def left(client: redis.Redis, older_than: float, limit: int = 100) -> list[tuple[str, str]]:
    """(event id, delivery id) of events marked pending for longer than `older_than` seconds (by Redis's clock):
    their intake stopped between its two steps. Marks of events that expired meanwhile are dropped."""
    seconds, _ = client.time()
    event_ids = [as_text(v) for v in client.zrangebyscore(keys.PENDING, "-inf", seconds - older_than, 0, limit)]
    with client.pipeline(transaction=False) as pipe:
        for event_id in event_ids:
            pipe.hget(keys.event(event_id), "delivery_id")
        found = list(zip(event_ids, pipe.execute(), strict=True))
    for event_id, delivery_id in found:
        if delivery_id is None:
            forget(client, event_id)
    return [(event_id, as_text(delivery_id)) for event_id, delivery_id in found if delivery_id is not None]


def forget(client: redis.Redis, event_id: str) -> None:
    """End an event's pending mark (its job is queued, or its record expired)."""
    client.zrem(keys.PENDING, event_id)
