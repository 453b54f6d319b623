"""The webhook intake's two steps (record + pending mark, then RQ's enqueue): a connection cut between them, for
real, loses no event and never queues a job twice."""

from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis
from rq.serializers import JSONSerializer

from bench.roundtrips import CountingProxy
from tests.conftest import WEBHOOK_TOKEN
from worker import intake, queueing
from worker.__main__ import InProcessWorker
from worker.store import pending

HEADERS = {"X-Webhook-Token": WEBHOOK_TOKEN}
MULTI = b"$5\r\nMULTI\r\n"


@pytest.fixture
def cut_proxy(redis_url: str) -> Iterator[tuple[str, CountingProxy]]:
    """A TCP proxy to the test's Redis (and the URL that reaches it) that cuts any connection starting a transaction
    (the intake's second step) before Redis sees it, every time, as a network cut or a crash at that point would."""
    parts = urlsplit(redis_url)
    proxy = CountingProxy(parts.port or 6379, cut_on=MULTI)
    yield urlunsplit(parts._replace(netloc=f"127.0.0.1:{proxy.port}")), proxy
    proxy.close()


def maintenance_pass(redis_client: redis.Redis, settings, grace: float = 0) -> None:
    """One burst of the Procfile's worker: its maintenance (which queues what was left pending), then every job."""
    worker = InProcessWorker([queueing.QUEUE_NAME], connection=redis_client, serializer=JSONSerializer)
    worker.settings, worker.pending_grace = settings, grace
    worker.work(burst=True)


def test_a_cut_between_the_intake_steps_loses_nothing_and_queues_one_job(
    make_app, cut_proxy, sandbox, settings, services, redis_client
):
    url, proxy = cut_proxy
    sandbox.add_delivery("t-cut", email=None)
    client = make_app(REDIS_URL=url).test_client()
    first = client.post("/webhooks/shippify/going_to_dropoff", json={"id": "t-cut"}, headers=HEADERS)
    again = client.post("/webhooks/shippify/going_to_dropoff", json={"id": "t-cut"}, headers=HEADERS)
    assert (first.status_code, again.status_code, again.get_json()["status"]) == (202, 200, "duplicate")
    assert proxy.cuts >= 1 and services.queue.count == 0  # the second step never reached Redis
    assert services.store.event(first.get_json()["event_id"]).outcome == "queued"
    maintenance_pass(redis_client, settings, grace=60)  # too soon: the step might still be on its way
    assert services.queue.count == 0 and sandbox.sms == []
    maintenance_pass(redis_client, settings)
    maintenance_pass(redis_client, settings)
    assert len(sandbox.sms) == 1 and services.queue.count == 0


def test_a_job_already_queued_is_not_queued_again_by_maintenance(post_webhook, services, settings, redis_client):
    """A crash after the maintenance queued a pending event's job but before it cleared the mark: the next pass finds
    the job there (RQ's unique enqueue) and only clears the mark."""
    answer = post_webhook({"id": "t-twice"}, status="going_to_dropoff").get_json()
    assert services.store.record_event(
        "e-left", {"delivery_id": "t-twice", "outcome": "queued", "status": "at_dropoff"}, pending=True
    )
    queueing.enqueue_process(services.queue, settings, "e-left", "t-twice")
    assert intake.queue_left_pending(services.store, services.queue, settings, older_than=0) == 0
    assert pending.left(services.redis, 0) == []
    job_ids = services.queue.get_job_ids()
    assert sorted(job_ids) == sorted([queueing.process_job_id(answer["event_id"]), "ev-e-left"])
