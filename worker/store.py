"""The notification record in Redis: events received, notifications and their states, opt-outs.

Keys (all but opt-outs expire after RETENTION_DAYS):
  ntf:event:{event_id}                 hash   one status event as received, and what became of it
  ntf:delivery:{delivery_id}           list   "e:<event id>" and "n:<notification id>", oldest first
  ntf:notif:{notification_id}          hash   one message on one channel: state, masked destination, provider id
  ntf:outbox:{notification_id}         hash   the rendered message and real destination, deleted once sent
  ntf:provider:{sid}                   string Twilio's message sid → notification id, for delivery reports
  ntf:optout:{sha256(e164)}            string numbers that replied STOP (kept until START)
  ntf:inbound:{MessageSid}             string an inbound Twilio message already acted on (a replay changes nothing)
  ntf:stats, ntf:latency               hash   counters and the latency histogram behind /metrics
  ntf:recent                           list   the 100 deliveries with the latest activity, newest first
"""

import hashlib
import json
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import redis
from redis.client import Pipeline

PREFIX = "ntf"

# Order of a notification's states: a delivery report never moves a message back to an earlier one.
STATE_RANK = {
    "pending": 0,
    "claimed": 1,
    "accepted": 2,
    "scheduled": 2,
    "queued": 2,
    "sending": 3,
    "sent": 4,
    "delivered": 5,
    "undelivered": 5,
    "failed": 5,
    "canceled": 5,
    "read": 6,
}

# Lua tail shared by the scripts below: ARGV[3..] are field/value pairs; an empty value removes the field.
_SET_FIELDS = """
for i = 3, #ARGV, 2 do
  if ARGV[i + 1] == '' then redis.call('HDEL', KEYS[1], ARGV[i])
  else redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
end
return 1
"""

# Move `state` forward only: KEYS[1] notification hash, KEYS[2] the counters; ARGV: the state ranks (JSON), the new
# state, then field/value pairs to set with it (an empty value removes the field: records stay small). The
# counter of the channel's new state moves with it, in the same step.
_ADVANCE = (
    """
local current = redis.call('HGET', KEYS[1], 'state')
if not current then return 0 end
local rank = cjson.decode(ARGV[1])
local new = ARGV[2]
local closed = {skipped=1, suppressed=1, rejected=1, uncertain=1}
if closed[current] then return 0 end
if rank[current] and rank[new] and rank[new] <= rank[current] then return 0 end
redis.call('HSET', KEYS[1], 'state', new)
local channel = redis.call('HGET', KEYS[1], 'channel')
if channel then redis.call('HINCRBY', KEYS[2], 'notifications_' .. channel .. '_' .. new, 1) end
"""
    + _SET_FIELDS
)

# Compare-and-set of the state: the send ledger's claim. KEYS[1] hash; ARGV: expected, new, then field/value pairs.
_SWAP = (
    """
if redis.call('HGET', KEYS[1], 'state') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'state', ARGV[2])
"""
    + _SET_FIELDS
)


def digest(*parts: str, size: int = 24) -> str:
    """A short stable id from parts (delivery ids may hold characters RQ job ids cannot)."""
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:size]


def now() -> float:
    """Seconds since the epoch, as stored in every record."""
    return round(time.time(), 3)


def event_key(event_id: str) -> str:
    return f"{PREFIX}:event:{event_id}"


def notif_key(notification_id: str) -> str:
    return f"{PREFIX}:notif:{notification_id}"


def outbox_key(notification_id: str) -> str:
    return f"{PREFIX}:outbox:{notification_id}"


def timeline_key(delivery_id: str) -> str:
    """One list per delivery: "e:<event id>" and "n:<notification id>" entries, oldest first."""
    return f"{PREFIX}:delivery:{delivery_id}"


def provider_key(provider_id: str) -> str:
    return f"{PREFIX}:provider:{provider_id}"


def optout_key(e164: str) -> str:
    return f"{PREFIX}:optout:{digest(e164, size=64)}"


def inbound_key(message_sid: str) -> str:
    return f"{PREFIX}:inbound:{message_sid}"


STATS_KEY = f"{PREFIX}:stats"
RECENT_KEY = f"{PREFIX}:recent"  # delivery ids with the latest activity (console home), newest first
RECENT_SIZE = 100
LATENCY_KEY = f"{PREFIX}:latency"
# Upper bounds (seconds) of the webhook-to-send latency histogram behind /metrics.
LATENCY_BUCKETS = (0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 1800.0)
_RANKS = json.dumps(STATE_RANK)


