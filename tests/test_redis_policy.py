"""Start-up warns when Redis may evict queued jobs (on a Redis of the test's own: CONFIG SET is server-wide)."""

import pytest
import redis

from worker.connection import check_eviction_policy


@pytest.fixture
def policy(own_redis):
    client = redis.Redis.from_url(own_redis.connection_url)

    def set_policy(value: str) -> redis.Redis:
        client.config_set("maxmemory-policy", value)
        return client

    yield set_policy
    client.close()


def test_noeviction_is_fine(policy):
    assert check_eviction_policy(policy("noeviction")) is None


@pytest.mark.parametrize("value", ["allkeys-lru", "volatile-lru", "allkeys-random"])
def test_evicting_policies_get_a_clear_warning(policy, value):
    warning = check_eviction_policy(policy(value))
    assert value in warning and "noeviction" in warning and "delete queued notifications" in warning
