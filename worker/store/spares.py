"""Spares: what a fallback message would need (its real destination and template context), kept from the moment
the first channel's message is queued until it is known whether the fallback goes: dropped once the first channel
reached the recipient, or once the fallback is queued (its outbox then holds what it needs)."""

import json
from collections.abc import Mapping
from typing import Any

import redis

from worker.store import keys
from worker.store.rows import decode_row


def keep(client: redis.Redis, ttl: int, notification_id: str, destination: str, context: Mapping[str, Any]) -> None:
    """The fallback's destination and context (JSON), for the retention period at most."""
    key = keys.spare(notification_id)
    with client.pipeline() as pipe:
        pipe.hset(key, mapping={"destination": destination, "context": json.dumps(dict(context))})
        pipe.expire(key, ttl)
        pipe.execute()


def get(client: redis.Redis, notification_id: str) -> tuple[str, dict[str, Any]] | None:
    """(destination, context) kept for a fallback, or None (never kept, used, or dropped)."""
    row = decode_row(client.hgetall(keys.spare(notification_id)))
    return (row["destination"], json.loads(row["context"])) if row.get("destination") else None


def drop(client: redis.Redis, notification_id: str) -> None:
    """Forget a fallback's destination and context: it went, or it will never be needed."""
    client.delete(keys.spare(notification_id))
