"""A known set of recipients in Redis, and a scan of every key and value, for the recipient search and erasure tests."""

import redis
from twilio.request_validator import RequestValidator

PHONE_E164 = "+593991234567"
PHONE_NATIONAL = "0991234567"
EMAIL = "anacleta.perez@example.com"
FIRST_NAME = "Anacleta"
FIRST, SECOND = "t-rcp-0001", "t-rcp-0002"  # the person's deliveries, oldest first
OTHER = "t-other-0001"  # another recipient's
OTHER_PHONE, OTHER_EMAIL, OTHER_NAME = "+593987654321", "bernardo.mora@example.com", "Bernardo"
# Every form the person's contact or name could take in Redis (national digits without the leading 0 included).
NEEDLES = ("593991234567", "991234567", PHONE_NATIONAL, EMAIL, "anacleta.perez", FIRST_NAME.lower())


def deliver(sandbox, post_webhook, work, delivery_id: str, status: str = "going_to_dropoff") -> None:
    """A Shippify webhook for the delivery, and the worker's run."""
    assert post_webhook({"id": delivery_id}, status=status).status_code == 202
    work()


def the_person_and_another(sandbox, post_webhook, work, fail_second: bool = True) -> None:
    """Two deliveries to the person (unless `fail_second` is False, the second's SMS fails at Twilio, so that its
    text and job stay in Redis), one to another recipient."""
    sandbox.add_delivery(FIRST, phone="099 123 4567", email="Anacleta.Perez@Example.com", name="Anacleta Pérez")
    sandbox.add_delivery(SECOND, phone=PHONE_E164, email=EMAIL, name="Anacleta Pérez")
    sandbox.add_delivery(OTHER, phone="0987654321", email=OTHER_EMAIL, name="Bernardo Mora")
    deliver(sandbox, post_webhook, work, FIRST)
    deliver(sandbox, post_webhook, work, OTHER)
    if fail_second:
        sandbox.fail("twilio", status=503, times=20)
    deliver(sandbox, post_webhook, work, SECOND)


def reply(client, sandbox, sender: str, word: str, sid: str) -> None:
    """A signed inbound SMS, as Twilio posts it."""
    form = {"From": sender, "To": "+15005550006", "Body": word, "MessageSid": sid}
    signature = RequestValidator(sandbox.auth_token).compute_signature("http://localhost/webhooks/twilio/inbound", form)
    assert (
        client.post("/webhooks/twilio/inbound", data=form, headers={"X-Twilio-Signature": signature}).status_code == 200
    )


def dump(client: redis.Redis) -> dict[str, str]:
    """Every key (RQ's included) and its value, whatever its type, as lower-case text."""
    readers = {
        b"string": lambda k: [client.get(k)],
        b"hash": lambda k: [x for pair in client.hgetall(k).items() for x in pair],
        b"list": lambda k: client.lrange(k, 0, -1),
        b"set": lambda k: list(client.smembers(k)),
        b"zset": lambda k: [m for m, _ in client.zrange(k, 0, -1, withscores=True)],
        b"stream": lambda k: [str(entry).encode() for entry in client.xrange(k)],
    }
    found = {}
    for key in client.scan_iter(count=1000):
        values = readers[client.type(key)](key)
        text = b" ".join(v if isinstance(v, bytes) else str(v).encode() for v in values if v is not None)
        found[key.decode()] = text.decode("utf-8", "replace").lower()
    return found


def mentions(client: redis.Redis, needles=NEEDLES) -> list[str]:
    """The keys whose name or value mentions any of the needles."""
    return sorted(key for key, text in dump(client).items() if any(n in key.lower() or n in text for n in needles))
