"""Shared by the security suite: fixed Hypothesis settings (bounded, reproducible) and small helpers."""

import pytest
from hypothesis import HealthCheck, settings

from tests.conftest import WEBHOOK_TOKEN

# Every property test runs a fixed number of examples in a fixed order: CI time is bounded and failures reproduce.
# Function-scoped fixtures (app, Redis) are shared by a test's examples on purpose: state left by one example is
# part of what the next one meets, as in production.
FIXED = settings(
    max_examples=40, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def nothing_recorded(redis_client) -> bool:
    """No job queued and no event recorded: a refused request changed nothing."""
    return not redis_client.keys("rq:job:*") and not redis_client.keys("ntf:event:*")


@pytest.fixture
def raw_webhook(client):
    """POST raw bytes to the Shippify receiver with any headers (the secret header by default)."""

    def post(body: bytes, headers: dict | None = None, path: str = "/webhooks/shippify/going_to_dropoff"):
        sent = {"X-Webhook-Token": WEBHOOK_TOKEN} if headers is None else headers
        return client.post(path, data=body, headers=sent)

    return post
