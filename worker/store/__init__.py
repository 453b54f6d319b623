"""The notification record in Redis: events received, notifications and their states, opt-outs, counters. This
package is the only place that builds a key (keys.py) or calls Redis on the records; the other record kinds live in
its modules: staff.py (accounts), sessions.py (console sessions), refusals.py (refused resends), pending.py (events
whose job is still to be queued), daily.py (the dashboard's per-day counters), histogram.py (the /metrics latency
histogram). Events and notifications are read as the typed records of records.py."""

import json
from collections.abc import Mapping, Sequence
from typing import Any

import redis
from limits.strategies import MovingWindowRateLimiter

from worker import connection
from worker.store import contact_index, daily, histogram, keys, scripts, states
from worker.store.records import Event, Notification
from worker.store.rows import as_text, decode_row, flat_pairs, now, write_fields

__all__ = ["Store", "as_text", "decode_row", "digest", "limiter", "now", "touch_recent"]

RECENT_SIZE = 100
STATS_KEY = keys.STATS  # the counters' hash (tests read it)
_RANKS = json.dumps(states.RANK)
digest = keys.digest


class Store:
    """Reads and writes the record; every write refreshes the retention TTL of what it touches."""

    def __init__(self, client: redis.Redis, retention_seconds: int, contact_keys: Sequence[bytes] = ()) -> None:
        self.redis = client
        self.ttl = retention_seconds
        self.contact_keys = tuple(contact_keys)  # CONTACT_INDEX_KEY: the first writes the search index
        self._advance = client.register_script(scripts.ADVANCE)
        self._close = client.register_script(scripts.CLOSE)
        self._swap = client.register_script(scripts.SWAP)
        self._intake = client.register_script(scripts.INTAKE)

    def record_event(self, event_id: str, fields: Mapping[str, str], pending: bool) -> bool:
        """The webhook intake: record a new event and, when `pending`, mark it as to be queued and hand its id to the
        worker's relay (pending.take), in one atomic step and one round trip (scripts.INTAKE); an event that exists
        only moves the duplicate counter (False)."""
        delivery_id = fields["delivery_id"]
        mark = "1" if pending else ""
        args: list[str | int] = [event_id, delivery_id, self.ttl, RECENT_SIZE, fields["outcome"], mark]
        args += flat_pairs(**{k: v for k, v in fields.items() if v != ""})
        event_keys = [keys.event(event_id), keys.STATS, keys.timeline(delivery_id), keys.RECENT]
        return bool(self._intake(keys=[*event_keys, keys.PENDING, keys.RELAY], args=args))

    def touch(self, delivery_id: str) -> None:
        """Put a delivery at the top of the console's recent activity (a resend, say)."""
        with self.redis.pipeline() as pipe:
            touch_recent(pipe, delivery_id)
            pipe.execute()

    def recent(self, limit: int = 20) -> list[str]:
        """The delivery ids with the latest activity, newest first."""
        return [as_text(v) for v in self.redis.lrange(keys.RECENT, 0, limit - 1)]

    # events -----------------------------------------------------------------------------------
    def event(self, event_id: str) -> Event | None:
        """One event (None when expired or unknown)."""
        row = self.redis.hgetall(keys.event(event_id))
        return Event.from_row(event_id, row) if row else None

    def close_event(self, event_id: str, outcome: str, detail: str = "", **fields: str) -> None:
        """Record what became of an event and drop the secret link it may have carried."""
        key = keys.event(event_id)
        with self.redis.pipeline() as pipe:
            write_fields(pipe, key, outcome=outcome, detail=detail, processed_at=now(), **fields)
            pipe.hdel(key, "tracking_url")
            pipe.expire(key, self.ttl)
            pipe.hincrby(keys.STATS, f"events_{outcome}", 1)
            pipe.execute()

    # notifications ----------------------------------------------------------------------------
    def create_notification(self, notification_id: str, fields: Mapping[str, Any], contact: str = "") -> bool:
        """Create the record unless it exists (a re-run or a second event for the same send); True if created. A
        normalised `contact` (phone or email) indexes the delivery under its keyed digest, never in clear."""
        key = keys.notification(notification_id)
        record: dict[Any, Any] = {k: str(v) for k, v in fields.items() if v not in (None, "")}
        ix = contact_index.digest(self.contact_keys[0], contact) if contact and self.contact_keys else ""
        record.update({"contact_ix": ix} if ix else {})
        record.setdefault("created_at", str(now()))
        record["updated_at"] = record["created_at"]
        if not self.redis.hsetnx(key, "state", record.get("state", "pending")):
            return False
        with self.redis.pipeline() as pipe:
            pipe.hset(key, mapping=record)
            pipe.expire(key, self.ttl)
            pipe.rpush(keys.timeline(record["delivery_id"]), f"n:{notification_id}")
            pipe.expire(keys.timeline(record["delivery_id"]), self.ttl)
            pipe.hincrby(keys.STATS, f"notifications_{record['channel']}_{record.get('state', 'pending')}", 1)
            daily.count_created(pipe, self.ttl, record)
            if ix:
                contact_index.add_delivery(pipe, self.ttl, ix, record["delivery_id"])
            pipe.execute()
        return True

    def notification(self, notification_id: str) -> Notification | None:
        """One notification (None when expired or unknown)."""
        row = self.redis.hgetall(keys.notification(notification_id))
        return Notification.from_row(notification_id, row) if row else None

    def notifications(self, delivery_id: str) -> list[Notification]:
        """Every notification of a delivery, oldest first."""
        return self.timelines([delivery_id])[0][1]

    def events(self, delivery_id: str) -> list[Event]:
        """Every event of a delivery, oldest first."""
        return self.timelines([delivery_id])[0][0]

    def timelines(
        self, delivery_ids: Sequence[str], last_only: bool = False
    ) -> list[tuple[list[Event], list[Notification]]]:
        """(events, notifications) of each delivery, oldest first, those expired left out (only the latest of each
        kind with `last_only`); two round trips for any number of deliveries."""
        with self.redis.pipeline(transaction=False) as pipe:
            for delivery_id in delivery_ids:
                pipe.lrange(keys.timeline(delivery_id), 0, -1)
            lists = [[as_text(entry) for entry in entries] for entries in pipe.execute()]
        wanted = [
            [
                [entry[2:] for entry in entries if entry.startswith(kind)][-1 if last_only else 0 :]
                for kind in ("e:", "n:")
            ]
            for entries in lists
        ]
        with self.redis.pipeline(transaction=False) as pipe:
            for event_ids, notification_ids in wanted:
                for eid in event_ids:
                    pipe.hgetall(keys.event(eid))
                for nid in notification_ids:
                    pipe.hgetall(keys.notification(nid))
            rows = iter(pipe.execute())
        return [
            (
                [Event.from_row(eid, row) for eid in event_ids if (row := next(rows))],
                [Notification.from_row(nid, row) for nid in notification_ids if (row := next(rows))],
            )
            for event_ids, notification_ids in wanted
        ]

    def claim(self, notification_id: str) -> bool:
        """The send ledger: pending → claimed, atomically; False when another attempt got there first."""
        return bool(
            self._swap(
                keys=[keys.notification(notification_id)], args=["pending", "claimed", *flat_pairs(claimed_at=now())]
            )
        )

    def release(self, notification_id: str, error: str) -> bool:
        """claimed → pending after a failure that surely sent nothing, so the retry may claim again."""
        fields = flat_pairs(error=error, updated_at=now(), data_started_at="")
        return bool(self._swap(keys=[keys.notification(notification_id)], args=["claimed", "pending", *fields]))

    def advance(self, notification_id: str, state: str, **fields: Any) -> bool:
        """Move forward to `state` (provider reports, success); never backwards, never out of a closed state. A move
        to a state of states.STAMPED also records when, as `<state>_at`."""
        at = now()
        stamp = {f"{state}_at": at} if state in states.STAMPED else {}
        day, expiry = daily.today(self.ttl)
        args: list[str | int] = [_RANKS, state, expiry, *flat_pairs(updated_at=at, **stamp, **fields)]
        return bool(self._advance(keys=[keys.notification(notification_id), keys.STATS, day], args=args))

    def handed_over(self, notification_id: str, provider_id: str | None, latency: float | None) -> None:
        """After the provider took a message: forget its text and destination, let delivery reports find it by the
        provider's id, and add its webhook → provider latency to the histogram; one round trip."""
        with self.redis.pipeline() as pipe:
            pipe.delete(keys.outbox(notification_id))
            if provider_id:
                pipe.set(keys.provider(provider_id), notification_id, ex=self.ttl)
            if latency is not None:
                histogram.observe(pipe, latency)
                daily.observe(pipe, self.ttl, latency)
            pipe.execute()

    def note(self, notification_id: str, **fields: Any) -> None:
        """Set fields without changing the state (the last error of an attempt); an empty value removes one."""
        write_fields(self.redis, keys.notification(notification_id), updated_at=now(), **fields)

    def by_provider_id(self, provider_id: str) -> str | None:
        """The notification a provider id belongs to."""
        value = self.redis.get(keys.provider(provider_id))
        return as_text(value) if value else None

    def close(self, notification_id: str, state: str, **fields: Any) -> None:
        """End a notification that will not be sent (skipped, suppressed, rejected, uncertain), its counters in the
        same step."""
        day, expiry = daily.today(self.ttl)
        touched = [keys.notification(notification_id), keys.outbox(notification_id), keys.STATS, day]
        self._close(keys=touched, args=[state, expiry, *flat_pairs(updated_at=now(), **fields)])

    # the outbox: what to send, kept apart from the record and deleted once it is sent -------------
    def put_outbox(self, notification_id: str, payload: Mapping[str, str], **notes: Any) -> None:
        """Store the rendered message and real destination for the send job, and `notes` on the notification (what
        the message costs, when it is held back until), in one step."""
        with self.redis.pipeline() as pipe:
            pipe.hset(keys.outbox(notification_id), mapping=dict[Any, Any](payload))
            pipe.expire(keys.outbox(notification_id), self.ttl)
            if notes:
                write_fields(pipe, keys.notification(notification_id), updated_at=now(), **notes)
            pipe.execute()

    def outbox(self, notification_id: str) -> dict[str, str]:
        """The payload of a notification still to send ({} once sent or expired)."""
        return decode_row(self.redis.hgetall(keys.outbox(notification_id)))

    def prepared(self, notification_id: str, event_id: str) -> tuple[dict[str, str], float | None]:
        """What a send job needs in one round trip: the payload ({} once sent or expired) and when the webhook
        behind it was accepted (None for a resend, or once the event expired)."""
        with self.redis.pipeline(transaction=False) as pipe:
            pipe.hgetall(keys.outbox(notification_id))
            pipe.hget(keys.event(event_id), "received_at")
            payload, received_at = pipe.execute()
        return decode_row(payload), float(received_at) if event_id and received_at else None

    # opt-outs ---------------------------------------------------------------------------------
    def opt_out(self, e164: str, message_sid: str = "", scope: str = "") -> None:
        """Remember that this number replied STOP on a channel (`scope`: Channel.opt_out_scope): nothing more on it
        until it replies START. With the reply's `message_sid`, the reply is marked as handled in the same step."""
        with self.redis.pipeline() as pipe:
            pipe.set(keys.optout(e164, scope), str(now()))
            self._mark_handled(pipe, message_sid, e164)
            pipe.execute()

    def opt_in(self, e164: str, message_sid: str = "", scope: str = "") -> None:
        """The number replied START on that channel: messages may go to it again (the reply marked as handled)."""
        with self.redis.pipeline() as pipe:
            pipe.delete(keys.optout(e164, scope))
            self._mark_handled(pipe, message_sid, e164)
            pipe.execute()

    def handled(self, message_sid: str) -> bool:
        """Whether this inbound message was already acted on: a signed request replayed later (a START replayed
        after a newer STOP) must change nothing. Twilio signatures carry no time, so the message id is the key."""
        return bool(message_sid) and bool(self.redis.exists(keys.inbound(message_sid)))

    def _mark_handled(self, pipe: Any, message_sid: str, e164: str) -> None:
        """Keep an inbound message's id for the retention period, alongside what it changed, and which number sent
        it under the search index's keyed digest (so that erasing the person erases the mark)."""
        if message_sid:
            pipe.set(keys.inbound(message_sid), "1", ex=self.ttl)
        if message_sid and self.contact_keys:
            contact_index.add_reply(pipe, self.ttl, contact_index.digest(self.contact_keys[0], e164), message_sid)

    def is_opted_out(self, e164: str, scope: str = "") -> bool:
        """Whether messages to this number on that channel must be suppressed."""
        return self.opted_out_at(e164, scope) is not None

    def opted_out_at(self, e164: str, scope: str = "") -> float | None:
        """Since when this number has replied STOP on that channel (None: it has not, or it is no number)."""
        since = self.redis.get(keys.optout(e164, scope))
        return float(since) if since else None

    def latency(self) -> tuple[list[tuple[str, int]], float]:
        """The /metrics latency histogram: cumulative (upper bound, count) pairs ending with +Inf, and the sum."""
        return histogram.read(self.redis)

    def stats(self) -> dict[str, int]:
        """The /metrics counters."""
        return {k: int(v) for k, v in decode_row(self.redis.hgetall(keys.STATS)).items()}

    def count(self, name: str, amount: int = 1) -> None:
        """Bump a /metrics counter."""
        self.redis.hincrby(keys.STATS, name, amount)


def touch_recent(client: Any, delivery_id: str) -> None:
    """Put a delivery at the top of the console's recent activity, a capped list without repeats (on a client or a
    pipeline)."""
    client.lrem(keys.RECENT, 0, delivery_id)
    client.lpush(keys.RECENT, delivery_id)
    client.ltrim(keys.RECENT, 0, RECENT_SIZE - 1)


def limiter(client: redis.Redis, purpose: str) -> MovingWindowRateLimiter:
    """A moving-window rate limiter keeping its counts under the store's prefix for `purpose` (see keys.LIMITERS)."""
    return connection.limiter(client, keys.limiter(purpose))
