"""The audit list of refused resends: actor, delivery, time and cap (never the contact), kept for the retention."""

import json
import secrets
import time
from typing import cast

import redis

from worker.store import keys

MAX_REFUSALS = 10_000  # the newest kept, whatever the retention, so a flood cannot fill Redis


def add(client: redis.Redis, retention_seconds: int, actor: str, delivery_id: str, cap: str, rate: str) -> None:
    """Add one refusal; older ones leave by age (the retention) and by count (MAX_REFUSALS), in the same step."""
    now = time.time()
    entry = {"at": round(now), "actor": actor, "delivery_id": delivery_id, "cap": cap, "rate": rate}
    member = json.dumps({**entry, "n": secrets.token_hex(4)}, sort_keys=True)  # two refusals in a second stay two
    with client.pipeline() as pipe:
        pipe.zadd(keys.RESEND_REFUSALS, {member: now})
        pipe.zremrangebyscore(keys.RESEND_REFUSALS, "-inf", now - retention_seconds)
        pipe.zremrangebyrank(keys.RESEND_REFUSALS, 0, -MAX_REFUSALS - 1)
        pipe.expire(keys.RESEND_REFUSALS, retention_seconds)
        pipe.execute()


def newest(client: redis.Redis, limit: int = 100) -> list[dict[str, str]]:
    """The newest refused resends first."""
    entries = [json.loads(m) for m in cast(list[bytes], client.zrevrange(keys.RESEND_REFUSALS, 0, limit - 1))]
    return [{k: v for k, v in e.items() if k != "n"} for e in entries]
