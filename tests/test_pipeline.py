"""End to end: a Shippify webhook in, the sandbox Twilio and SMTP server receive exactly what the rules say."""

import hashlib

import pytest

from worker.events import notification_id


def deliver(sandbox, post_webhook, work, delivery_id="t-shiinc-27946", status="going_to_dropoff", body=None, **kw):
    """Seed the delivery in the sandbox, fire its webhook, run the worker."""
    sandbox.add_delivery(delivery_id, status=kw.pop("current", status), **kw)
    response = post_webhook(body or {"id": delivery_id, "cityLang": "es"}, status=status)
    assert response.status_code == 202, response.get_json()
    work()
    return response


def token_link(sandbox, delivery_id):
    """The link Shippify issues for this delivery's recipient (stable per delivery in the sandbox)."""
    return sandbox.tracking_url(delivery_id)


@pytest.mark.parametrize(
    ("status", "sms", "emails"),
    [
        ("going_to_dropoff", 1, 1),
        ("at_dropoff", 1, 0),
        ("hold_by_courier", 1, 1),
        ("completed", 0, 1),
        ("canceled", 0, 1),
        ("returned", 0, 1),
    ],
)
def test_each_default_rule_sends_exactly_its_channels(sandbox, post_webhook, work, status, sms, emails):
    deliver(sandbox, post_webhook, work, status=status, reason="Dirección no encontrada")
    assert len(sandbox.sms) == sms
    assert len(sandbox.emails) == emails
    link = token_link(sandbox, "t-shiinc-27946")
    for message in sandbox.sms:
        assert message["to"] == "+593998976565"
        assert message["body"].endswith(link)
        assert "Tienda Demo" in message["body"]
    for received in sandbox.emails:
        message = received.message
        assert received.rcpt_tos == ["t-shiinc-27946@example.com"]
        assert "Tienda Demo" in message["Subject"]
        text = message.get_body(("plain",)).get_content()
        html = message.get_body(("html",)).get_content()
        assert link in text
        assert link.replace("&", "&amp;") in html


def test_main_message_in_spanish_names_the_recipient_and_merchant(sandbox, post_webhook, work):
    deliver(sandbox, post_webhook, work, name="Iliana Bolaños", company="Farmacia Cruz Azul")
    (sms,) = sandbox.sms
    assert "Iliana" in sms["body"] and "Bolaños" not in sms["body"]
    assert "camino" in sms["body"]
    (email,) = sandbox.emails
    assert "Farmacia Cruz Azul" in email.message["Subject"]
    assert email.message["Message-ID"].startswith(f"<{notification_id('t-shiinc-27946', 'going_to_dropoff', 'email')}@")


@pytest.mark.parametrize(("city_lang", "word"), [("pt", "caminho"), ("pr", "caminho"), ("en", "way"), ("es", "camino")])
def test_language_follows_city_lang(sandbox, post_webhook, work, city_lang, word):
    deliver(sandbox, post_webhook, work, body={"id": "t-shiinc-27946", "cityLang": city_lang})
    assert word in sandbox.sms[0]["body"]
    assert sandbox.emails[0].message.get_body(("html",)).get_content().count(f'lang="{city_lang.replace("pr", "pt")}"')


def test_missing_language_uses_default_locale(sandbox, post_webhook, work):
    deliver(sandbox, post_webhook, work, body={"id": "t-shiinc-27946"})
    assert "camino" in sandbox.sms[0]["body"]


def test_hold_message_carries_the_reason(sandbox, post_webhook, work):
    deliver(sandbox, post_webhook, work, status="hold_by_courier", reason="Dirección no encontrada")
    assert "Direccion no encontrada" in sandbox.sms[0]["body"]  # folded to GSM-7 for cost
    assert "Dirección no encontrada" in sandbox.emails[0].message.get_body(("plain",)).get_content()


@pytest.mark.parametrize("city_lang", ["es", "pt"])
def test_spanish_and_portuguese_sms_are_folded_to_one_gsm_segment(sandbox, post_webhook, work, services, city_lang):
    deliver(sandbox, post_webhook, work, body={"id": "t-shiinc-27946", "cityLang": city_lang}, email=None)
    (sms,) = sandbox.sms
    assert sms["body"].isascii() and sms["num_segments"] == 1
    assert {"es": "va en camino. Siguelo:", "pt": "esta a caminho."}[city_lang] in sms["body"]  # its language, folded
    record = services.store.notification(notification_id("t-shiinc-27946", "going_to_dropoff", "sms"))
    assert (record.sms_encoding, record.sms_segments) == ("GSM-7", 1)


