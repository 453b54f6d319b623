"""Quiet hours: a rule's message that falls inside the window waits for its end, in the recipient's local time,
and is dropped with a reason if the delivery moved on meanwhile."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from rq.job import Job

from worker.events import notification_id
from worker.rules import QuietHours

SMS_ID = notification_id("t-1", "going_to_dropoff", "sms")
GUAYAQUIL = ZoneInfo("America/Guayaquil")  # the sandbox's recipient has an Ecuadorian mobile


def window(start: timedelta, end: timedelta) -> str:
    now = datetime.now(GUAYAQUIL)
    return f"{(now + start):%H:%M}-{(now + end):%H:%M}"


@pytest.fixture
def quiet_rules(tmp_path, monkeypatch):
    """Point the worker at a rules file whose main rule has the given quiet hours."""

    def use(quiet_hours: str) -> None:
        rules = tmp_path / "rules.toml"
        rules.write_text(f'[going_to_dropoff]\nchannels = ["sms"]\nquiet_hours = "{quiet_hours}"\n')
        monkeypatch.setenv("NOTIFY_RULES", str(rules))

    return use


def release_now(services) -> None:
    """What the worker's scheduler does when the window ends."""
    for job_id in services.queue.scheduled_job_registry.get_job_ids():
        job = Job.fetch(job_id, connection=services.redis, serializer=services.queue.serializer)
        services.queue.scheduled_job_registry.remove(job)
        services.queue.enqueue_job(job)


def test_inside_the_window_the_sms_waits_for_its_end(quiet_rules, sandbox, post_webhook, work, services):
    quiet_rules(window(timedelta(hours=-1), timedelta(hours=1)))
    sandbox.add_delivery("t-1")
    post_webhook({"id": "t-1"}, status="going_to_dropoff")
    work()
    assert not sandbox.sms
    record = services.store.notification(SMS_ID)
    assert (record.state, record.reason) == ("pending", "quiet_hours")
    expected = datetime.now(GUAYAQUIL) + timedelta(hours=1)
    assert abs(record.scheduled_for - expected.replace(second=0).timestamp()) < 120
    assert services.queue.scheduled_job_registry.count == 1
    release_now(services)
    work()
    assert len(sandbox.sms) == 1


def test_a_held_message_is_dropped_when_the_delivery_moved_on(quiet_rules, sandbox, post_webhook, work, services):
    quiet_rules(window(timedelta(hours=-1), timedelta(hours=1)))
    sandbox.add_delivery("t-1")
    post_webhook({"id": "t-1"}, status="going_to_dropoff")
    work()
    sandbox.set_status("t-1", "completed")
    release_now(services)
    work()
    assert not sandbox.sms
    record = services.store.notification(SMS_ID)
    assert (record.state, record.reason) == ("skipped", "moved_on")


def test_outside_the_window_the_sms_goes_at_once(quiet_rules, sandbox, post_webhook, work):
    quiet_rules(window(timedelta(hours=2), timedelta(hours=3)))
    sandbox.add_delivery("t-1")
    post_webhook({"id": "t-1"}, status="going_to_dropoff")
    work()
    assert len(sandbox.sms) == 1


@pytest.mark.parametrize(
    ("text", "inside", "outside"),
    [
        ("21:00-08:00", ["21:00", "23:59", "00:00", "07:59"], ["08:00", "12:00", "20:59"]),
        ("13:00-14:00", ["13:00", "13:59"], ["12:59", "14:00"]),
    ],
)
def test_windows_may_cross_midnight(text, inside, outside):
    quiet = QuietHours.parse(text)
    assert all(quiet.contains(datetime.strptime(t, "%H:%M").time()) for t in inside)
    assert not any(quiet.contains(datetime.strptime(t, "%H:%M").time()) for t in outside)


def test_the_end_is_the_next_one():
    quiet = QuietHours.parse("21:00-08:00")
    late = datetime(2026, 11, 27, 22, 30, tzinfo=GUAYAQUIL)
    early = datetime(2026, 11, 28, 6, 0, tzinfo=GUAYAQUIL)
    assert quiet.ends_after(late) == datetime(2026, 11, 28, 8, 0, tzinfo=GUAYAQUIL)
    assert quiet.ends_after(early) == datetime(2026, 11, 28, 8, 0, tzinfo=GUAYAQUIL)
