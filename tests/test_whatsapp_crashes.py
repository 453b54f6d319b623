"""A worker killed inside the WhatsApp send: the send ledger still makes one WhatsApp message per notification, and
the SMS fallback goes once or not at all, as the message Twilio holds says."""

import time
from pathlib import Path

import pytest

from tests.conftest import wait_for
from tests.test_crashes import kill_inside_twilio_calls
from worker import fallback
from worker.events import notification_id

REACHABLE, UNREACHABLE = "+593991110001", "+593991110002"
RULES = '[going_to_dropoff]\nchannels = ["whatsapp"]\nfallback = { whatsapp = "sms" }\n'


@pytest.fixture
def env(env: dict[str, str], sandbox, tmp_path: Path) -> dict[str, str]:
    rules = tmp_path / "rules.toml"
    rules.write_text(RULES)
    return {**env, **sandbox.whatsapp_env(), "NOTIFY_RULES": str(rules)}


def whatsapp_id(delivery_id: str) -> str:
    return notification_id(delivery_id, "going_to_dropoff", "whatsapp")


def settled(services, delivery_id: str) -> bool:
    record = services.store.notification(whatsapp_id(delivery_id))
    return record is not None and record.state not in ("pending", "claimed")


def to(messages: list[dict], number: str) -> list[dict]:
    return [m for m in messages if m["to"].endswith(number)]


@pytest.mark.slow
@pytest.mark.timeout(360)
def test_worker_killed_inside_the_whatsapp_send_sends_one_message_and_falls_back_as_twilio_says(
    sandbox, post_webhook, spawn_worker, services
):
    sandbox.mark_whatsapp(UNREACHABLE, "unreachable")  # Twilio takes it, then it fails 63003
    for delivery_id, phone in (("t-reach", REACHABLE), ("t-gone", UNREACHABLE)):
        sandbox.add_delivery(delivery_id, phone=phone, email=None)
    sandbox.fail("twilio", hang=60, accept=True)  # Twilio takes both; the answers never come back
    sandbox.fail("twilio", hang=60, accept=True)
    kill_inside_twilio_calls(sandbox, post_webhook, spawn_worker, ("t-reach", "t-gone"))
    # the killed worker's job waits for its heartbeat to expire (job timeout + 60 s), then maintenance retries it
    assert wait_for(lambda: settled(services, "t-reach") and settled(services, "t-gone"), 300)
    assert wait_for(lambda: len(sandbox.sms) == 1, 30)
    time.sleep(2)
    assert len(to(sandbox.whatsapp, REACHABLE)) == 1 and len(to(sandbox.whatsapp, UNREACHABLE)) == 1
    assert [m["to"] for m in sandbox.sms] == [UNREACHABLE]
    for delivery_id in ("t-reach", "t-gone"):
        assert services.store.notification(whatsapp_id(delivery_id)).settled_by == "lookup"
    gone = services.store.notification(fallback.fallback_id(whatsapp_id("t-gone")))
    assert gone.fallback_for == whatsapp_id("t-gone")
