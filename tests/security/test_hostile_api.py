"""Hostile bodies on the resend API (with a valid token): a 400 JSON error naming the field, no call to Shippify,
nothing queued."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import API_TOKEN
from tests.security.conftest import FIXED, nothing_recorded

AUTH = {"Authorization": f"Bearer {API_TOKEN}"}
PATH = "/api/deliveries/t-1/resend"
WRONG_TYPES = st.one_of(
    st.booleans(), st.integers(), st.floats(), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2)
)


def is_json_object(body: bytes) -> bool:
    try:
        return isinstance(json.loads(body), dict)
    except ValueError:
        return False


HOSTILE = st.one_of(
    st.binary(min_size=1, max_size=200).filter(lambda b: b.strip() and not is_json_object(b)),
    st.integers(16 * 1024, 200_000).map(lambda n: json.dumps({"reason": "x" * n}).encode()),  # over 16 KB
    st.just(b"[" * 100_000 + b"]" * 100_000),
    st.sampled_from(["phone", "email", "reason"]).flatmap(
        lambda f: WRONG_TYPES.map(lambda v: json.dumps({f: v}).encode())
    ),
    WRONG_TYPES.filter(lambda v: not isinstance(v, str)).map(lambda v: json.dumps({"channels": [v]}).encode()),
    st.sampled_from([b'{"reason": "\\ud800"}', b'{"email": "a\\udfff@example.com", "channels": ["email"]}']),
)


@FIXED
@given(body=HOSTILE)
def test_hostile_bodies_get_a_json_400_and_change_nothing(api_app, sandbox, redis_client, body):
    sandbox.add_delivery("t-1")
    response = api_app.test_client().post(PATH, data=body, headers=AUTH, content_type="application/json")
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_fields"
    assert response.get_json()["fields"] and not sandbox.shippify_calls
    assert nothing_recorded(redis_client)


@pytest.mark.parametrize("field", ["reason", "email"])
def test_text_that_is_not_unicode_is_a_field_error(api_app, sandbox, field):
    """JSON's "\\ud800" decodes to a lone surrogate, which Redis cannot store: it was a 500."""
    sandbox.add_delivery("t-1")
    body = json.dumps({"channels": ["email"], field: "a\ud800b@example.com"}).encode()  # JSON escapes it
    response = api_app.test_client().post(PATH, data=body, headers=AUTH, content_type="application/json")
    assert response.status_code == 400 and field in response.get_json()["fields"]
