"""Resend caps per actor: one API token, staff member or CLI operator cannot send live tracking links to addresses
of its choosing across many deliveries; refusals answer 429 with Retry-After and are kept in the audit list."""

import threading
from collections.abc import Iterator

import pytest
import requests
from werkzeug.serving import make_server

from tests.conftest import API_TOKEN, flask_cli
from web import create_app
from worker.store import refusals

OTHER_TOKEN = "other-desk-token-0123456789abcd"


@pytest.fixture
def api_url(env, settings, sandbox) -> Iterator[str]:
    """The app with two API tokens (helpdesk, otherdesk), default caps, on a real socket."""
    app = create_app({**env, "API_TOKENS": f"helpdesk:{API_TOKEN},otherdesk:{OTHER_TOKEN}"})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


def post_resend(url: str, delivery_id: str, body: dict, token: str = API_TOKEN) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"}
    return requests.post(f"{url}/api/deliveries/{delivery_id}/resend", json=body, headers=headers, timeout=10)


def deliveries(sandbox, n: int, prefix: str = "t-cap") -> list[str]:
    ids = [f"{prefix}-{i:04d}" for i in range(n)]
    for delivery_id in ids:
        sandbox.add_delivery(delivery_id)
    return ids


CORRECTED = {"channels": ["email"], "email": "chosen@attacker.example", "reason": "ticket"}


def test_the_21st_corrected_resend_in_an_hour_is_refused_across_deliveries(api_url, sandbox, redis_client, services):
    *first, last = deliveries(sandbox, 21)
    assert [post_resend(api_url, d, CORRECTED).status_code for d in first] == [202] * 20
    refused = post_resend(api_url, last, CORRECTED)
    assert refused.status_code == 429 and refused.json()["error"] == "resend_limit"
    assert 0 < int(refused.headers["Retry-After"]) <= 3600
    assert services.store.notifications(last) == []  # nothing queued, nothing recorded as sent
    (audit,) = refusals.newest(redis_client)
    assert (audit["actor"], audit["delivery_id"], audit["cap"], audit["rate"]) == (
        "helpdesk",
        last,
        "corrected",
        "20/hour",
    )
    assert "attacker" not in str(audit)
    # the recipient's own contact has its own, higher cap; another token is not affected at all
    assert post_resend(api_url, last, {"channels": ["email"]}).status_code == 202
    assert post_resend(api_url, last, CORRECTED, token=OTHER_TOKEN).status_code == 202


def test_own_contact_resends_have_their_own_configurable_cap(env, settings, sandbox, redis_client):
    app = create_app({**env, "API_TOKENS": f"helpdesk:{API_TOKEN}", "RESEND_CAP_OWN": "3/hour"})
    api = app.test_client()
    auth = {"Authorization": f"Bearer {API_TOKEN}"}
    ids = deliveries(sandbox, 4, "t-own")
    answers = [api.post(f"/api/deliveries/{d}/resend", json={"channels": ["sms"]}, headers=auth) for d in ids]
    assert [a.status_code for a in answers] == [202, 202, 202, 429]
    assert "recipient's own contact (3 per hour)" in answers[-1].get_json()["detail"]
    corrected = api.post(f"/api/deliveries/{ids[-1]}/resend", json=CORRECTED, headers=auth)
    assert corrected.status_code == 202  # the corrected-destination cap (20/hour) is counted apart
    assert [e["cap"] for e in refusals.newest(redis_client)] == ["own"]


def test_a_staff_member_sees_the_cap_in_the_console_and_the_refusal_in_the_cli(
    env, settings, sandbox, redis_client, sign_in, csrf_token
):
    app = create_app({**env, "RESEND_CAP_CORRECTED": "1/hour"})
    staff_client = sign_in(app.test_client())
    first, second = deliveries(sandbox, 2, "t-staff")
    answers = []
    for delivery_id in (first, second):
        token = csrf_token(staff_client, f"/console/deliveries/{delivery_id}")
        form = {"csrf_token": token, "channels": ["email"], "email": "chosen@attacker.example"}
        answers.append(staff_client.post(f"/console/deliveries/{delivery_id}/resend", data=form))
    assert [a.status_code for a in answers] == [302, 429]
    assert "You reached your resend limit (1 an hour for this kind of destination)" in answers[1].text
    listed = flask_cli(app)(args=["resend-refusals"])
    assert listed.exit_code == 0 and f"\tana\t{second}\tcorrected 1/hour" in listed.output
    # the CLI operator is an actor of their own (cli:<os user>): one corrected resend, then the cap, said plainly
    runner = flask_cli(app)
    command = ["resend", "--channel", "email", "--to", "x@attacker.example"]
    results = [runner(args=[command[0], delivery_id, *command[1:]]) for delivery_id in (first, second)]
    assert [r.exit_code for r in results] == [0, 1]
    assert "you reached your resend cap to a corrected destination (1 per hour)" in results[1].output
