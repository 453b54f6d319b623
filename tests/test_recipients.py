"""A person's data by phone or email: `flask --app web recipient export|forget`, over the real pipeline (sandbox
Shippify, Twilio, SMTP, an in-process worker, real Redis), then a scan of every key and value in Redis."""

import json

import pytest

from tests.conftest import flask_cli
from tests.recipient_data import (
    EMAIL,
    FIRST,
    NEEDLES,
    OTHER,
    OTHER_PHONE,
    PHONE_E164,
    SECOND,
    deliver,
    dump,
    mentions,
    reply,
    the_person_and_another,
)
from worker import channels, recipients
from worker.events import notification_id
from worker.store import erasure

STOP_SID = "SM" + "a" * 32


@pytest.fixture
def env(env):
    """Short links on, so that the person's messages also leave short-link codes in Redis."""
    return {**env, "SHORT_LINKS": "true"}


@pytest.fixture
def recorded(app, client, sandbox, post_webhook, work, redis_client):
    """The person's two deliveries and STOP reply, and another recipient's delivery."""
    the_person_and_another(sandbox, post_webhook, work)
    reply(client, sandbox, "+593 99 123 4567", "STOP", STOP_SID)
    assert redis_client.keys("ntf:link:*") and redis_client.keys("ntf:outbox:*")
    return app


def cli(app, *args: str, **kwargs):
    return flask_cli(app)(args=["recipient", *args], **kwargs)


def test_export_shows_the_persons_notifications_and_opt_out(recorded):
    result = cli(recorded, "export", "(099) 123-4567")
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["contact"] == PHONE_E164 and set(document["opt_outs"]) == {"sms"} and document["replies_kept"] == 1
    assert [d["delivery_id"] for d in document["deliveries"]] == [SECOND, FIRST]  # newest first
    first = next(d for d in document["deliveries"] if d["delivery_id"] == FIRST)
    assert {n["channel"] for n in first["notifications"]} == {"sms", "email"}  # the default rules
    assert first["events"][0]["status"] == "going_to_dropoff"
    assert OTHER not in result.output and "+593…21" not in result.output


def test_export_by_email_in_another_case_finds_both_deliveries(recorded):
    document = json.loads(cli(recorded, "export", "  ANACLETA.Perez@example.COM ").output)
    assert document["contact"] == EMAIL and document["opt_outs"] == {}
    assert [d["delivery_id"] for d in document["deliveries"]] == [SECOND, FIRST]


def test_a_term_that_is_no_phone_or_email_is_refused_with_the_fix(recorded):
    result = cli(recorded, "export", "PO-7781")
    assert result.exit_code == 2 and "give a phone number" in result.output


def test_forget_leaves_nothing_that_mentions_the_person_but_the_opt_out(
    recorded, redis_client, services, sandbox, post_webhook, work
):
    before = mentions(redis_client)
    assert any(k.startswith("ntf:outbox:") for k in before), before  # the failed SMS's text and number are kept
    others = _others(redis_client)
    assert len(others) >= 8, others  # event, timeline, 2 notifications, 2 short links, provider id, index entry...
    (event,) = services.store.events(FIRST)
    redis_client.zadd("ntf:pending", {event.id: 1})  # as a crash between the intake's two steps leaves it
    result = cli(recorded, "forget", "0991234567", "--yes")
    assert result.exit_code == 0, result.output
    assert "erased 2 delivery(ies)" in result.output and "opt-out is kept" in result.output
    assert mentions(redis_client) == []
    assert not services.store.timelines([FIRST])[0][0] and not services.store.timelines([SECOND])[0][1]
    links = {redis_client.hget(key, "delivery_id") for key in redis_client.keys("ntf:link:*")}
    assert links == {OTHER.encode()}  # only the other recipient's short links are left
    assert not services.queue.failed_job_registry.get_job_ids()  # the failed send's job went with its text
    assert services.store.is_opted_out(PHONE_E164) and not redis_client.exists(f"ntf:inbound:{STOP_SID}")
    assert redis_client.zscore("ntf:pending", event.id) is None
    # Another recipient's records are untouched, and still found by their contact.
    assert _others(redis_client) == {**others, "ntf:recent": OTHER}  # the erased deliveries left the recent list
    assert recipients.deliveries(services.store, OTHER_PHONE) == [OTHER]
    # The kept opt-out still suppresses a later SMS to the number (the email goes).
    sandbox.add_delivery("t-rcp-0003", phone=PHONE_E164, email=EMAIL)
    deliver(sandbox, post_webhook, work, "t-rcp-0003")
    assert services.store.notification(notification_id("t-rcp-0003", "going_to_dropoff", "sms")).state == "suppressed"


def _others(client) -> dict[str, str]:
    """Every key whose name or value names the other recipient's delivery or notifications, with its value."""
    ids = [OTHER.lower()] + [notification_id(OTHER, "going_to_dropoff", name).lower() for name in channels.names()]
    return {key: text for key, text in dump(client).items() if any(i in key.lower() or i in text for i in ids)}


def test_forget_is_audited_without_the_contact(recorded, redis_client):
    cli(recorded, "forget", EMAIL, "--yes")
    (entry,) = erasure.erasures(redis_client)
    assert entry["actor"].startswith("cli:") and entry["deliveries"] == 2 and entry["records"] > 10
    assert not any(needle in json.dumps(entry).lower() for needle in NEEDLES)
    listed = cli(recorded, "erasures")
    assert "2 delivery(ies)" in listed.output and "1 erasure(s)" in listed.output


def test_forget_asks_first(recorded, services):
    result = cli(recorded, "forget", EMAIL, input="n\n")
    assert result.exit_code == 1 and "Aborted" in result.output
    assert recipients.deliveries(services.store, EMAIL) == [SECOND, FIRST]


def test_every_channel_reads_a_schemed_address_as_the_same_phone():
    for name in channels.names():
        assert channels.channel(name).contact("whatsapp:+593991234567") == PHONE_E164


def test_opt_outs_are_exported_and_kept_per_channel(recorded, client, sandbox, services):
    reply(client, sandbox, f"whatsapp:{PHONE_E164}", "STOP", "SM" + "b" * 32)
    document = json.loads(cli(recorded, "export", PHONE_E164).output)
    assert set(document["opt_outs"]) == {"sms", "whatsapp"} and document["replies_kept"] == 2
    result = cli(recorded, "forget", PHONE_E164, "--yes")
    assert result.exit_code == 0 and "opt-out is kept" in result.output
    assert services.store.is_opted_out(PHONE_E164) and services.store.is_opted_out(PHONE_E164, "whatsapp")
    assert set(json.loads(cli(recorded, "export", PHONE_E164).output)["opt_outs"]) == {"sms", "whatsapp"}
