"""The intake's relay: the webhook records an event in one step, and a thread in each worker process queues its job.
A relay cut off between taking an event and queueing its job loses nothing; two relays, or a relay and the
maintenance, never queue a job twice; a relay rides out Redis going away."""

import dataclasses
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis
from rq.serializers import JSONSerializer

from bench.roundtrips import CountingProxy
from tests.conftest import WEBHOOK_TOKEN, wait_for
from worker import queueing, relay
from worker.__main__ import InProcessWorker
from worker.connection import connect
from worker.store import Store, pending

HEADERS = {"X-Webhook-Token": WEBHOOK_TOKEN}
EVALSHA = b"$7\r\nEVALSHA\r\n"  # RQ's unique enqueue is a script of its own


@pytest.fixture
def proxy(redis_url: str) -> Iterator[tuple[str, CountingProxy]]:
    """A TCP proxy to the test's Redis and the URL that reaches it; set its `cut_on` to cut, for real, any connection
    sending those bytes before Redis sees them, as a network cut or a crash at that point would."""
    parts = urlsplit(redis_url)
    tcp = CountingProxy(parts.port or 6379)
    yield urlunsplit(parts._replace(netloc=f"127.0.0.1:{tcp.port}")), tcp
    tcp.close()


def maintenance_pass(redis_client: redis.Redis, grace: float = 0) -> None:
    """One burst of the Procfile's worker: its relay, its maintenance (which queues what was left pending), then
    every job."""
    worker = InProcessWorker([queueing.QUEUE_NAME], connection=redis_client, serializer=JSONSerializer)
    worker.pending_grace = grace
    worker.work(burst=True)


def test_a_webhook_queues_no_job_itself_and_a_worker_relays_it_once(
    post_webhook, services, redis_client, work, sandbox
):
    sandbox.add_delivery("t-relay", email=None)
    answer = post_webhook({"id": "t-relay"}, status="going_to_dropoff").get_json()
    assert answer["status"] == "queued" and services.queue.count == 0  # the web process makes no RQ call
    assert pending.count(redis_client) == 1
    work()
    assert len(sandbox.sms) == 1 and pending.count(redis_client) == 0 and services.queue.count == 0


def test_a_relay_cut_before_it_queues_loses_nothing_and_queues_one_job(
    proxy, post_webhook, sandbox, settings, services, redis_client
):
    url, tcp = proxy
    sandbox.add_delivery("t-cut", email=None)
    first = post_webhook({"id": "t-cut"}, status="going_to_dropoff")
    again = post_webhook({"id": "t-cut"}, status="going_to_dropoff")
    assert (first.status_code, again.status_code, again.get_json()["status"]) == (202, 200, "duplicate")
    tcp.cut_on = EVALSHA
    cut_off = connect(url)
    with pytest.raises(redis.RedisError):  # cut, or no answer within the socket timeout
        relay.relay(Store(cut_off, settings.retention_seconds), queueing.queue(cut_off), settings)
    cut_off.close()
    assert tcp.cuts >= 1 and services.queue.count == 0 and redis_client.llen("ntf:relay") == 0  # taken, not queued
    assert services.store.event(first.get_json()["event_id"]).outcome == "queued"
    maintenance_pass(redis_client, grace=60)  # too soon: a relay might still be on its way
    assert services.queue.count == 0 and sandbox.sms == []
    maintenance_pass(redis_client)
    maintenance_pass(redis_client)
    assert len(sandbox.sms) == 1 and services.queue.count == 0 and pending.count(redis_client) == 0


def test_a_job_already_queued_is_not_queued_again_by_maintenance(post_webhook, services, settings, redis_client):
    """A crash after the maintenance queued a pending event's job but before it cleared the mark: the next pass finds
    the job there (RQ's unique enqueue) and only clears the mark."""
    answer = post_webhook({"id": "t-twice"}, status="going_to_dropoff").get_json()
    assert services.store.record_event(
        "e-left", {"delivery_id": "t-twice", "outcome": "queued", "status": "at_dropoff"}, pending=True
    )
    queueing.enqueue_process(services.queue, settings, "e-left", "t-twice")
    assert relay.queue_left_pending(services.store, services.queue, settings, older_than=0) == 1  # the webhook's
    assert pending.left(services.redis, 0) == []
    relay.drain(services.store, services.queue, settings)  # their ids, still on the list, are not pending any more
    job_ids = services.queue.get_job_ids()
    assert sorted(job_ids) == sorted([queueing.process_job_id(answer["event_id"]), "ev-e-left"])


def test_two_relays_at_once_queue_each_webhook_once(client, services, settings, redis_client):
    relays = [relay.Relay(settings), relay.Relay(settings)]
    for each in relays:
        each.start()
    event_ids = []
    for i in range(40):
        answer = client.post("/webhooks/shippify/going_to_dropoff", json={"id": f"t-{i}"}, headers=HEADERS)
        event_ids.append(answer.get_json()["event_id"])
    assert wait_for(lambda: pending.count(redis_client) == 0, 20)
    for each in relays:
        each.stop()
    assert not any(each.is_alive() for each in relays)
    job_ids = services.queue.get_job_ids()
    assert sorted(job_ids) == sorted(queueing.process_job_id(e) for e in event_ids)
    assert redis_client.llen("ntf:relay") == 0


def test_a_relay_rides_out_redis_going_away(proxy, client, services, settings, redis_client):
    url, tcp = proxy
    tcp.cut_on = b"\r\n"  # every command: Redis is unreachable
    running = relay.Relay(dataclasses.replace(settings, redis_url=url))
    running.start()
    answer = client.post("/webhooks/shippify/going_to_dropoff", json={"id": "t-away"}, headers=HEADERS)
    assert answer.status_code == 202
    assert wait_for(lambda: tcp.cuts >= 2, 20) and running.is_alive() and services.queue.count == 0
    tcp.cut_on = b""
    assert wait_for(lambda: services.queue.count == 1, 60)
    running.stop()
    assert not running.is_alive()
    assert services.queue.get_job_ids() == [queueing.process_job_id(answer.get_json()["event_id"])]
