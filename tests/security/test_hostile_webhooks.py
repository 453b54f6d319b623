"""Hostile bodies and headers on the public webhook URL: each gets a 4xx JSON error, nothing is queued or recorded,
and the service keeps answering. Hypothesis draws the bodies (a fixed count, derandomized)."""

import json

from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import WEBHOOK_TOKEN
from tests.security.conftest import FIXED, nothing_recorded

JSON_SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)
NOT_AN_ID = (
    st.none()
    | st.booleans()
    | st.floats()
    | st.lists(JSON_SCALARS, max_size=2)
    | st.dictionaries(st.text(max_size=3), JSON_SCALARS, max_size=2)
    | st.just("")
    | st.just("  ")
)


def is_json_object(body: bytes) -> bool:
    try:
        return isinstance(json.loads(body), dict)
    except ValueError:
        return False


def dumps(value) -> bytes:
    return json.dumps(value).encode()


HOSTILE_BODIES = st.one_of(
    st.just(b""),
    st.binary(max_size=200).filter(lambda b: not is_json_object(b)),  # not JSON, or not an object
    st.text(max_size=50).map(str.encode).filter(lambda b: not is_json_object(b)),
    JSON_VALUES.filter(lambda v: not isinstance(v, dict)).map(dumps),  # JSON that is not an object
    st.integers(1000, 200_000).map(lambda depth: b'{"id": "t-1", "x": ' + b"[" * depth + b"]" * depth + b"}"),
    st.integers(129, 5_000_000).map(lambda size: dumps({"id": "x" * size})),  # huge id
    NOT_AN_ID.map(lambda value: dumps({"id": value})),  # wrong type for the id
    NOT_AN_ID.map(lambda value: dumps({"orderId": value, "_status": "going_to_dropoff"})),
    st.binary(min_size=1, max_size=50).map(lambda b: b'{"id": "' + b"\xff\xfe" + b + b'"}'),  # not UTF-8
    st.sampled_from([".", "..", "a\x00b", "t-1\n"]).map(lambda value: dumps({"id": value})),  # not a usable id
    st.just(b'{"id": "t-1", "id": null}'),  # duplicate keys: the last one counts
    st.just(b'{"id": "t-1", "id": {"$ne": 1}}'),
)
CONTENT_TYPES = st.sampled_from(
    [
        None,
        "application/json",
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data",
        "application/xml",
        "application/json; charset=latin-1",
        "",
    ]
)


@FIXED
@given(body=HOSTILE_BODIES, content_type=CONTENT_TYPES)
def test_hostile_bodies_get_a_json_400_and_record_nothing(raw_webhook, redis_client, body, content_type):
    headers = {"X-Webhook-Token": WEBHOOK_TOKEN}
    if content_type is not None:
        headers["Content-Type"] = content_type
    response = raw_webhook(body, headers)
    assert response.status_code == 400 and response.mimetype == "application/json"
    assert set(response.get_json()) == {"error", "detail"} and response.get_json()["detail"]
    assert nothing_recorded(redis_client)


SECRETS = st.one_of(
    st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")), min_size=1, max_size=40),  # non-ASCII
    st.integers(513, 200_000).map(lambda n: "x" * n),  # absurd length
    st.just(WEBHOOK_TOKEN + " "),
    st.just(WEBHOOK_TOKEN[:-1]),
    st.just(WEBHOOK_TOKEN.upper()),
)


@FIXED
@given(secret=SECRETS, header=st.sampled_from(["X-Webhook-Token", "X-Webhook-Token-X", "Authorization"]))
def test_wrong_secrets_get_a_json_401_and_record_nothing(raw_webhook, redis_client, secret, header):
    response = raw_webhook(b'{"id": "t-1"}', {header: secret})
    assert response.status_code == 401 and response.get_json()["error"] == "unauthorised"
    assert nothing_recorded(redis_client)


def test_no_secret_at_all_is_401_whatever_the_body(raw_webhook, redis_client):
    for body in (b"", b"not json", b"[" * 100_000, b'{"id": "t-1"}'):
        assert raw_webhook(body, {}).status_code == 401
    assert nothing_recorded(redis_client)


WRONG_TYPES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


@FIXED
@given(field=st.sampled_from(["_status", "status", "cityLang", "companyName", "trackingUrl"]), value=WRONG_TYPES)
def test_wrong_types_in_optional_fields_are_ignored_not_stored(raw_webhook, redis_client, field, value):
    redis_client.flushdb()
    response = raw_webhook(dumps({"id": "t-1", field: value}), path="/webhooks/shippify")
    assert response.status_code == 202 and response.get_json()["delivery_id"] == "t-1"
    (key,) = redis_client.keys("ntf:event:*")
    stored = redis_client.hgetall(key)
    assert {b"locale_hint", b"merchant_hint", b"tracking_url"}.isdisjoint(stored)
    assert stored[b"status_source"] == b"api"  # no usable status in the body: the worker asks Shippify


def test_hostile_text_in_hints_is_stored_as_bounded_utf8(raw_webhook, redis_client):
    body = b'{"id": "t-1", "companyName": "\\ud800' + b"A" * 10_000 + b'", "cityLang": "\\udfff"}'
    assert raw_webhook(body).status_code == 202
    (key,) = redis_client.keys("ntf:event:*")
    stored = redis_client.hgetall(key)
    assert stored[b"merchant_hint"] == b"?" + b"A" * 199 and stored[b"locale_hint"] == b"?"


def test_the_service_still_works_after_the_storm(raw_webhook, redis_client):
    for body in (b"\xff" * 1000, b"[" * 200_000, b'{"id": ' * 50_000):
        assert raw_webhook(body).status_code == 400
    assert raw_webhook(b'{"id": "t-1"}').status_code == 202