class Store:
    """Reads and writes the record; every write refreshes the retention TTL of what it touches."""

    def __init__(self, client: redis.Redis, retention_seconds: int) -> None:
        self.redis = client
        self.ttl = retention_seconds
        self._advance = client.register_script(_ADVANCE)
        self._swap = client.register_script(_SWAP)

    def record_event(
        self, event_id: str, fields: Mapping[str, str], also: Callable[[Pipeline], object] | None = None
    ) -> bool:
        """Record a new event, and make `also`'s writes (RQ's enqueue of its job) in the same transaction, unless
        the event exists: then only the duplicate counter moves and the answer is False. Redis's optimistic
        locking (WATCH the event, read it, MULTI/EXEC) makes it one atomic step on documented surfaces: a
        concurrent copy that records the event first makes EXEC fail, and this copy a duplicate. Three round
        trips, new or duplicate (WATCH, EXISTS, MULTI/EXEC)."""
        key = event_key(event_id)
        with self.redis.pipeline() as pipe:
            try:
                pipe.watch(key)
                new = not pipe.exists(key)
                pipe.multi()  # EXEC also ends the WATCH, so no UNWATCH round trip follows either way
                if new:
                    self._write_event(pipe, event_id, fields)
                    if also is not None:
                        also(pipe)
                else:
                    pipe.hincrby(STATS_KEY, "webhooks_duplicate", 1)
                pipe.execute()
                return new
            except redis.WatchError:  # a concurrent copy recorded it between our read and EXEC
                self.count("webhooks_duplicate")
                return False

    def _write_event(self, pipe: Pipeline, event_id: str, fields: Mapping[str, str]) -> None:
        """The event hash and the delivery's event list, both expiring after the retention period."""
        delivery_id = fields["delivery_id"]
        pipe.hset(event_key(event_id), mapping={k: v for k, v in fields.items() if v != ""})
        pipe.expire(event_key(event_id), self.ttl)
        pipe.rpush(timeline_key(delivery_id), f"e:{event_id}")
        pipe.expire(timeline_key(delivery_id), self.ttl)
        pipe.hincrby(STATS_KEY, f"webhooks_{fields['outcome']}", 1)
        touch_recent(pipe, delivery_id)

    def recent(self, limit: int = 20) -> list[str]:
        """The delivery ids with the latest activity, newest first."""
        return [as_text(v) for v in self.redis.lrange(RECENT_KEY, 0, limit - 1)]

    # events -----------------------------------------------------------------------------------
    def event(self, event_id: str) -> dict[str, str]:
        """One event's fields ({} when expired or unknown)."""
        return decode_row(self.redis.hgetall(event_key(event_id)))

    def close_event(self, event_id: str, outcome: str, detail: str = "", **fields: str) -> None:
        """Record what became of an event and drop the secret link it may have carried."""
        key = event_key(event_id)
        with self.redis.pipeline() as pipe:
            _write(pipe, key, outcome=outcome, detail=detail, processed_at=now(), **fields)
            pipe.hdel(key, "tracking_url")
            pipe.expire(key, self.ttl)
            pipe.hincrby(STATS_KEY, f"events_{outcome}", 1)
            pipe.execute()

    # notifications ----------------------------------------------------------------------------
    def create_notification(self, notification_id: str, fields: Mapping[str, Any]) -> bool:
        """Create the record unless it exists (a re-run or a second event for the same send); True if created."""
        key = notif_key(notification_id)
        record: dict[Any, Any] = {k: str(v) for k, v in fields.items() if v not in (None, "")}
        record.setdefault("created_at", str(now()))
        record["updated_at"] = record["created_at"]
        if not self.redis.hsetnx(key, "state", record.get("state", "pending")):
            return False
        with self.redis.pipeline() as pipe:
            pipe.hset(key, mapping=record)
            pipe.expire(key, self.ttl)
            pipe.rpush(timeline_key(record["delivery_id"]), f"n:{notification_id}")
            pipe.expire(timeline_key(record["delivery_id"]), self.ttl)
            pipe.hincrby(STATS_KEY, f"notifications_{record['channel']}_{record.get('state', 'pending')}", 1)
            pipe.execute()
        return True

    def notification(self, notification_id: str) -> dict[str, str]:
        """One notification's fields ({} when unknown)."""
        return decode_row(self.redis.hgetall(notif_key(notification_id)))

    def notifications(self, delivery_id: str) -> list[dict[str, str]]:
        """Every notification of a delivery, oldest first, each with its id."""
        return self.timelines([delivery_id])[0][1]

    def events(self, delivery_id: str) -> list[dict[str, str]]:
        """Every event of a delivery, oldest first, each with its id."""
        return self.timelines([delivery_id])[0][0]

    def timelines(
        self, delivery_ids: Sequence[str], last_only: bool = False
    ) -> list[tuple[list[dict[str, str]], list[dict[str, str]]]]:
        """(events, notifications) of each delivery, oldest first, each record with its id (only the latest of each
        kind with `last_only`); two round trips for any number of deliveries."""
        with self.redis.pipeline(transaction=False) as pipe:
            for delivery_id in delivery_ids:
                pipe.lrange(timeline_key(delivery_id), 0, -1)
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
                    pipe.hgetall(event_key(eid))
                for nid in notification_ids:
                    pipe.hgetall(notif_key(nid))
            rows = iter(pipe.execute())
        return [
            (
                [{"id": eid, **decode_row(row)} for eid in event_ids if (row := next(rows))],
                [{"id": nid, **decode_row(row)} for nid in notification_ids if (row := next(rows))],
            )
            for event_ids, notification_ids in wanted
        ]

    def claim(self, notification_id: str) -> bool:
        """The send ledger: pending → claimed, atomically; False when another attempt got there first."""
        return bool(
            self._swap(keys=[notif_key(notification_id)], args=["pending", "claimed", *_pairs(claimed_at=now())])
        )

    def release(self, notification_id: str, error: str) -> bool:
        """claimed → pending after a failure that surely sent nothing, so the retry may claim again."""
        fields = _pairs(error=error, updated_at=now(), data_started_at="")
        return bool(self._swap(keys=[notif_key(notification_id)], args=["claimed", "pending", *fields]))

    def advance(self, notification_id: str, state: str, **fields: Any) -> bool:
        """Move forward to `state` (provider reports, success); never backwards, never out of a closed state."""
        args = [_RANKS, state, *_pairs(updated_at=now(), **fields)]
        return bool(self._advance(keys=[notif_key(notification_id), STATS_KEY], args=args))

    def handed_over(self, notification_id: str, provider_id: str | None, latency: float | None) -> None:
        """After the provider took a message: forget its text and destination, let delivery reports find it by the
        provider's id, and add its webhook → provider latency to the histogram; one round trip."""
        with self.redis.pipeline() as pipe:
            pipe.delete(outbox_key(notification_id))
            if provider_id:
                pipe.set(provider_key(provider_id), notification_id, ex=self.ttl)
            if latency is not None:
                _observe(pipe, latency)
            pipe.execute()

    def note(self, notification_id: str, **fields: Any) -> None:
        """Set fields without changing the state (the last error of an attempt); an empty value removes one."""
        _write(self.redis, notif_key(notification_id), updated_at=now(), **fields)

    def by_provider_id(self, provider_id: str) -> str | None:
        """The notification a provider id belongs to."""
        value = self.redis.get(provider_key(provider_id))
        return as_text(value) if value else None

    def close(self, notification_id: str, state: str, **fields: Any) -> None:
        """End a notification that will not be sent (skipped, suppressed, rejected, uncertain)."""
        key = notif_key(notification_id)
        with self.redis.pipeline() as pipe:
            _write(pipe, key, state=state, updated_at=now(), **fields)
            pipe.delete(outbox_key(notification_id))
            pipe.hget(key, "channel")
            channel = pipe.execute()[-1]
        if channel:
            self.redis.hincrby(STATS_KEY, f"notifications_{as_text(channel)}_{state}", 1)

    # the outbox: what to send, kept apart from the record and deleted once it is sent -------------
    def put_outbox(self, notification_id: str, payload: Mapping[str, str], **notes: Any) -> None:
        """Store the rendered message and real destination for the send job, and `notes` on the notification (what
        the message costs, when it is held back until), in one step."""
        with self.redis.pipeline() as pipe:
            pipe.hset(outbox_key(notification_id), mapping=dict[Any, Any](payload))
            pipe.expire(outbox_key(notification_id), self.ttl)
            if notes:
                _write(pipe, notif_key(notification_id), updated_at=now(), **notes)
            pipe.execute()

    def outbox(self, notification_id: str) -> dict[str, str]:
        """The payload of a notification still to send ({} once sent or expired)."""
        return decode_row(self.redis.hgetall(outbox_key(notification_id)))

    def prepared(self, notification_id: str, event_id: str) -> tuple[dict[str, str], float | None]:
        """What a send job needs in one round trip: the payload ({} once sent or expired) and when the webhook
        behind it was accepted (None for a resend, or once the event expired)."""
        with self.redis.pipeline(transaction=False) as pipe:
            pipe.hgetall(outbox_key(notification_id))
            pipe.hget(event_key(event_id), "received_at")
            payload, received_at = pipe.execute()
        return decode_row(payload), float(received_at) if event_id and received_at else None

    # opt-outs ---------------------------------------------------------------------------------
    def opt_out(self, e164: str, message_sid: str = "") -> None:
        """Remember that this number replied STOP: no SMS until it replies START. With the reply's `message_sid`,
        the reply is marked as handled in the same step (see `handled`)."""
        with self.redis.pipeline() as pipe:
            pipe.set(optout_key(e164), str(now()))
            self._mark_handled(pipe, message_sid)
            pipe.execute()

    def opt_in(self, e164: str, message_sid: str = "") -> None:
        """The number replied START: SMS may go to it again (the reply marked as handled in the same step)."""
        with self.redis.pipeline() as pipe:
            pipe.delete(optout_key(e164))
            self._mark_handled(pipe, message_sid)
            pipe.execute()

    def handled(self, message_sid: str) -> bool:
        """Whether this inbound message was already acted on: a signed request replayed later (a START replayed
        after a newer STOP) must change nothing. Twilio signatures carry no time, so the message id is the key."""
        return bool(message_sid) and bool(self.redis.exists(inbound_key(message_sid)))

    def _mark_handled(self, pipe: Any, message_sid: str) -> None:
        """Keep an inbound message's id for the retention period, alongside what it changed."""
        if message_sid:
            pipe.set(inbound_key(message_sid), "1", ex=self.ttl)

    def is_opted_out(self, e164: str) -> bool:
        """Whether SMS to this number must be suppressed."""
        return bool(self.redis.exists(optout_key(e164)))

    def latency(self) -> tuple[list[tuple[str, int]], float]:
        """Cumulative (upper bound, count) pairs ending with +Inf, and the sum of durations."""
        raw = decode_row(self.redis.hgetall(LATENCY_KEY))
        running, buckets = 0, []
        for bound in [f"{b:g}" for b in LATENCY_BUCKETS] + ["+Inf"]:
            running += int(raw.get(bound, 0))
            buckets.append((bound, running))
        return buckets, float(raw.get("sum", 0.0))

    def stats(self) -> dict[str, int]:
        """The /metrics counters."""
        return {k: int(v) for k, v in decode_row(self.redis.hgetall(STATS_KEY)).items()}

    def count(self, name: str, amount: int = 1) -> None:
        """Bump a /metrics counter."""
        self.redis.hincrby(STATS_KEY, name, amount)