def test_folding_can_be_turned_off_per_locale(sandbox, post_webhook, work, monkeypatch):
    monkeypatch.setenv("SMS_FOLD_LOCALES", "pt")  # read by the worker when it starts
    deliver(sandbox, post_webhook, work, email=None)
    assert "Síguelo" in sandbox.sms[0]["body"] and sandbox.sms[0]["num_segments"] > 1


def test_body_tracking_url_is_used_without_asking_for_a_token(sandbox, post_webhook, work):
    link = "https://api.shippify.co/track/t-shiinc-27946?token=FromTheBodyToken123456&ref=server"
    deliver(sandbox, post_webhook, work, body={"id": "t-shiinc-27946", "trackingUrl": link})
    assert sandbox.sms[0]["body"].endswith(link)
    assert not [path for _, path in sandbox.shippify_calls if "/token/" in path]


def test_status_from_the_body_when_the_url_has_none(sandbox, post_webhook, work, services):
    sandbox.add_delivery("t-1", status="at_dropoff")
    assert post_webhook({"id": "t-1", "_status": "at_dropoff", "status": 6}).status_code == 202
    work()
    assert len(sandbox.sms) == 1 and not sandbox.emails


def test_status_from_the_api_when_the_webhook_names_none(sandbox, post_webhook, work, services):
    sandbox.add_delivery("t-1", status="completed")
    response = post_webhook({"id": "t-1"})
    assert response.get_json()["delivery_status"] is None
    work()
    assert len(sandbox.emails) == 1 and not sandbox.sms
    (event,) = services.store.events("t-1")
    assert event.status == "completed" and event.outcome == "processed"


def test_legacy_body_with_numeric_status_and_order_id(sandbox, post_webhook, work):
    sandbox.add_delivery("t-legacy", status="going_to_dropoff")
    body = {"orderId": "t-legacy", "status": 6, "_status": "going_to_dropoff", "company_id": 1, "timestamp": 1}
    assert post_webhook(body).status_code == 202
    work()
    assert len(sandbox.sms) == 1 and len(sandbox.emails) == 1


def test_no_phone_skips_sms_and_records_why(sandbox, post_webhook, work, services):
    deliver(sandbox, post_webhook, work, phone=None)
    assert not sandbox.sms and len(sandbox.emails) == 1
    sms = services.store.notification(notification_id("t-shiinc-27946", "going_to_dropoff", "sms"))
    assert (sms.state, sms.reason) == ("skipped", "no_phone")


@pytest.mark.parametrize(
    ("phone", "reason"),
    [
        ("777", "invalid_phone"),  # too short to be anyone's number
        ("+1 234567890", "invalid_phone"),  # nine digits: too short for a North American number
        ("042123456", "not_mobile"),  # a valid Guayaquil landline: no SMS
    ],
)
def test_unusable_phone_skips_sms_and_records_why(sandbox, post_webhook, work, services, phone, reason):
    deliver(sandbox, post_webhook, work, phone=phone)
    assert not sandbox.sms and len(sandbox.emails) == 1
    sms = services.store.notification(notification_id("t-shiinc-27946", "going_to_dropoff", "sms"))
    assert (sms.state, sms.reason) == ("skipped", reason)


def test_no_email_skips_email(sandbox, post_webhook, work, services):
    deliver(sandbox, post_webhook, work, email=None)
    assert len(sandbox.sms) == 1 and not sandbox.emails
    email = services.store.notification(notification_id("t-shiinc-27946", "going_to_dropoff", "email"))
    assert (email.state, email.reason) == ("skipped", "no_email")


def test_stale_event_after_the_delivery_ended_sends_nothing(sandbox, post_webhook, work, services):
    deliver(sandbox, post_webhook, work, status="going_to_dropoff", current="completed")
    assert not sandbox.sms and not sandbox.emails
    (event,) = services.store.events("t-shiinc-27946")
    assert event.outcome == "stale" and "completed" in event.detail


