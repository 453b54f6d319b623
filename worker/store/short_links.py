"""Short tracking links: a random code per notification, kept with the delivery id and notification id only (the
tracking link itself is fetched fresh from Shippify at each click), and the clicks it receives.

The record lives under a digest of the code (keys.short_link), so reading Redis does not hand out working links;
it expires with the retention period, like the notification it belongs to."""

import secrets
from dataclasses import dataclass

import redis

from worker.store import daily, keys, scripts
from worker.store.rows import as_text, now

CODE_BYTES = 9  # 72 random bits, 12 URL-safe characters
CODE_LENGTH = 12  # characters of a code (base64url of CODE_BYTES)
KINDS = ("click", "preview")


@dataclass(frozen=True)
class Target:
    """Where a code leads: its delivery, and its notification's channel, locale and send time ("" when gone)."""

    delivery_id: str
    notification_id: str
    channel: str = ""
    locale: str = ""
    sent_at: float | None = None


def short_url(base_url: str, code: str) -> str:
    """The short link of a code on the service's own domain (PUBLIC_BASE_URL)."""
    return f"{base_url.rstrip('/')}/t/{code}"


def create(client: redis.Redis, ttl: int, delivery_id: str, notification_id: str) -> str:
    """A new code for one notification; returns the code (the only place it is kept is the message)."""
    code = secrets.token_urlsafe(CODE_BYTES)
    key = keys.short_link(code)
    with client.pipeline() as pipe:
        pipe.hset(key, mapping={"delivery_id": delivery_id, "notification_id": notification_id})
        pipe.expire(key, ttl)
        pipe.rpush(keys.timeline(delivery_id), f"l:{keys.short_link_digest(code)}")  # so that erasure finds it
        pipe.expire(keys.timeline(delivery_id), ttl)
        pipe.execute()
    return code


def find(client: redis.Redis, code: str) -> Target | None:
    """The code's target, or None for an unknown, expired or forgotten code (two round trips)."""
    found = client.hmget(keys.short_link(code), "delivery_id", "notification_id")
    if not all(found):
        return None
    delivery_id, notification_id = (as_text(v) for v in found)
    channel, locale, sent_at = client.hmget(keys.notification(notification_id), "channel", "locale", "sent_at")
    return Target(
        delivery_id,
        notification_id,
        as_text(channel or ""),
        as_text(locale or ""),
        float(sent_at) if sent_at else None,
    )


def record_visit(client: redis.Redis, target: Target, kind: str, ttl: int) -> bool:
    """Count a person's click (the first sets clicked_at, and counts the notification as clicked on today's
    dashboard, kept `ttl` seconds after the day) or a link preview, on the notification and in /metrics; False when
    the notification has expired."""
    if kind not in KINDS:
        raise ValueError(f"unknown visit kind {kind!r}: use one of {KINDS}")
    channel = target.channel or "unknown"
    day, expiry = daily.today(ttl)
    script = client.register_script(scripts.CLICK)
    touched = [keys.notification(target.notification_id), keys.STATS, day]
    return bool(
        script(keys=touched, args=[kind, now(), f"clicks_{channel}_{kind}", daily.figure(channel, "clicked"), expiry])
    )
