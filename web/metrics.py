"""`GET /metrics`: Prometheus text computed from Redis at scrape time, so every web process gives the same figures."""

import time
from collections.abc import Iterator

from flask import Blueprint, Response, current_app
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from rq import Worker
from rq.job import Job

from worker import dashboard
from worker.services import Services
from worker.store import pending

bp = Blueprint("metrics", __name__)


class RedisFigures:
    """A Prometheus collector reading the notifier's counters and RQ's queue state."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def collect(self) -> Iterator[Metric]:
        stats = self.services.store.stats()
        yield _counter("notifier_webhooks", "Shippify webhooks by outcome", "outcome", stats, "webhooks_")
        yield _counter("notifier_events", "Status events by what became of them", "outcome", stats, "events_")
        yield _by_two(
            "notifier_notifications",
            "Notifications entering each state, by channel",
            ["channel", "state"],
            stats,
            "notifications_",
        )
        # Short-link visits: kind "click" (a person) or "preview" (a messaging app or mail scanner).
        yield _by_two(
            "notifier_clicks", "Short tracking link visits, by channel and kind", ["channel", "kind"], stats, "clicks_"
        )
        yield from self._queue()
        yield self._latency()
        yield from self._today()

    def _queue(self) -> Iterator[Metric]:
        """Depth, failed and scheduled jobs, events waiting for the workers' relay, the oldest queued job's age, and
        live workers."""
        queue = self.services.queue
        yield GaugeMetricFamily("notifier_queue_depth", "Jobs waiting to run", value=queue.count)
        waiting = pending.count(self.services.redis)
        yield GaugeMetricFamily("notifier_events_waiting", "Events received whose job is not queued yet", value=waiting)
        yield GaugeMetricFamily(
            "notifier_failed_jobs", "Jobs in the failed list", value=queue.failed_job_registry.count
        )
        scheduled = queue.scheduled_job_registry.count
        yield GaugeMetricFamily("notifier_scheduled_jobs", "Jobs waiting for a retry", value=scheduled)
        yield GaugeMetricFamily(
            "notifier_oldest_queued_job_age_seconds", "Age of the next job", value=oldest_age(queue)
        )
        workers = Worker.count(connection=self.services.redis)
        yield GaugeMetricFamily("notifier_workers", "Registered worker processes", value=workers)

    def _latency(self) -> Metric:
        """Webhook accepted → provider accepted."""
        buckets, total = self.services.store.latency()
        family = HistogramMetricFamily(
            "notifier_webhook_to_send_seconds", "Time from webhook accepted to message accepted by the provider"
        )
        family.add_metric([], buckets=[(bound, float(count)) for bound, count in buckets], sum_value=total)
        return family

    def _today(self) -> Iterator[Metric]:
        """What today (UTC) cost so far, per channel, from the dashboard's counters: a day's cost is the value just
        before midnight UTC; money only for the countries PRICE_TABLE prices."""
        (today,) = dashboard.report(
            self.services.redis, self.services.settings.price_table, self.services.settings.rules, days=1
        )
        messages = GaugeMetricFamily(
            "notifier_today_messages", "Messages the providers took today (UTC)", labels=["channel"]
        )
        segments = GaugeMetricFamily("notifier_today_segments", "SMS segments billed today (UTC)", labels=["channel"])
        cost = GaugeMetricFamily(
            "notifier_today_cost", "Today's (UTC) cost from PRICE_TABLE", labels=["channel", "currency"]
        )
        for one in today.channels:
            messages.add_metric([one.channel], one.messages)
            segments.add_metric([one.channel], one.segments)
            for currency, amount in sorted(one.cost.items()):
                cost.add_metric([one.channel, currency], float(amount))
        yield from (messages, segments, cost)


def _by_two(name: str, doc: str, labels: list[str], stats: dict[str, int], prefix: str) -> Metric:
    """A counter with two labels from the `prefix<first>_<second>` fields of the stats hash (channel names, states
    and kinds hold no underscore)."""
    family = CounterMetricFamily(name, doc, labels=labels)
    for key, value in sorted(stats.items()):
        if key.startswith(prefix):
            first, _, second = key.removeprefix(prefix).partition("_")
            family.add_metric([first, second], value)
    return family


def _counter(name: str, doc: str, label: str, stats: dict[str, int], prefix: str) -> Metric:
    """One labelled counter from the `prefix*` fields of the stats hash."""
    family = CounterMetricFamily(name, doc, labels=[label])
    for key, value in sorted(stats.items()):
        if key.startswith(prefix):
            family.add_metric([key.removeprefix(prefix)], value)
    return family


def oldest_age(queue) -> float:
    """Seconds the job at the head of the queue has waited (0 when empty)."""
    ids = queue.get_job_ids(0, 1)
    job = Job.fetch(ids[0], connection=queue.connection, serializer=queue.serializer) if ids else None
    if job is None or job.enqueued_at is None:
        return 0.0
    return max(0.0, time.time() - job.enqueued_at.timestamp())


@bp.get("/metrics")
def metrics() -> Response:
    """Prometheus exposition format."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(RedisFigures(current_app.extensions["notifier"]))  # type: ignore[arg-type]
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)