def _observe(pipe: Any, seconds: float) -> None:
    """Add one webhook-accepted → provider-accepted duration to the histogram (on a pipeline)."""
    bucket = next((f"{b:g}" for b in LATENCY_BUCKETS if seconds <= b), "+Inf")
    pipe.hincrby(LATENCY_KEY, bucket, 1)
    pipe.hincrbyfloat(LATENCY_KEY, "sum", round(max(seconds, 0.0), 3))


def touch_recent(client: Any, delivery_id: str) -> None:
    """Put a delivery at the top of the console's recent activity, a capped list without repeats (on a client or a
    pipeline)."""
    client.lrem(RECENT_KEY, 0, delivery_id)
    client.lpush(RECENT_KEY, delivery_id)
    client.ltrim(RECENT_KEY, 0, RECENT_SIZE - 1)


def decode_row(row: Mapping[Any, Any]) -> dict[str, str]:
    """A Redis hash as text."""
    return {as_text(k): as_text(v) for k, v in row.items()}


def as_text(value: Any) -> str:
    """Redis answers bytes; the record is text."""
    return value.decode() if isinstance(value, bytes) else str(value)


def _pairs(**fields: Any) -> list[str]:
    """Field/value pairs flattened for a Lua script, skipping None."""
    return [item for k, v in fields.items() if v is not None for item in (k, str(v))]


def _write(client: Any, key: str, **fields: Any) -> None:
    """HSET the non-empty values and HDEL the empty ones (None: leave as is), on a client or a pipeline."""
    values = {k: str(v) for k, v in fields.items() if v not in (None, "")}
    cleared = [k for k, v in fields.items() if v == ""]
    if values:
        client.hset(key, mapping=values)
    if cleared:
        client.hdel(key, *cleared)
