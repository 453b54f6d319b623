"""`python -m worker`: an RQ worker with the scheduler (for retry backoff), JSON jobs and PaaS-aware shutdown."""

import argparse
import logging
import sys

from dotenv import load_dotenv
from rq.serializers import JSONSerializer
from rq.worker import BaseWorker, HerokuWorker

from worker import jobs, logs, queueing, reporting
from worker.connection import check_eviction_policy, connect
from worker.settings import Settings, SettingsError

log = logging.getLogger("worker")

# A killed worker's job is retried by the maintenance pass once the job's heartbeat (monitoring interval + 60 s)
# expires. An idle worker blocks on the queue for worker_ttl - 15 s between maintenance checks, so a short TTL and
# interval bound the recovery to about two minutes.
MAINTENANCE_INTERVAL = 30
JOB_MONITORING_INTERVAL = 10
WORKER_TTL = 60


def main(argv: list[str] | None = None) -> int:
    """Validate settings, then work until told to stop."""
    parser = argparse.ArgumentParser(prog="python -m worker", description=__doc__)
    parser.add_argument("--burst", action="store_true", help="stop when the queue is empty")
    parser.add_argument("--name", help="worker name (default: host and pid)")
    parser.add_argument(
        "--simple", action="store_true", help="run jobs in this process (no fork per job): faster, less isolated"
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
    jobs.services().renderer.warm()  # built before forking: every job's process inherits clients and templates
    worker_class = _worker_class(args.simple)
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
    worker.work(burst=args.burst, with_scheduler=True, logging_level=settings.log_level)
    return 0


def _worker_class(simple: bool) -> type[BaseWorker]:
    """HerokuWorker gives a running job a few seconds when the platform sends SIGTERM to every process."""
    if simple:
        from rq.worker import SimpleWorker

        return SimpleWorker
    return HerokuWorker


if __name__ == "__main__":
    sys.exit(main())
