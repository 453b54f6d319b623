"""Redis connections with timeouts, so an outage becomes a fast, visible error instead of a hang."""

import logging
from urllib.parse import parse_qs, urlsplit

import redis
from limits.storage import RedisStorage
from limits.strategies import MovingWindowRateLimiter

log = logging.getLogger(__name__)

SOCKET_TIMEOUT = 5.0
CONNECT_TIMEOUT = 2.0
# Connections one process keeps at most. A gevent web worker serves hundreds of connections at once and each request
# in flight would otherwise open its own (small managed Redis plans allow 20-40 in all); a webhook holds one for a
# single round trip, so requests wait for a free one instead, up to SOCKET_TIMEOUT, then answer 503.
MAX_CONNECTIONS = 10


def connect(url: str) -> redis.Redis:
    """A client for `url` on a bounded pool; `rediss://` accepts managed Redis's self-signed certificates unless
    told otherwise."""
    options: dict[str, object] = {
        "socket_timeout": SOCKET_TIMEOUT,
        "socket_connect_timeout": CONNECT_TIMEOUT,
        "health_check_interval": 30,
        "max_connections": MAX_CONNECTIONS,
        "timeout": SOCKET_TIMEOUT,  # how long to wait for a free connection
    }
    parts = urlsplit(url)
    if parts.scheme == "rediss" and "ssl_cert_reqs" not in parse_qs(parts.query):
        options["ssl_cert_reqs"] = "none"
    if parts.scheme == "unix":
        options.pop("socket_connect_timeout")
    return redis.Redis(connection_pool=redis.BlockingConnectionPool.from_url(url, **options))  # type: ignore[arg-type]


def check_eviction_policy(client: redis.Redis) -> str | None:
    """A warning when Redis may evict queued jobs; None when the policy is right or cannot be read."""
    try:
        policy = client.config_get("maxmemory-policy").get("maxmemory-policy")
    except redis.ResponseError:
        return None  # managed Redis often refuses CONFIG; nothing to say then
    if policy and policy != "noeviction":
        return (
            f"Redis maxmemory-policy is {policy!r}: under memory pressure Redis will silently delete queued "
            "notifications. Set it to 'noeviction' (Heroku Key-Value Store: `heroku redis:maxmemory --policy "
            "noeviction`)."
        )
    return None


def limiter(client: redis.Redis, key_prefix: str) -> MovingWindowRateLimiter:
    """A moving-window rate limiter (the `limits` library) keeping its counts in our Redis, on our connection pool."""
    storage = RedisStorage("redis://", connection_pool=client.connection_pool, key_prefix=key_prefix)
    return MovingWindowRateLimiter(storage)
