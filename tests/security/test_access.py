"""Who may call what: every route of the app is classified and the walk proves it, security headers on every
answer, role checks and CSRF on every console form, and token comparisons that take the same time for every token."""

import hmac
import re

import pytest

from tests.conftest import API_TOKEN, WEBHOOK_TOKEN
from tests.security.conftest import nothing_recorded

PUBLIC = {"health.healthz", "health.readyz", "metrics.metrics", "openapi.openapi", "static"}
PUBLIC |= {"short_links.follow"}  # recipients open their short tracking link without an account (throttled)
CONSOLE_PUBLIC = {"console.login", "console.language"}  # the sign-in form and the language switch on it
REFUSAL = {"webhooks": 401, "twilio": 403, "api": 401, "console": 302}  # blueprint → answer to a stranger
VALUES = {
    "status": "going_to_dropoff",
    "delivery_id": "t-1",
    "job_id": "job-1",
    "action": "requeue",
    "username": "ana",
    "locale": "es",
    "filename": "console.css",
    "code": "unknowncode0001",
}


def walk(app):
    """(endpoint, method, path) of every route, its variables filled in."""
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<(?:[^:<>]+:)?(\w+)(?:\([^)]*\))?>", lambda m: VALUES[m.group(1)], rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule.endpoint, method, path


def test_every_route_is_public_by_decision_or_refuses_strangers(api_app, redis_client, csrf_token):
    client = api_app.test_client()
    token = csrf_token(client, "/console/login")  # a valid CSRF token: the refusal must come from authentication
    routes = list(walk(api_app))
    assert len(routes) >= 25
    for endpoint, method, path in routes:
        if endpoint in PUBLIC or endpoint in CONSOLE_PUBLIC:
            continue
        blueprint = endpoint.split(".")[0]
        assert blueprint in REFUSAL, f"{endpoint} is neither public nor behind a known check: classify it here"
        with client.open(path, method=method, data={"csrf_token": token}) as response:
            assert response.status_code == REFUSAL[blueprint], (method, path)
            if blueprint == "console":
                assert response.headers["Location"].startswith("/console/login?next="), (method, path)
    assert nothing_recorded(redis_client)


def test_public_routes_are_only_these(api_app):
    endpoints = {endpoint for endpoint, _, _ in walk(api_app)}
    assert {e for e in endpoints if e.split(".")[0] not in REFUSAL} == PUBLIC


FRAMED_BY_US = {"console.message_email_html"}  # the email preview, shown in an iframe of the console: no script


def csp(header: str) -> dict[str, str]:
    return {d.split(" ")[0]: d.partition(" ")[2] for d in (part.strip() for part in header.split(";")) if d}


def test_security_headers_on_every_answer(api_app, sign_in):
    client = sign_in(api_app.test_client(), role="admin")
    for endpoint, method, path in walk(api_app):
        with client.open(path, method=method) as response:
            policy = csp(response.headers["Content-Security-Policy"])
            assert policy.get("script-src", policy["default-src"]) in ("'self'", "'none'"), path
            assert policy["base-uri"] == "'none'", path
            framing = ("'self'", "SAMEORIGIN") if endpoint in FRAMED_BY_US else ("'none'", "DENY")
            assert (policy["frame-ancestors"], response.headers["X-Frame-Options"]) == framing, path
            assert response.headers["X-Content-Type-Options"] == "nosniff", path
            assert response.headers["Referrer-Policy"] == "no-referrer", path


def test_support_staff_get_403_on_every_admin_route(app, client, sign_in, csrf_token, redis_client):
    sign_in(client, role="support")
    token = csrf_token(client, "/console/")
    admin_routes = [(m, p) for e, m, p in walk(app) if e.startswith("console.admin.")]
    assert len(admin_routes) >= 5
    for method, path in admin_routes:
        form = {"csrf_token": token, "username": "mallory", "password": "x" * 12, "role": "admin"}
        assert client.open(path, method=method, data=form).status_code == 403, (method, path)
    assert not redis_client.exists("ntf:staff:mallory")


def test_every_console_form_needs_its_csrf_token(app, client, sign_in, redis_client, sandbox):
    sandbox.add_delivery("t-1")
    sign_in(client, role="admin")
    posts = [p for e, m, p in walk(app) if m == "POST" and e.startswith("console.")]
    assert len(posts) >= 7
    for path in posts:
        form = {"username": "mallory", "password": "x" * 12, "role": "admin", "channels": "sms", "lang": "pt"}
        response = client.post(path, data=form)
        assert response.status_code == 400 and "Reload the page" in response.text, path
    assert not redis_client.exists("ntf:staff:mallory") and not sandbox.sms
    assert client.get("/console/").status_code == 200  # still signed in: logout without a token did nothing


@pytest.fixture
def compare_calls(monkeypatch):
    """Count hmac.compare_digest calls: secrets are compared in constant time, and with every accepted one."""
    calls = []
    real = hmac.compare_digest

    def counting(a, b):
        calls.append(1)
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", counting)
    return calls


@pytest.mark.parametrize("sent", [API_TOKEN, "wrong-token-0123456789abcd", "second-token-0123456789abcdef"])
def test_api_token_is_compared_in_constant_time_with_every_token(make_app, compare_calls, sent):
    tokens = f"helpdesk:{API_TOKEN},crm:second-token-0123456789abcdef,bot:third-token-0123456789abcdef"
    client = make_app(API_TOKENS=tokens).test_client()
    response = client.post(
        "/api/deliveries/t-nobody/resend", json={"reason": 5}, headers={"Authorization": f"Bearer {sent}"}
    )
    assert response.status_code == (401 if sent.startswith("wrong") else 400)
    assert len(compare_calls) == 3


@pytest.mark.parametrize("sent", [WEBHOOK_TOKEN, "wrong-secret-0123456789"])
def test_webhook_secret_is_compared_in_constant_time_with_every_secret(post_webhook, compare_calls, sent):
    response = post_webhook({"id": "t-1"}, status="assigned", token=sent)
    assert response.status_code == (202 if sent == WEBHOOK_TOKEN else 401)
    assert len(compare_calls) == 2  # WEBHOOK_TOKENS holds the current and the previous secret


def resend_as(client, token: str) -> int:
    """An authenticated resend with an invalid field: 400 once the token is accepted, without calling Shippify."""
    headers = {"Authorization": f"Bearer {token}"}
    return client.post("/api/deliveries/t-1/resend", json={"channels": "fax"}, headers=headers).status_code


def test_api_tokens_rotate(make_app):
    old, new = "old-token-0123456789abcdef", "new-token-0123456789abcdef"
    both = make_app(API_TOKENS=f"helpdesk:{old},helpdesk2:{new}").test_client()
    assert (resend_as(both, old), resend_as(both, new)) == (400, 400)
    after = make_app(API_TOKENS=f"helpdesk2:{new}").test_client()
    assert (resend_as(after, old), resend_as(after, new)) == (401, 400)


@pytest.mark.parametrize(
    "header",
    [
        "Bearer " + "x" * 100_000,
        "Bearer ñandú-token-0123456789",
        "Bearer",
        "Bearer  ",
        f"bearer{API_TOKEN}",
        "Token " + API_TOKEN,
    ],
)
def test_absurd_authorization_headers_are_401(api_app, header):
    response = api_app.test_client().post("/api/deliveries/t-1/resend", json={}, headers={"Authorization": header})
    assert response.status_code == 401 and response.get_json()["error"] == "unauthorised"
