"""Events recorded by the webhook intake whose job is still to be queued: the relay list the worker's relay takes
them from (take) and the pending marks that outlive a relay interrupted before it queued them (left), both written
by the intake's script (Store.record_event)."""

import redis

from worker.store import keys
from worker.store.rows import as_text


def take(client: redis.Redis, limit: int, wait: float = 0) -> list[tuple[str, str]]:
    """(event id, delivery id) of up to `limit` events off the relay list, oldest first, waiting up to `wait` seconds
    for one when the list is empty (0: not at all). The ids are off the list once returned: the events' pending marks
    are what remains of them until forget. Events no longer pending (queued by the maintenance meanwhile, or erased)
    are skipped; an event that expired meanwhile also loses its mark."""
    with client.pipeline() as pipe:  # MULTI/EXEC: two relays never take the same ids
        pipe.lrange(keys.RELAY, 0, limit - 1)
        pipe.ltrim(keys.RELAY, limit, -1)
        event_ids = [as_text(v) for v in pipe.execute()[0]]
    if not event_ids and wait:
        popped = client.blpop([keys.RELAY], timeout=wait)
        event_ids = [as_text(popped[1])] if popped else []
    return _still_pending(client, event_ids)


def left(client: redis.Redis, older_than: float, limit: int = 100) -> list[tuple[str, str]]:
    """(event id, delivery id) of events marked pending for longer than `older_than` seconds (by Redis's clock): the
    relay that took them stopped before it queued their job, or none ran. Marks of events that expired meanwhile are
    dropped."""
    seconds, _ = client.time()
    event_ids = [as_text(v) for v in client.zrangebyscore(keys.PENDING, "-inf", seconds - older_than, 0, limit)]
    return _still_pending(client, event_ids)


def count(client: redis.Redis) -> int:
    """How many events are recorded and still wait for their job to be queued (a growing number: no worker runs)."""
    return int(client.zcard(keys.PENDING))


def oldest_age(client: redis.Redis) -> float:
    """Seconds the longest-waiting event has waited for its job to be queued, by Redis's clock (0: none waits)."""
    with client.pipeline(transaction=False) as pipe:
        pipe.zrange(keys.PENDING, 0, 0, withscores=True)
        pipe.time()
        oldest, (seconds, _) = pipe.execute()
    return max(0.0, seconds - oldest[0][1]) if oldest else 0.0


def forget(client: redis.Redis, *event_ids: str) -> None:
    """End events' pending marks (their jobs are queued, or their records expired)."""
    if event_ids:
        client.zrem(keys.PENDING, *event_ids)


def _still_pending(client: redis.Redis, event_ids: list[str]) -> list[tuple[str, str]]:
    """The events among `event_ids` still marked pending, with their delivery ids, in one round trip."""
    if not event_ids:
        return []
    with client.pipeline(transaction=False) as pipe:
        for event_id in event_ids:
            pipe.zscore(keys.PENDING, event_id)
            pipe.hget(keys.event(event_id), "delivery_id")
        answers = pipe.execute()
    found = [(event_id, answers[2 * i], answers[2 * i + 1]) for i, event_id in enumerate(event_ids)]
    forget(client, *[event_id for event_id, mark, delivery_id in found if mark is not None and delivery_id is None])
    return [(event_id, as_text(d)) for event_id, mark, d in found if mark is not None and d is not None]
