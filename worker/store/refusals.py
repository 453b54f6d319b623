"""The audit list of refused resends: actor, delivery, time and cap (never the contact), kept for the retention."""

from typing import Any

import redis

from worker.store import audit, keys


def add(client: redis.Redis, retention_seconds: int, actor: str, delivery_id: str, cap: str, rate: str) -> None:
    """Add one refusal; older ones leave by age (the retention) and by count (audit.MAX_ENTRIES), in the same step."""
    entry = {"actor": actor, "delivery_id": delivery_id, "cap": cap, "rate": rate}
    audit.add(client, keys.RESEND_REFUSALS, entry, retention_seconds)


def newest(client: redis.Redis, limit: int = 100) -> list[dict[str, Any]]:
    """The newest refused resends first."""
    return audit.newest(client, keys.RESEND_REFUSALS, limit)
