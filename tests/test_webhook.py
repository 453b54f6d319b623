"""The Shippify receiver: authentication, validation, size limits, dedupe and Redis outages."""

import json

import pytest

from tests.conftest import OLD_WEBHOOK_TOKEN, WEBHOOK_TOKEN, relay_all

HEADERS = {"X-Webhook-Token": WEBHOOK_TOKEN}


def queued_jobs(services) -> int:
    """Jobs in the queue once a worker's relay has queued what the webhooks recorded."""
    return relay_all(services)


@pytest.mark.parametrize("token", [None, "", "wrong", "ñandú-secret", "x" * 5000])
def test_missing_or_wrong_secret_is_401_and_records_nothing(post_webhook, services, redis_client, token):
    response = post_webhook({"id": "t-1"}, status="going_to_dropoff", token=token)
    assert response.status_code == 401
    assert response.get_json()["error"] == "unauthorised"
    assert "X-Webhook-Token" in response.get_json()["detail"]
    assert queued_jobs(services) == 0 and not redis_client.keys("ntf:event:*")


def test_previous_secret_still_works_while_rotating(post_webhook):
    assert post_webhook({"id": "t-1"}, status="going_to_dropoff", token=OLD_WEBHOOK_TOKEN).status_code == 202


def test_secret_header_name_is_configurable(env, make_app):
    app = make_app(WEBHOOK_TOKEN_HEADER="X-Shippify-Secret")
    response = app.test_client().post(
        "/webhooks/shippify/going_to_dropoff",
        json={"id": "t-1"},
        headers={"X-Shippify-Secret": env["WEBHOOK_TOKENS"].split(",")[0]},
    )
    assert response.status_code == 202


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"", "invalid_json"),
        (b"not json", "invalid_json"),
        (b"\xff\xfe{}", "invalid_json"),
        (b"[1, 2]", "invalid_body"),
        (b'"id"', "invalid_body"),
        (b"{}", "missing_id"),
        (b'{"id": ""}', "missing_id"),
        (b'{"id": null}', "missing_id"),
        (b'{"id": {"a": 1}}', "missing_id"),
        (b'{"id": "a\\u0000b"}', "invalid_id"),
        (json.dumps({"id": "x" * 200}).encode(), "invalid_id"),
        (b"[" * 100000 + b"]" * 100000, "invalid_json"),
    ],
)
def test_bad_bodies_get_a_json_400_and_queue_nothing(post_webhook, services, body, error):
    response = post_webhook(body, status="going_to_dropoff")
    assert response.status_code == 400
    assert response.get_json()["error"] == error and response.get_json()["detail"]
    assert queued_jobs(services) == 0


def test_bad_status_in_url_is_400(post_webhook):
    response = post_webhook({"id": "t-1"}, status="going to dropoff!")
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_status"


def test_accepted_event_is_queued_with_202(post_webhook, services):
    response = post_webhook({"id": "t-1"}, status="going_to_dropoff")
    assert response.status_code == 202
    assert response.get_json()["status"] == "queued" and response.get_json()["delivery_status"] == "going_to_dropoff"
    assert queued_jobs(services) == 1


def test_large_body_with_base64_images_is_accepted_and_images_are_not_kept(post_webhook, services, redis_client):
    image = "iVBORw0KGgo" + "A" * (20 * 1024 * 1024)
    body = {"id": "t-1", "images": [image], "signature": image[:1000], "recipientInfo": {"name": "Ana"}}
    response = post_webhook(body, status="completed")
    assert response.status_code == 202
    kept = sum(redis_client.memory_usage(key) or 0 for key in redis_client.keys("*"))
    assert kept < 1024 * 1024
    assert b"iVBORw0KGgo" not in b"".join(redis_client.dump(k) or b"" for k in redis_client.keys("*"))


