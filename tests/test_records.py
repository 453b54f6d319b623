"""Events and notifications come back from Redis as typed records: rows the real intake, processing, send, delivery
report, click and resend wrote, with every field they wrote named by the record; and rows an older record left
with fields missing or malformed, which read as the empty values."""

from dataclasses import fields

from worker.events import notification_id
from worker.resend import ResendRequest, resend
from worker.store import decode_row, keys, short_links
from worker.store.records import Event, Notification

SMS_ID = notification_id("t-1", "going_to_dropoff", "sms")


def names(record_class: type) -> set[str]:
    return {f.name for f in fields(record_class)}


def stored(redis_client, key: str) -> set[str]:
    """The fields a record's hash holds in Redis."""
    return set(decode_row(redis_client.hgetall(key)))


def test_an_event_reads_back_typed_before_and_after_its_processing(sandbox, post_webhook, work, services, redis_client):
    sandbox.add_delivery("t-1", email=None)
    link = sandbox.tracking_url("t-1")
    body = {"id": "t-1", "cityLang": "pt", "companyName": "Tienda Demo", "trackingUrl": link}
    event_id = post_webhook(body, status="going_to_dropoff").get_json()["event_id"]
    waiting = services.store.event(event_id)
    assert isinstance(waiting, Event) and waiting.id == event_id
    assert (waiting.delivery_id, waiting.status, waiting.status_source) == ("t-1", "going_to_dropoff", "url")
    assert (waiting.outcome, waiting.detail, waiting.tracking_url) == ("queued", "", link)
    assert (waiting.locale_hint, waiting.merchant_hint) == ("pt", "Tienda Demo")
    assert isinstance(waiting.received_at, float) and waiting.processed_at is None
    assert stored(redis_client, keys.event(event_id)) <= names(Event)
    work()
    (done,) = services.store.events("t-1")
    assert done == services.store.event(event_id)
    assert (done.outcome, done.detail) == ("processed", "sms: queued, email: skipped (no_email)")
    assert done.tracking_url == ""  # the secret link is dropped once the event is processed
    assert done.received_at == waiting.received_at and isinstance(done.processed_at, float)
    assert stored(redis_client, keys.event(event_id)) <= names(Event)


def test_a_notification_reads_back_typed_after_its_send_report_and_click(
    sandbox, post_webhook, work, services, redis_client, twilio_post
):
    sandbox.add_delivery("t-1", email=None)
    post_webhook({"id": "t-1"}, status="going_to_dropoff")
    work()
    sid = sandbox.sms[0]["sid"]
    report = {"MessageSid": sid, "MessageStatus": "delivered", "AccountSid": "AC", "To": "+593998976565"}
    assert twilio_post("/webhooks/twilio/status", report).status_code == 204
    target = short_links.Target("t-1", SMS_ID, "sms")
    assert short_links.record_visit(services.redis, target, "click", services.store.ttl)
    assert short_links.record_visit(services.redis, target, "preview", services.store.ttl)
    record = services.store.notification(SMS_ID)
    assert isinstance(record, Notification) and record.id == SMS_ID
    assert (record.delivery_id, record.status, record.kind, record.channel) == (
        "t-1",
        "going_to_dropoff",
        "automatic",
        "sms",
    )
    assert (record.state, record.destination, record.country, record.provider_id) == ("delivered", "+593…65", "EC", sid)
    assert record.template == f"{record.locale}/going_to_dropoff/sms" and record.event_id and record.contact_ix
    assert (record.billed, record.segments, record.sms_segments) == ("segments", 1, 1) and record.sms_encoding
    for moment in (record.created_at, record.updated_at, record.sent_at, record.delivered_at, record.clicked_at):
        assert isinstance(moment, float)
    assert (record.claimed_at, record.data_started_at, record.read_at, record.scheduled_for) == (None,) * 4
    assert (record.clicks, record.previews) == (1, 1)
    assert (record.error, record.error_code, record.reason, record.settled_by) == ("", "", "", "")
    assert (record.actor, record.resend_reason, record.corrected, record.fallback_for, record.replaced_by) == (
        "", "", False, "", ""
    )  # fmt: skip
    assert record in services.store.notifications("t-1")  # with the email skipped for want of an address
    assert stored(redis_client, keys.notification(SMS_ID)) <= names(Notification)


def test_a_resend_reads_back_with_who_why_and_the_correction(sandbox, work, services, redis_client):
    sandbox.add_delivery("t-1", email=None)
    request = ResendRequest(channels=("sms",), phone="+593 99 111 2233", reason="changed number")
    (queued,) = resend(services, "t-1", request, actor="ana").notifications
    work()
    record = services.store.notification(queued.notification_id)
    assert record is not None and (record.kind, record.actor, record.resend_reason) == (
        "resend",
        "ana",
        "changed number",
    )
    assert record.corrected is True and record.event_id == "" and record.destination == "+593…33"
    assert stored(redis_client, keys.notification(queued.notification_id)) <= names(Notification)


def test_a_skipped_notification_keeps_its_reason(sandbox, post_webhook, work, services):
    sandbox.add_delivery("t-1", phone=None, email=None)
    post_webhook({"id": "t-1"}, status="going_to_dropoff")
    work()
    record = services.store.notification(SMS_ID)
    assert record is not None and (record.state, record.reason, record.destination) == ("skipped", "no_phone", "")


def test_an_old_or_partial_row_reads_with_empty_values(services, redis_client):
    redis_client.hset(
        keys.notification("n-old"),
        mapping={
            "delivery_id": "t-old",
            "channel": "sms",
            "state": "sent",
            "created_at": "1700000000.5",
            "sent_at": "yesterday",  # malformed: no time
            "segments": "two",  # malformed: no count
            "retired_field": "no longer read",
        },
    )
    redis_client.hset(keys.event("e-old"), mapping={"delivery_id": "t-old", "outcome": "processed"})
    assert services.store.notification("n-old") == Notification(
        "n-old", delivery_id="t-old", channel="sms", state="sent", created_at=1700000000.5
    )
    assert services.store.event("e-old") == Event("e-old", delivery_id="t-old", outcome="processed")


def test_an_unknown_or_expired_record_reads_as_none(services, redis_client):
    assert services.store.notification("n-none") is None and services.store.event("e-none") is None
    redis_client.rpush(keys.timeline("t-gone"), "e:e-gone", "n:n-gone")  # the timeline outlived its records
    assert services.store.timelines(["t-gone"]) == [([], [])]
