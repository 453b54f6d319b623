"""The Lua scripts of the store. Each declares in KEYS every key it touches (Redis's scripting rule, which Redis
Cluster, Dragonfly and managed proxies enforce) and runs only its own commands."""

from worker.store.states import CLOSED

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
# counter of the channel's new state moves with it, in the same step. Nothing leaves a closed state.
ADVANCE = (
    """
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
local channel = redis.call('HGET', KEYS[1], 'channel')
if channel then redis.call('HINCRBY', KEYS[2], 'notifications_' .. channel .. '_' .. new, 1) end
"""
    + _SET_FIELDS
)

# Compare-and-set of the state: the send ledger's claim. KEYS[1] hash; ARGV: expected, new, then field/value pairs.
SWAP = (
    """
if redis.call('HGET', KEYS[1], 'state') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'state', ARGV[2])
"""
    + _SET_FIELDS
)


# The webhook intake's first step (the store's record_event): unless KEYS[1], the event, exists, record it and, when
# it is to be processed, mark it pending, in one atomic step; when it exists, only count a duplicate. KEYS: the
# event hash, the counters, the delivery's timeline, the recent list, the pending set. ARGV: the event id, the
# delivery id, the retention TTL, the recent list's size, the outcome (its counter), "1" to mark it pending (else
# ""), then the event's field/value pairs. The mark (scored by Redis's own clock) is what lets the second step, RQ's
# own enqueue, be lost to a crash: the worker's maintenance queues whatever stays pending (worker/intake.py). A full
# Redis (maxmemory with noeviction) refuses the script at its first write, so nothing is ever half-written. The
# recent list is kept here as touch_recent keeps it (lrem, lpush, ltrim).
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
end
return 1
"""

# Record one visit of a short link: KEYS[1] the notification hash, KEYS[2] the counters; ARGV: "click" or
# "preview", the time, the counter's field. Nothing is written once the notification has expired (a hash created
# here would have no TTL); a person's first click sets clicked_at, later ones only count.
CLICK = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if ARGV[1] == 'click' then
  redis.call('HSETNX', KEYS[1], 'clicked_at', ARGV[2])
  redis.call('HINCRBY', KEYS[1], 'clicks', 1)
else
  redis.call('HINCRBY', KEYS[1], 'previews', 1)
end
redis.call('HINCRBY', KEYS[2], ARGV[3], 1)
return 1
"""
