"""Audit lists: JSON entries in a sorted set by time, newest read first, bounded by age and by count so that a flood
cannot fill Redis. Refused resends (refusals.py) and erased recipients (erasure.py) keep theirs here."""

import json
import secrets
import time
from typing import Any, cast

import redis

MAX_ENTRIES = 10_000  # the newest kept, whatever their age


def add(client: redis.Redis, key: str, entry: dict[str, Any], keep_seconds: int) -> None:
    """Add one entry stamped `at`; entries older than `keep_seconds` and beyond MAX_ENTRIES leave in the same step."""
    now = time.time()
    member = json.dumps({"at": round(now), **entry, "n": secrets.token_hex(4)}, sort_keys=True)  # two in a second
    with client.pipeline() as pipe:
        pipe.zadd(key, {member: now})
        pipe.zremrangebyscore(key, "-inf", now - keep_seconds)
        pipe.zremrangebyrank(key, 0, -MAX_ENTRIES - 1)
        pipe.expire(key, keep_seconds)
        pipe.execute()


def newest(client: redis.Redis, key: str, limit: int = 100) -> list[dict[str, Any]]:
    """The newest entries first."""
    entries = [json.loads(m) for m in cast(list[bytes], client.zrevrange(key, 0, limit - 1))]
    return [{k: v for k, v in e.items() if k != "n"} for e in entries]
