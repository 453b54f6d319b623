"""The Lua scripts of the store. Each declares in KEYS every key it touches (Redis's scripting rule, which Redis
Cluster, Dragonfly and managed proxies enforce) and runs only its own commands."""

from worker.store.states import CLOSED, FIGURE, HANDED_FROM, IMPLIED


def _lua_table(table: dict[str, str]) -> str:
    """A Python table of names as a Lua table literal (names are plain words)."""
    return "{" + ", ".join(f"{key}='{value}'" for key, value in table.items()) + "}"


def _set_fields(first: int) -> str:
    """Lua: ARGV[first..] are field/value pairs set on KEYS[1]; an empty value removes the field."""
    return f"""
for i = {first}, #ARGV, 2 do
  if ARGV[i + 1] == '' then redis.call('HDEL', KEYS[1], ARGV[i])
  else redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
end
"""


# Lua: count the day's figure of state `new` for `channel` in KEYS[day], the hash expiring at ARGV[expiry] (daily.py
# names the fields). The move out of HANDED_FROM is the provider taking the message: "sent", and its cost by the
# destination's country (messages, and segments when the record has them).
_COUNT_DAY = (
    """
local function count_day(day, expiry, channel, current, new)
  local function add(name, amount) redis.call('HINCRBY', KEYS[day], channel .. ':' .. name, amount) end
  local figure, implied = """
    + _lua_table(FIGURE)
    + ", "
    + _lua_table(IMPLIED)
    + """
  if current == '"""
    + HANDED_FROM
    + """' then
    local found = redis.call('HMGET', KEYS[1], 'country', 'segments', 'sms_segments')
    local country = found[1] or '--'
    add('sent', 1)
    add('messages:' .. country, 1)
    local segments = tonumber(found[2] or found[3] or '')
    if segments then add('segments:' .. country, segments) end
  end
  if figure[new] then add(figure[new], 1) end
  if implied[new] and current ~= implied[new] then add(implied[new], 1) end
  redis.call('EXPIREAT', KEYS[day], ARGV[expiry])
end
"""
)

# Move `state` forward only: KEYS[1] notification hash, KEYS[2] the /metrics counters, KEYS[3] today's dashboard
# counters; ARGV: the state ranks (JSON), the new state, the day's expiry (epoch seconds), then field/value pairs to
# set with it (an empty value removes the field: records stay small). The counters of the channel's new state move
# with it, in the same step. Nothing leaves a closed state.
ADVANCE = (
    _COUNT_DAY
    + """
local current = redis.call('HGET', KEYS[1], 'state')
if not current then return 0 end
local rank = cjson.decode(ARGV[1])
local new = ARGV[2]
local closed = {"""
    + ", ".join(f"{name}=1" for name in CLOSED)
    + """}
if closed[current] then return 0 end
if rank[current] and rank[new] and rank[new] <= rank[current] then return 0 end
redis.call('HSET', KEYS[1], 'state', new)
"""
    + _set_fields(4)
    + """
local channel = redis.call('HGET', KEYS[1], 'channel')
if channel then
  redis.call('HINCRBY', KEYS[2], 'notifications_' .. channel .. '_' .. new, 1)
  count_day(3, 3, channel, current, new)
end
return 1
"""
)

# End a notification that will not be sent: KEYS[1] its hash, KEYS[2] its outbox (deleted), KEYS[3] the /metrics
# counters, KEYS[4] today's dashboard counters; ARGV: the closed state, the day's expiry, then field/value pairs.
CLOSE = (
    _COUNT_DAY
    + """
redis.call('HSET', KEYS[1], 'state', ARGV[1])
"""
    + _set_fields(3)
    + """
redis.call('DEL', KEYS[2])
local channel = redis.call('HGET', KEYS[1], 'channel')
if channel then
  redis.call('HINCRBY', KEYS[3], 'notifications_' .. channel .. '_' .. ARGV[1], 1)
  count_day(4, 2, channel, '', ARGV[1])  -- a closed message never reached the provider
end
return 1
"""
)

# Compare-and-set of the state: the send ledger's claim. KEYS[1] hash; ARGV: expected, new, then field/value pairs.
SWAP = (
    """
if redis.call('HGET', KEYS[1], 'state') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'state', ARGV[2])
"""
    + _set_fields(3)
    + "return 1"
)


# The webhook intake (the store's record_event): unless KEYS[1], the event, exists, record it and, when it is to be
# processed, mark it pending and push its id onto the relay list, in one atomic step; when it exists, only count a
# duplicate. KEYS: the event hash, the counters, the delivery's timeline, the recent list, the pending set, the relay
# list. ARGV: the event id, the delivery id, the retention TTL, the recent list's size, the outcome (its counter), "1"
# to mark it pending (else ""), then the event's field/value pairs. The worker's relay pops the id and makes RQ's own
# enqueue of the event's job, then ends the mark; the mark (scored by Redis's own clock) is what lets a relay die
# between the two: the worker's maintenance queues whatever stays pending (worker/relay.py). A full Redis (maxmemory
# with noeviction) refuses the script at its first write, so nothing is ever half-written. The recent list is kept
# here as touch_recent keeps it (lrem, lpush, ltrim).
INTAKE = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('HINCRBY', KEYS[2], 'webhooks_duplicate', 1)
  return 0
end
redis.call('HSET', KEYS[1], unpack(ARGV, 7))
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('RPUSH', KEYS[3], 'e:' .. ARGV[1])
redis.call('EXPIRE', KEYS[3], ARGV[3])
redis.call('HINCRBY', KEYS[2], 'webhooks_' .. ARGV[5], 1)
redis.call('LREM', KEYS[4], 0, ARGV[2])
redis.call('LPUSH', KEYS[4], ARGV[2])
redis.call('LTRIM', KEYS[4], 0, tonumber(ARGV[4]) - 1)
if ARGV[6] == '1' then
  redis.call('ZADD', KEYS[5], redis.call('TIME')[1], ARGV[1])
  redis.call('RPUSH', KEYS[6], ARGV[1])
end
return 1
"""

# Record one visit of a short link: KEYS[1] the notification hash, KEYS[2] the counters, KEYS[3] today's dashboard
# counters; ARGV: "click" or "preview", the time, the counter's field, the dashboard's field, the day's expiry.
# Nothing is written once the notification has expired (a hash created here would have no TTL); a person's first
# click sets clicked_at and counts the notification as clicked on the dashboard, later ones only count.
CLICK = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if ARGV[1] == 'click' then
  if redis.call('HSETNX', KEYS[1], 'clicked_at', ARGV[2]) == 1 then
    redis.call('HINCRBY', KEYS[3], ARGV[4], 1)
    redis.call('EXPIREAT', KEYS[3], ARGV[5])
  end
  redis.call('HINCRBY', KEYS[1], 'clicks', 1)
else
  redis.call('HINCRBY', KEYS[1], 'previews', 1)
end
redis.call('HINCRBY', KEYS[2], ARGV[3], 1)
return 1
"""
