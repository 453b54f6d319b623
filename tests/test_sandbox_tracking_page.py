"""The sandbox serves its own tracking page (as `make run` does), so a recipient's link leads somewhere: a plain
http link on exactly the sandbox API's host:port is accepted in development only, never in production."""

import dataclasses
import re

import pytest
import requests

from worker.errors import TransientError
from worker.services import Services

DELIVERY = "page-0001"


@pytest.fixture
def tracking_sandbox(sandbox):
    """The session's sandbox answering links to its own /track page for one test."""
    sandbox.serve_tracking()
    yield sandbox
    sandbox.serve_tracking(False)


def notify(sandbox, post_webhook, work) -> str:
    """One "on the way" SMS to Ana of Tienda Demo; its body."""
    sandbox.add_delivery(DELIVERY, status="going_to_dropoff", name="Ana Pérez", company="Tienda Demo")
    assert post_webhook({"id": DELIVERY, "cityLang": "es"}, status="going_to_dropoff").status_code == 202
    work()
    (sms,) = sandbox.sms
    return str(sms["body"])


def test_in_development_the_sms_link_opens_the_sandbox_tracking_page(tracking_sandbox, post_webhook, work):
    body = notify(tracking_sandbox, post_webhook, work)
    link = tracking_sandbox.tracking_url(DELIVERY)
    assert link.startswith(tracking_sandbox.api_url + "/track/") and body.endswith(link)
    page = requests.get(link, timeout=5)
    assert page.status_code == 200
    assert "Ana" in page.text and "Pérez" not in page.text and "Tienda Demo" in page.text
    assert tracking_sandbox.shippify.find(DELIVERY)["status_lang"] in page.text


def test_the_sandbox_page_refuses_a_wrong_token(tracking_sandbox, post_webhook, work):
    notify(tracking_sandbox, post_webhook, work)
    link = tracking_sandbox.tracking_url(DELIVERY)
    wrong = re.sub(r"token=[A-Za-z0-9]+", "token=" + "x" * 22, link)
    assert requests.get(wrong, timeout=5).status_code == 404
    assert requests.get(link.split("?")[0], timeout=5).status_code == 404


class TestWithShortLinks:
    @pytest.fixture
    def env(self, env):
        return {**env, "SHORT_LINKS": "true"}

    def test_the_sms_link_redirects_to_the_sandbox_page(self, tracking_sandbox, post_webhook, work, base_url):
        short_link_opens_the_page(tracking_sandbox, post_webhook, work, base_url)


def short_link_opens_the_page(tracking_sandbox, post_webhook, work, base_url) -> None:
    """The short link in the SMS: 302 to the sandbox page, and following it opens the page."""
    body = notify(tracking_sandbox, post_webhook, work)
    found = re.search(r"http://localhost(/t/[A-Za-z0-9_-]+)$", body)
    assert found, "the SMS carries no short link"
    answer = requests.get(base_url + found.group(1), allow_redirects=False, timeout=5)
    assert answer.status_code == 302
    assert answer.headers["Location"] == tracking_sandbox.tracking_url(DELIVERY)
    followed = requests.get(base_url + found.group(1), timeout=5)
    assert followed.status_code == 200 and "Tienda Demo" in followed.text


def test_in_production_an_http_link_from_the_api_is_still_refused(tracking_sandbox, settings, redis_client):
    tracking_sandbox.add_delivery(DELIVERY, status="going_to_dropoff")
    production = Services.from_settings(dataclasses.replace(settings, app_env="production"), redis_client)
    development = Services.from_settings(settings, redis_client)
    try:
        with pytest.raises(TransientError, match="plain https link"):
            production.shippify.get_tracking_link(DELIVERY)
        assert development.shippify.get_tracking_link(DELIVERY).url == tracking_sandbox.tracking_url(DELIVERY)
    finally:
        production.shippify.close()
        development.shippify.close()


@pytest.mark.parametrize(
    "link",
    [
        "http://127.0.0.1:1/track/page-0001?token=abc",  # another port on the same host
        "http://localhost:{port}/track/page-0001?token=abc",  # the same port under another name
        "http://evil.example@127.0.0.1:{port}/track/page-0001?token=abc",
        "http://127.0.0.1:{port}@evil.example/track/page-0001?token=abc",
        "http://127.0.0.1:{port}.evil.example/track/page-0001?token=abc",
        "http://127.0.0.1:{port}\\@evil.example/track/page-0001?token=abc",
    ],
)
def test_in_development_only_the_sandbox_api_origin_itself_may_be_plain_http(sandbox, services, link):
    sandbox.add_delivery(DELIVERY)
    sandbox.answer_tracking_url(DELIVERY, link.format(port=sandbox.api_url.rsplit(":", 1)[1]))
    with pytest.raises(TransientError, match="plain https link"):
        services.shippify.get_tracking_link(DELIVERY)
