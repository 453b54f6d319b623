"""`POST /api/deliveries/<id>/resend`: bearer token, JSON in and out, the console's rules and audit."""

import pytest

from tests.conftest import API_TOKEN

DELIVERY = "t-shiinc-27946"
AUTH = {"Authorization": f"Bearer {API_TOKEN}"}


@pytest.fixture
def api(api_app):
    return api_app.test_client()


def test_resend_to_a_corrected_phone(api, sandbox, work, services):
    sandbox.add_delivery(DELIVERY)
    body = {"channels": ["sms"], "phone": "+593 99 111 2233", "reason": "ticket 4411: changed number"}
    response = api.post(f"/api/deliveries/{DELIVERY}/resend", json=body, headers=AUTH)
    assert response.status_code == 202
    answer = response.get_json()
    assert answer["delivery_id"] == DELIVERY and answer["status"] == "going_to_dropoff"
    (queued,) = answer["notifications"]
    assert (queued["channel"], queued["destination"], queued["state"]) == ("sms", "+593…33", "pending")
    work()
    (sms,) = sandbox.sms
    assert sms["to"] == "+593991112233" and sms["body"].endswith(sandbox.tracking_url(DELIVERY))
    record = services.store.notification(queued["notification_id"])
    assert (record.actor, record.resend_reason) == ("helpdesk", "ticket 4411: changed number")


def test_empty_body_resends_the_current_message_on_its_channels(api, sandbox, work):
    sandbox.add_delivery(DELIVERY, status="at_dropoff")
    response = api.post(f"/api/deliveries/{DELIVERY}/resend", headers=AUTH)
    assert response.status_code == 202 and response.get_json()["status"] == "at_dropoff"
    work()
    assert len(sandbox.sms) == 1 and not sandbox.emails


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer wrong-token-0123456789"}, {"Authorization": f"Basic {API_TOKEN}"}]
)
def test_missing_or_wrong_token(api, sandbox, headers):
    sandbox.add_delivery(DELIVERY)
    response = api.post(f"/api/deliveries/{DELIVERY}/resend", json={}, headers=headers)
    assert response.status_code == 401 and response.get_json()["error"] == "unauthorised"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert not sandbox.shippify_calls


def test_api_is_off_without_api_tokens(client):
    response = client.post(f"/api/deliveries/{DELIVERY}/resend", json={}, headers=AUTH)
    assert response.status_code == 401 and response.get_json()["error"] == "api_off"
    assert "API_TOKENS" in response.get_json()["detail"]


def test_every_api_route_needs_a_token(api_app):
    api = api_app.test_client()
    routes = [r for r in api_app.url_map.iter_rules() if r.rule.startswith("/api/")]
    assert routes
    for rule in routes:
        path = rule.rule.replace("<delivery_id>", DELIVERY)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert api.open(path, method=method, json={}).status_code == 401, (method, path)


def test_unknown_delivery(api, sandbox):
    response = api.post("/api/deliveries/t-nobody/resend", json={}, headers=AUTH)
    assert response.status_code == 404
    assert response.get_json() == {"error": "unknown_delivery", "detail": "Shippify does not know delivery t-nobody"}


def test_cap_answers_429_with_retry_after(api, sandbox, services):
    sandbox.add_delivery(DELIVERY)
    path = f"/api/deliveries/{DELIVERY}/resend"
    for _ in range(5):
        assert api.post(path, json={"channels": ["email"]}, headers=AUTH).status_code == 202
    refused = api.post(path, json={"channels": ["email"]}, headers=AUTH)
    assert refused.status_code == 429 and refused.get_json()["error"] == "resend_limit"
    assert int(refused.headers["Retry-After"]) > 0
    assert len(services.store.notifications(DELIVERY)) == 5


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"channels": ["fax"]}, "channels"),
        ({"channels": "sms,email"}, "channels"),
        ({"channels": [1]}, "channels"),
        ({"phone": "12"}, "phone"),
        ({"phone": 593991112233}, "phone"),
        ({"email": "ana@"}, "email"),
        ({"reason": "x" * 501}, "reason"),
        ([1, 2], "body"),
        ("not json", "body"),
    ],
)
def test_invalid_fields(api, sandbox, body, field):
    sandbox.add_delivery(DELIVERY)
    if isinstance(body, str):
        response = api.post(f"/api/deliveries/{DELIVERY}/resend", data=body, headers=AUTH)
    else:
        response = api.post(f"/api/deliveries/{DELIVERY}/resend", json=body, headers=AUTH)
    assert response.status_code == 400
    answer = response.get_json()
    assert answer["error"] == "invalid_fields" and field in answer["detail"] and field in answer["fields"]
    assert not sandbox.shippify_calls


def test_shippify_down_is_503_and_sends_nothing(api, sandbox, work):
    sandbox.add_delivery(DELIVERY)
    sandbox.fail("shippify", status=503, times=1)
    response = api.post(f"/api/deliveries/{DELIVERY}/resend", json={}, headers=AUTH)
    assert response.status_code == 503 and response.get_json()["error"] == "upstream_unavailable"
    work()
    assert not sandbox.sms and not sandbox.emails
