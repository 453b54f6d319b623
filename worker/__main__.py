"""`python -m worker`: an RQ worker with the scheduler (for retry backoff), JSON jobs and a graceful stop."""

import argparse
import logging
import sys

from dotenv import load_dotenv
from redis.client import Pipeline
from rq.serializers import JSONSerializer
from rq.worker import BaseWorker, HerokuWorker, SimpleWorker

from worker import jobs, logs, queueing, relay, reporting
from worker.connection import check_eviction_policy, connect
from worker.settings import Settings, SettingsError

log = logging.getLogger("worker")

# A killed worker's job is retried by the maintenance pass once the job's heartbeat (job timeout + 60 s) expires.
# An idle worker blocks on the queue for worker_ttl - 15 s between maintenance checks, so a short TTL and interval
# bound the recovery to about two minutes.
MAINTENANCE_INTERVAL = 30
JOB_MONITORING_INTERVAL = 10
WORKER_TTL = 40


def main(argv: list[str] | None = None) -> int:
    """Validate settings, then work until told to stop."""
    parser = argparse.ArgumentParser(prog="python -m worker", description=__doc__)
    parser.add_argument("--burst", action="store_true", help="stop when the queue is empty")
    parser.add_argument("--name", help="worker name (default: host and pid)")
    parser.add_argument(
        "--fork",
        action="store_true",
        help="run each job in a forked process (RQ's Heroku-aware worker): more isolated, more CPU, less throughput",
    )
    args = parser.parse_args(argv)
    load_dotenv()
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    logs.configure(settings.log_level)
    reporting.init(settings.sentry_dsn, settings.app_env)
    client = connect(settings.redis_url)
    warning = check_eviction_policy(client)
    if warning:
        log.warning(warning)
    jobs.services().renderer.warm()  # built once: jobs reuse clients, connections and compiled templates
    worker_class = _worker_class(args.fork)
    worker = worker_class(
        [queueing.QUEUE_NAME],
        connection=client,
        serializer=JSONSerializer,
        name=args.name,
        maintenance_interval=MAINTENANCE_INTERVAL,
        job_monitoring_interval=JOB_MONITORING_INTERVAL,
        worker_ttl=WORKER_TTL,
        log_job_description=True,  # descriptions name the delivery id and channel only
    )
    try:
        worker.work(burst=args.burst, with_scheduler=True, logging_level=settings.log_level)
    finally:
        jobs.close_services()
        client.close()
    return 0


class _HeartbeatInOneTrip(BaseWorker):
    """RQ's worker heartbeat writes three keys, a round trip each, and beats several times per job; the same writes
    go in one pipeline here (where RQ passes a pipeline of its own, they join that one)."""

    def heartbeat(self, timeout: int | None = None, pipeline: Pipeline | None = None) -> None:
        if pipeline is not None:
            super().heartbeat(timeout, pipeline=pipeline)
            return
        with self.connection.pipeline(transaction=False) as pipe:
            super().heartbeat(timeout, pipeline=pipe)
            pipe.execute()


class _Relaying(BaseWorker):
    """A worker that also runs the intake's relay (worker/relay.py): a thread queueing the jobs of the webhooks'
    events while it works (in burst mode, all of them before it starts), and, after RQ's maintenance (every
    MAINTENANCE_INTERVAL), the jobs of events a relay left pending for longer than `pending_grace`. Settings are the
    process's own, as its jobs use them (jobs.services)."""

    pending_grace: float = relay.PENDING_GRACE

    def work(self, burst: bool = False, *args, **kwargs) -> bool:
        services = jobs.services()
        if burst:
            relay.drain(services.store, services.queue, services.settings)
            return super().work(burst, *args, **kwargs)
        relaying = relay.Relay(services.settings)
        relaying.start()
        try:
            return super().work(burst, *args, **kwargs)
        finally:
            relaying.stop()

    def run_maintenance_tasks(self) -> None:
        super().run_maintenance_tasks()
        services = jobs.services()
        relay.queue_left_pending(services.store, services.queue, services.settings, self.pending_grace)


class InProcessWorker(_Relaying, _HeartbeatInOneTrip, SimpleWorker):
    """Runs each job in the worker process (the Procfile's default)."""


class ForkingWorker(_Relaying, _HeartbeatInOneTrip, HerokuWorker):
    """Runs each job in a forked process, interrupted 6 s after SIGTERM (`--fork`)."""

    # What RQ attaches of the interrupted frame to the exception that ends a job at shutdown, and so to the failed
    # job's record and error reports: where it stopped, never its local variables (message text, phone, links).
    frame_properties = ["f_code", "f_lasti", "f_lineno"]


def _worker_class(fork: bool) -> type[_Relaying]:
    """Jobs run in the worker process by default: on SIGTERM it finishes the job in hand (every outside call has a
    timeout, so well within a platform's 30 s) and stops; if it is killed anyway, the job is retried and the send
    ledger keeps the message from going out twice. --fork: RQ's HerokuWorker, a process per job, interrupted 6 s
    after SIGTERM."""
    return ForkingWorker if fork else InProcessWorker


if __name__ == "__main__":
    sys.exit(main())
