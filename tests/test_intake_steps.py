"""The webhook intake's two steps (record + pending mark, then RQ's enqueue): a connection cut between them, for
real, loses no event and never queues a job twice."""

import socket
import threading
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis
from rq.serializers import JSONSerializer

from tests.conftest import WEBHOOK_TOKEN
from worker import intake, queueing
from worker.__main__ import InProcessWorker
from worker.store import pending

HEADERS = {"X-Webhook-Token": WEBHOOK_TOKEN}
MULTI = b"$5\r\nMULTI\r\n"


class CutsTransactions:
    """A TCP proxy to Redis that forwards everything but a MULTI: a connection that starts a transaction (the
    intake's second step) is cut before Redis sees it, every time, as a network cut or a crash at that point."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.target = (parts.hostname or "127.0.0.1", parts.port or 6379)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = urlunsplit(parts._replace(netloc=f"127.0.0.1:{self.listener.getsockname()[1]}"))
        self.cuts = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target, timeout=10)
            threading.Thread(target=self._pipe, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, False), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket, outgoing: bool) -> None:
        try:
            while data := source.recv(65536):
                if outgoing and MULTI in data:
                    self.cuts += 1
                    break
                sink.sendall(data)
        except OSError:
            pass
        for end in (source, sink):
            end.close()

    def close(self) -> None:
        self.listener.close()


@pytest.fixture
def cut_proxy(redis_url: str):
    proxy = CutsTransactions(redis_url)
    yield proxy
    proxy.close()


def maintenance_pass(redis_client: redis.Redis, settings, grace: float = 0) -> None:
    """One burst of the Procfile's worker: its maintenance (which queues what was left pending), then every job."""
    worker = InProcessWorker([queueing.QUEUE_NAME], connection=redis_client, serializer=JSONSerializer)
    worker.settings, worker.pending_grace = settings, grace
    worker.work(burst=True)


def test_a_cut_between_the_intake_steps_loses_nothing_and_queues_one_job(
    make_app, cut_proxy, sandbox, settings, services, redis_client
):
    sandbox.add_delivery("t-cut", email=None)
    client = make_app(REDIS_URL=cut_proxy.url).test_client()
    first = client.post("/webhooks/shippify/going_to_dropoff", json={"id": "t-cut"}, headers=HEADERS)
    again = client.post("/webhooks/shippify/going_to_dropoff", json={"id": "t-cut"}, headers=HEADERS)
    assert (first.status_code, again.status_code, again.get_json()["status"]) == (202, 200, "duplicate")
    assert cut_proxy.cuts >= 1 and services.queue.count == 0  # the second step never reached Redis
    assert services.store.event(first.get_json()["event_id"])["outcome"] == "queued"
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
