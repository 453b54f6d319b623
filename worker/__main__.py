"""`python -m worker`: an RQ worker with the scheduler (for retry backoff), JSON jobs and PaaS-aware shutdown."""

import argparse
import logging
import sys

from dotenv import load_dotenv
from rq.serializers import JSONSerializer
from rq.worker import BaseWorker, HerokuWorker

from worker import logs, queueing
from worker.connection import check_eviction_policy, connect
from worker.settings import Settings, SettingsError

log = logging.getLogger("worker")

# Abandoned jobs (a killed worker) are retried by the maintenance pass: run it often.
MAINTENANCE_INTERVAL = 60


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
    client = connect(settings.redis_url)
    warning = check_eviction_policy(client)
    if warning:
        log.warning(warning)
    worker_class = _worker_class(args.simple)
    worker = worker_class(
        [queueing.QUEUE_NAME],
        connection=client,
        serializer=JSONSerializer,
        name=args.name,
        disable_default_exception_handler=False,
        maintenance_interval=MAINTENANCE_INTERVAL,
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