def test_unknown_status_is_recorded_and_notifies_nobody(sandbox, post_webhook, work, services):
    response = post_webhook({"id": "t-1"}, status="teleported")
    assert response.status_code == 202 and response.get_json()["ignored"] is True
    work()
    assert not sandbox.sms and not sandbox.emails and not sandbox.shippify_calls
    (event,) = services.store.events("t-1")
    assert event.outcome == "ignored" and event.status == "teleported"


# sha256("t-1\x1fassigned")[:24]: the id of (delivery, status), the same in every release, so that a repeat
# received across a deploy is still a duplicate
EVENT_ID = hashlib.sha256(b"t-1\x1fassigned").hexdigest()[:24]


def test_status_without_rule_is_ignored(sandbox, post_webhook, work, services):
    response = post_webhook({"id": "t-1"}, status="assigned")
    assert response.get_json() == {
        "status": "ignored",
        "ignored": True,
        "detail": "no rule notifies on this status",
        "event_id": EVENT_ID,
        "delivery_id": "t-1",
        "delivery_status": "assigned",
    }
    work()
    assert not sandbox.shippify_calls


def test_duplicate_webhook_queues_nothing_and_sends_once(sandbox, post_webhook, work, services):
    deliver(sandbox, post_webhook, work)
    again = post_webhook({"id": "t-shiinc-27946"}, status="going_to_dropoff")
    assert again.status_code == 200 and again.get_json()["duplicate"] is True
    assert services.queue.count == 0
    work()
    assert len(sandbox.sms) == 1 and len(sandbox.emails) == 1


def test_status_less_webhook_for_an_already_notified_status_sends_nothing_more(sandbox, post_webhook, work, services):
    deliver(sandbox, post_webhook, work)
    assert post_webhook({"id": "t-shiinc-27946"}).status_code == 202
    work()
    assert len(sandbox.sms) == 1 and len(sandbox.emails) == 1
    assert services.store.events("t-shiinc-27946")[-1].outcome == "duplicate"


def test_records_keep_masked_destinations_and_no_message_text(sandbox, post_webhook, work, services, redis_client):
    deliver(sandbox, post_webhook, work)
    sms, email = services.store.notifications("t-shiinc-27946")
    assert sms.destination == "+593…65" and sms.state == "queued" and sms.provider_id.startswith("SM")
    assert email.destination == "t…@example.com" and email.state == "sent"
    dump = b"".join(redis_client.dump(k) or b"" for k in redis_client.keys("ntf:*"))
    assert b"998976565" not in dump and b"token=" not in dump
    counters = (b"ntf:stats", b"ntf:latency", b"ntf:recent")
    assert all(redis_client.ttl(k) > 0 for k in redis_client.keys("ntf:*") if k not in counters)


def test_unknown_delivery_fails_the_job_with_a_readable_reason(sandbox, post_webhook, work, services):
    post_webhook({"id": "t-nobody"}, status="going_to_dropoff")
    work()
    (job_id,) = services.queue.failed_job_registry.get_job_ids()
    assert "does not know delivery t-nobody" in services.queue.fetch_job(job_id).latest_result().exc_string
    assert services.store.events("t-nobody")[0].outcome == "failed"


def test_link_shortening_is_asked_of_twilio_when_on(sandbox, post_webhook, work, monkeypatch):
    monkeypatch.setenv("TWILIO_MESSAGING_SERVICE_SID", "MG" + "0" * 32)
    monkeypatch.setenv("TWILIO_SHORTEN_URLS", "true")
    deliver(sandbox, post_webhook, work, email=None)
    assert sandbox.sms[0]["params"]["ShortenUrls"] == "true"
    assert sandbox.sms[0]["messaging_service_sid"] == "MG" + "0" * 32


def test_a_body_link_to_another_host_is_ignored_for_shippifys_own(sandbox, post_webhook, work):
    body = {"id": "t-shiinc-27946", "trackingUrl": "https://evil.example/track/t-shiinc-27946?token=phish"}
    deliver(sandbox, post_webhook, work, body=body, email=None)
    assert sandbox.sms[0]["body"].endswith(token_link(sandbox, "t-shiinc-27946"))
    assert "evil.example" not in sandbox.sms[0]["body"]
