"""Schemathesis against the app in-process, for every operation of /openapi.json: no 5xx, and every answer (status,
content type, body) is one the description documents. Positive and negative cases, 30 per phase, derandomized."""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from rq import SimpleWorker
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import API_TOKEN, WEBHOOK_TOKEN
from tests.security.conftest import nothing_recorded
from web.openapi import EXAMPLE_DELIVERY, spec

CONFIG = schemathesis.Config.from_dict(
    {
        "generation": {"max-examples": 30, "deterministic": True, "database": "none"},
        "phases": {"stateful": {"enabled": False}},
    }
)
schema = schemathesis.openapi.from_dict(spec("X-Webhook-Token"), config=CONFIG)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
CREDENTIALS = {
    "/webhooks/shippify": {"X-Webhook-Token": WEBHOOK_TOKEN},
    "/api/": {"Authorization": f"Bearer {API_TOKEN}"},
}
FIXTURES_PER_TEST = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])


def credentials(path: str) -> dict[str, str]:
    return next((headers for prefix, headers in CREDENTIALS.items() if path.startswith(prefix)), {})


@pytest.fixture
def live(api_app, sandbox, services):
    """The app with a delivery Shippify knows and a worker heartbeat, so that /readyz can answer 200."""
    sandbox.add_delivery(EXAMPLE_DELIVERY)
    worker = SimpleWorker([services.queue], connection=services.redis)
    worker.register_birth()
    worker.heartbeat()
    yield api_app
    worker.register_death()


@schema.parametrize()
@FIXTURES_PER_TEST
def test_with_credentials(case, live):
    case.call_and_validate(app=live, headers=credentials(case.path), checks=CHECKS)


@schema.parametrize()
@FIXTURES_PER_TEST
def test_without_credentials_nothing_is_recorded(case, live, redis_client):
    response = case.call_and_validate(app=live, checks=CHECKS)
    if case.method == "POST" and case.path.startswith(("/webhooks/", "/api/")):
        assert response.status_code in (401, 403, 404, 405), response.status_code
    assert nothing_recorded(redis_client)
