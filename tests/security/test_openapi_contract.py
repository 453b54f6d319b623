"""/openapi.json is served, is valid OpenAPI 3.1, uses the configured secret header, and documents exactly the
machine-facing routes of the app (a new endpoint without a description fails here)."""

import re

import schemathesis

from tests.conftest import WEBHOOK_TOKEN
from web.openapi import spec

UNDESCRIBED = ("/console", "/static")  # the console is for browsers (tests/security/test_access.py walks it)


def documented(app) -> set[tuple[str, str]]:
    served = app.test_client().get("/openapi.json").get_json()
    return {(method.upper(), path) for path, item in served["paths"].items() for method in item}


def routed(app) -> set[tuple[str, str]]:
    return {
        (method, re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule))
        for rule in app.url_map.iter_rules()
        if not rule.rule.startswith(UNDESCRIBED)
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def test_served_description_is_the_spec(client):
    response = client.get("/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.get_json() == spec("X-Webhook-Token")


def test_description_is_valid_openapi_without_warnings(app):
    loaded = schemathesis.openapi.from_wsgi("/openapi.json", app)
    loaded.validate()
    assert loaded.iter_schema_warnings() == []


def test_every_machine_facing_route_is_described_and_nothing_else(app):
    assert routed(app) == documented(app)
    assert len(documented(app)) == 11


def test_the_secret_header_is_the_configured_one(make_app):
    app = make_app(WEBHOOK_TOKEN_HEADER="X-Shippify-Secret")
    served = app.test_client().get("/openapi.json").get_json()
    scheme = dict(served["components"]["securitySchemes"]["webhookToken"])
    assert scheme.pop("description").strip()
    assert scheme == {"type": "apiKey", "in": "header", "name": "X-Shippify-Secret"}
    answer = app.test_client().post(
        "/webhooks/shippify/going_to_dropoff", json={"id": "t-1"}, headers={"X-Shippify-Secret": WEBHOOK_TOKEN}
    )
    assert answer.status_code == 202


def test_every_error_answer_is_the_json_error_schema(client):
    checked = 0
    for path, item in client.get("/openapi.json").get_json()["paths"].items():
        for method, operation in item.items():
            for code, answer in operation["responses"].items():
                people = path.startswith("/t/")  # a recipient's browser gets pages (404, 429, 503), not JSON
                if int(code) >= 400 and not (path == "/readyz" and code == "503") and not people:
                    (media,) = answer["content"]
                    assert media == "application/json", (method, path, code)
                    schema = answer["content"][media]["schema"]
                    assert "#/components/schemas/Error" in str(schema), (method, path, code)
                    checked += 1
    assert checked >= 10  # webhooks, callbacks and the API each describe several refusals
