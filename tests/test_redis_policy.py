"""Start-up warns when Redis may evict queued jobs."""

import pytest

from worker.connection import check_eviction_policy


@pytest.fixture
def policy(redis_client):
    before = redis_client.config_get("maxmemory-policy")["maxmemory-policy"]
    yield lambda value: redis_client.config_set("maxmemory-policy", value)
    redis_client.config_set("maxmemory-policy", before)


def test_noeviction_is_fine(redis_client, policy):
    policy("noeviction")
    assert check_eviction_policy(redis_client) is None


@pytest.mark.parametrize("value", ["allkeys-lru", "volatile-lru", "allkeys-random"])
def test_evicting_policies_get_a_clear_warning(redis_client, policy, value):
    policy(value)
    warning = check_eviction_policy(redis_client)
    assert value in warning and "noeviction" in warning and "delete queued notifications" in warning
