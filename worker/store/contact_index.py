"""The recipient search index: for each contact (a phone in E.164, an email in lower case) the deliveries that sent
to it, and the inbound replies (STOP/START) a number sent. Both live under a keyed digest of the contact (HMAC-SHA256
with CONTACT_INDEX_KEY, not SECRET_KEY), so that reading Redis names nobody and a phone cannot be found by hashing
every number of a country; they expire with the retention period, like the records they point at."""

import base64
import hashlib
import hmac
from collections.abc import Sequence
from typing import Any

from worker.store import keys
from worker.store.rows import as_text, now

DIGEST_BYTES = 16  # 128 bits of the HMAC: no collision in any index's lifetime, and a smaller record per delivery


def digest(key: bytes, contact: str) -> str:
    """The keyed digest of a normalised contact: 128 bits of HMAC-SHA256, base64url (22 characters)."""
    mac = hmac.new(key, contact.encode(), hashlib.sha256).digest()[:DIGEST_BYTES]
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def digests(index_keys: Sequence[bytes], contact: str) -> list[str]:
    """The contact's digest under every accepted key (the first writes; all are searched, so a key can rotate)."""
    return [digest(key, contact) for key in index_keys]


def add_delivery(pipe: Any, ttl: int, contact_digest: str, delivery_id: str) -> None:
    """Index a delivery under a contact (on a pipeline); a later notification moves it to the top."""
    pipe.zadd(keys.contact(contact_digest), {delivery_id: now()})
    pipe.expire(keys.contact(contact_digest), ttl)


def add_reply(pipe: Any, ttl: int, contact_digest: str, message_sid: str) -> None:
    """Remember which contact sent an inbound message (on a pipeline), so that erasing them erases its mark."""
    pipe.sadd(keys.replies(contact_digest), message_sid)
    pipe.expire(keys.replies(contact_digest), ttl)


def deliveries(client: Any, contact_digests: Sequence[str]) -> list[str]:
    """The delivery ids indexed under any of the digests, newest activity first (one read per accepted key, on a
    client or on a pipeline that is watching keys, as an erasure's is)."""
    found: dict[str, float] = {}
    for contact_digest in contact_digests:
        for member, score in client.zrange(keys.contact(contact_digest), 0, -1, withscores=True):
            found[as_text(member)] = max(score, found.get(as_text(member), 0.0))
    return sorted(found, key=lambda delivery_id: found[delivery_id], reverse=True)


def replies(client: Any, contact_digests: Sequence[str]) -> list[str]:
    """The inbound message sids recorded under any of the digests (on a client or a watching pipeline)."""
    return sorted({as_text(sid) for d in contact_digests for sid in client.smembers(keys.replies(d))})
