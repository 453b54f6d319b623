"""Erasing a recipient (LGPD, LOPDP and their kin): every record of their deliveries, their search index entries and
reply marks, in one transaction; and the audit list of erasures, which never names the contact.

What stays is the opt-out (keys.optout, a digest of the number), which must go on being honoured."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import redis
from redis.client import Pipeline

from worker.store import audit, contact_index, keys
from worker.store.rows import as_text

AUDIT_SECONDS = 5 * 365 * 86400  # erasures are proof of having complied: kept five years, capped in number


@dataclass(frozen=True)
class Erased:
    """What an erasure removed: deliveries, Redis records, and the ids of the jobs that served them."""

    deliveries: int
    records: int
    job_ids: tuple[tuple[str, str], ...]  # ("event" | "notification", id): the caller removes their RQ jobs


def erase(client: redis.Redis, contact_digests: Sequence[str]) -> Erased:
    """Delete the deliveries indexed under the person's digests: events, notifications, outboxes, provider ids, short
    links and timelines; take them out of every contact's index and of the recent list; delete the person's index
    and reply marks. One transaction, retried if a message for them is recorded meanwhile (WATCH)."""
    index_keys = [keys.contact(d) for d in contact_digests] + [keys.replies(d) for d in contact_digests]
    with client.pipeline() as pipe:
        while True:
            try:
                pipe.watch(*index_keys)
                erased = _erase(pipe, contact_digests)
                pipe.execute()
                return erased
            except redis.WatchError:
                continue


def _erase(pipe: Pipeline, contact_digests: Sequence[str]) -> Erased:
    """Read what to delete while watching (the pipeline runs each read at once), then queue the deletes."""
    delivery_ids = contact_index.deliveries(pipe, contact_digests)
    if delivery_ids:
        pipe.watch(*[keys.timeline(d) for d in delivery_ids])  # a new event or message for them: start again
    doomed, unindex, job_ids = _records(pipe, delivery_ids)
    doomed += [keys.inbound(sid) for sid in contact_index.replies(pipe, contact_digests)]
    doomed += [k for d in contact_digests for k in (keys.contact(d), keys.replies(d))]
    records = int(pipe.exists(*doomed))
    pipe.multi()
    pipe.delete(*doomed)
    for index_key, delivery_id in unindex:
        pipe.zrem(index_key, delivery_id)
    for delivery_id in delivery_ids:
        pipe.lrem(keys.RECENT, 0, delivery_id)
    event_ids = [ident for kind, ident in job_ids if kind == "event"]
    if event_ids:
        pipe.zrem(keys.PENDING, *event_ids)  # an intake a crash left half-done: nothing left to queue
    return Erased(len(delivery_ids), records, tuple(job_ids))


def _records(client: Any, delivery_ids: Sequence[str]) -> tuple[list[str], list[tuple[str, str]], list]:
    """The keys of each delivery's records, the (index, delivery) pairs other contacts hold, and the job owners."""
    doomed: list[str] = [keys.timeline(d) for d in delivery_ids]
    unindex: list[tuple[str, str]] = []
    job_ids: list[tuple[str, str]] = []
    for delivery_id in delivery_ids:
        for entry in (as_text(e) for e in client.lrange(keys.timeline(delivery_id), 0, -1)):
            kind, ident = entry[:2], entry[2:]
            if kind == "e:":
                doomed.append(keys.event(ident))
                job_ids.append(("event", ident))
            elif kind == "l:":
                doomed.append(keys.short_link_by_digest(ident))
            elif kind == "n:":
                doomed += _notification_keys(client, ident, delivery_id, unindex)
                job_ids.append(("notification", ident))
    return doomed, unindex, job_ids


def _notification_keys(client: Any, nid: str, delivery_id: str, unindex: list[tuple[str, str]]) -> list[str]:
    """A notification's record, its outbox and provider id; its contact's index entry goes to `unindex`."""
    provider_id, contact_ix = (
        as_text(v) if v else "" for v in client.hmget(keys.notification(nid), "provider_id", "contact_ix")
    )
    if contact_ix:
        unindex.append((keys.contact(contact_ix), delivery_id))
    return [keys.notification(nid), keys.outbox(nid), *([keys.provider(provider_id)] if provider_id else [])]


def audit_erasure(client: redis.Redis, actor: str, erased: Erased) -> None:
    """Who erased, when, how many deliveries and records: never whom."""
    entry = {"actor": actor, "deliveries": erased.deliveries, "records": erased.records}
    audit.add(client, keys.ERASURES, entry, AUDIT_SECONDS)


def erasures(client: redis.Redis, limit: int = 100) -> list[dict]:
    """The newest erasures first."""
    return audit.newest(client, keys.ERASURES, limit)
