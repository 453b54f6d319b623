"""Console sessions kept in Redis, so that the server decides when one ends: at sign-out, after an idle timeout,
after an absolute lifetime, at a password change and at the account's removal.

The browser's signed cookie holds only a random session id; Redis holds the record under a digest of it (staff
member, created and last-seen times; its TTL is the idle timeout) and, per account, the set of its live sessions.
"""

import math
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import redis

from worker.store import as_text, decode_row, keys

IDLE_TIMEOUT = timedelta(minutes=30)
LIFETIME = timedelta(hours=12)


@dataclass
class Policy:
    """How long a session may sit unused and live at most; the clock is a parameter so that tests need not wait."""

    idle: timedelta = IDLE_TIMEOUT
    lifetime: timedelta = LIFETIME
    clock: Callable[[], float] = field(default=time.time)


def start(client: redis.Redis, username: str, policy: Policy) -> str:
    """A new session for `username`; returns the id the cookie carries."""
    session_id = secrets.token_urlsafe(32)
    key, now = keys.session(session_id), policy.clock()
    with client.pipeline() as pipe:
        pipe.hset(key, mapping={"staff": username, "created": now, "seen": now})
        pipe.expire(key, _seconds(policy.idle))
        pipe.sadd(keys.sessions(username), key)
        pipe.expire(keys.sessions(username), _seconds(policy.lifetime))
        pipe.execute()
    return session_id


def resume(client: redis.Redis, session_id: object, policy: Policy) -> str | None:
    """The staff member of a live session, whose idle time starts again; None when the session has ended."""
    if not isinstance(session_id, str) or not session_id:
        return None
    key, now = keys.session(session_id), policy.clock()
    row = decode_row(client.hgetall(key))
    if not _alive(row, now, policy):
        end(client, session_id, row.get("staff"))
        return None
    left = float(row["created"]) + policy.lifetime.total_seconds() - now
    with client.pipeline() as pipe:
        pipe.hset(key, "seen", now)
        pipe.expire(key, max(1, math.ceil(min(policy.idle.total_seconds(), left))))
        pipe.execute()
    return row["staff"]


def _alive(row: dict[str, str], now: float, policy: Policy) -> bool:
    """A complete record, used within the idle timeout and younger than the lifetime."""
    try:
        created, seen = float(row["created"]), float(row["seen"])
    except (KeyError, ValueError):
        return False
    idle_ok = now - seen <= policy.idle.total_seconds()
    young = now - created <= policy.lifetime.total_seconds()
    return bool(row.get("staff")) and idle_ok and young


def end(client: redis.Redis, session_id: str, username: str | None = None) -> None:
    """Sign-out: the record goes, and with it the session."""
    key = keys.session(session_id)
    with client.pipeline() as pipe:
        pipe.delete(key)
        if username:
            pipe.srem(keys.sessions(username), key)
        pipe.execute()


def end_all(client: redis.Redis, username: str) -> int:
    """Every session of an account ends (password change, removal); returns how many were live."""
    records = [as_text(k) for k in client.smembers(keys.sessions(username))]
    with client.pipeline() as pipe:
        for key in records:
            pipe.delete(key)
        pipe.delete(keys.sessions(username))
        deleted = pipe.execute()
    return sum(deleted[:-1])


def _seconds(duration: timedelta) -> int:
    """A TTL in whole seconds, never zero."""
    return max(1, math.ceil(duration.total_seconds()))
