"""Shared by the security suite: fixed Hypothesis settings (bounded, reproducible) and small helpers."""

import pytest
from hypothesis import HealthCheck, settings

from tests.conftest import API_TOKEN, WEBHOOK_TOKEN
from web import create_app

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


@pytest.fixture
def make_app(env, settings):
    """Apps built from the test settings plus `changes`; their Redis connections are closed at teardown, so that
    hundreds of requests leave no socket for the garbage collector (an unclosed socket is an error here)."""
    made = []

    def make(**changes: str):
        made.append(create_app({**env, **changes}))
        return made[-1]

    yield make
    for app in made:
        app.extensions["notifier"].redis.close()


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def api_app(make_app):
    """The app with the resend API on (token name "helpdesk")."""
    return make_app(API_TOKENS=f"helpdesk:{API_TOKEN}")