def test_body_over_the_limit_is_413_json(env, make_app):
    app = make_app(WEBHOOK_MAX_MB="1")
    response = app.test_client().post(
        "/webhooks/shippify/completed",
        data=b'{"id": "t-1", "x": "' + b"A" * (2 * 1024 * 1024) + b'"}',
        headers={"X-Webhook-Token": env["WEBHOOK_TOKENS"].split(",")[0]},
        content_type="application/json",
    )
    assert response.status_code == 413 and response.get_json()["error"] == "request_entity_too_large"


def test_chunked_bodies_over_a_real_socket_are_read_whole_and_limited(make_app, serve):
    """Without a Content-Length (chunked transfer), the body is still read whole, and the size limit still holds."""
    import requests

    app = make_app(WEBHOOK_MAX_MB="1")
    url = serve(app) + "/webhooks/shippify/going_to_dropoff"
    headers = {**HEADERS, "Content-Type": "application/json"}
    padding = b"A" * 200_000
    small = iter([b'{"id": "t-chunked", ', b'"note": "' + padding + b'"}'])
    response = requests.post(url, data=small, headers=headers, timeout=10)
    assert response.status_code == 202 and response.json()["delivery_id"] == "t-chunked"
    large = (b'{"id": "t-big", "x": "' if i == 0 else b"A" * 65_536 for i in range(40))
    response = requests.post(url, data=large, headers=headers, timeout=10)
    assert response.status_code == 413 and response.json()["error"] == "request_entity_too_large"
    assert queued_jobs(app.extensions["notifier"]) == 1


def test_same_event_five_times_is_one_queued_job(post_webhook, services):
    answers = [post_webhook({"id": "t-1"}, status="going_to_dropoff").status_code for _ in range(5)]
    assert answers == [202, 200, 200, 200, 200]
    assert queued_jobs(services) == 1


def test_intake_survives_redis_forgetting_its_scripts(make_app, own_redis):
    """A restarted or flushed Redis no longer knows the intake script: the next webhook loads it again."""
    app = make_app(REDIS_URL=own_redis.connection_url)
    client, notifier = app.test_client(), app.extensions["notifier"]

    def post(delivery_id: str) -> int:
        body = {"id": delivery_id}
        return client.post("/webhooks/shippify/going_to_dropoff", json=body, headers=HEADERS).status_code

    assert post("t-1") == 202
    notifier.redis.script_flush()
    assert [post("t-2"), post("t-2")] == [202, 200]
    assert queued_jobs(notifier) == 2


def test_redis_down_answers_503_json(env, make_app):
    app = make_app(REDIS_URL="redis://127.0.0.1:1/0")
    response = app.test_client().post(
        "/webhooks/shippify/going_to_dropoff",
        json={"id": "t-1"},
        headers={"X-Webhook-Token": env["WEBHOOK_TOKENS"].split(",")[0]},
    )
    assert response.status_code == 503
    assert response.get_json()["error"] == "unavailable" and response.headers["Retry-After"]


def test_unknown_paths_and_methods_answer_json(client):
    assert client.get("/webhooks/shippify").get_json()["error"] == "method_not_allowed"
    assert client.get("/nowhere").status_code == 404 and client.get("/nowhere").get_json()["error"] == "not_found"


def test_full_redis_answers_503_and_records_nothing_of_the_event(env, make_app, own_redis):
    """Redis at its memory limit (noeviction) refuses writes: the sender is told to retry, and no half-recorded
    event or queued job is left behind to make the retry look like a duplicate."""
    app = make_app(REDIS_URL=own_redis.connection_url)
    client, redis_client = app.test_client(), app.extensions["notifier"].redis
    redis_client.config_set("maxmemory", 1)
    response = client.post("/webhooks/shippify/going_to_dropoff", json={"id": "t-full"}, headers=HEADERS)
    assert response.status_code == 503
    assert response.get_json()["error"] == "unavailable" and response.headers["Retry-After"]
    assert redis_client.keys("ntf:event:*") == [] and queued_jobs(app.extensions["notifier"]) == 0
    redis_client.config_set("maxmemory", 0)
    response = client.post("/webhooks/shippify/going_to_dropoff", json={"id": "t-full"}, headers=HEADERS)
    assert response.status_code == 202 and queued_jobs(app.extensions["notifier"]) == 1
