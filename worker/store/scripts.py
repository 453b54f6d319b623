"""The Lua scripts of the store. ADVANCE and SWAP declare in KEYS every key they touch (Redis's scripting rule, which
Redis Cluster, Dragonfly and managed proxies enforce) and run only their own commands; UNLESS_EXISTS, the webhook
intake, does not yet (see its comment)."""

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


# The webhook intake: unless KEYS[1] (the event) exists, make the writes given in ARGV, each as its argument count
# then the command and its arguments, in one atomic step (the event's record and RQ's enqueue of its job land
# together or not at all); when it exists, only count a duplicate in KEYS[2]. A full Redis (maxmemory with
# noeviction) refuses a script at its first write, so nothing is ever half-written.
# This is the one script that runs commands it is given, with keys it does not declare (RQ's, which RQ builds): the
# documented-surface alternative, a WATCH/read/MULTI-EXEC transaction, costs two more round trips per webhook and
# measured 0.62 of the ingest floor against 1.08-1.19 for this script (bench/README.md).
UNLESS_EXISTS = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('HINCRBY', KEYS[2], 'webhooks_duplicate', 1)
  return 0
end
local i = 1
while i <= #ARGV do
  local n = tonumber(ARGV[i])
  redis.call(unpack(ARGV, i + 1, i + n))
  i = i + n + 1
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
