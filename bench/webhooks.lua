-- wrk script for bench/ingest.py: the traffic rule of bench/bodies.py, per wrk thread.
-- Arguments: label token_header token large_every dup_every dup_lag; BENCH_WRK_DIR names a folder.
-- Bodies are <folder>/{small,large}.{prefix,suffix} around the delivery id; every response's status and the
-- delivery id the server echoes are appended to <folder>/responses-<thread>.log for the correctness check.

local threads = 0
local counter, new = 0, 0
local recent = {}
local small_prefix, small_suffix, large_prefix, large_suffix
local headers, label, log
local large_every, dup_every, dup_lag

local folder = os.getenv("BENCH_WRK_DIR")

function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end

local function slurp(path)
  local f = assert(io.open(path, "rb"))
  local text = f:read("*a")
  f:close()
  return text
end

function init(args)
  label = args[1]
  headers = { ["Content-Type"] = "application/json", [args[2]] = args[3] }
  large_every, dup_every, dup_lag = tonumber(args[4]), tonumber(args[5]), tonumber(args[6])
  small_prefix, small_suffix = slurp(folder .. "/small.prefix"), slurp(folder .. "/small.suffix")
  large_prefix, large_suffix = slurp(folder .. "/large.prefix"), slurp(folder .. "/large.suffix")
  log = assert(io.open(folder .. "/responses-" .. tid .. ".log", "w"))
  log:setvbuf("line")
end

function request()
  local k = counter
  counter = counter + 1
  local large = k % large_every == large_every - 1
  if not large and k % dup_every == dup_every - 1 and #recent >= dup_lag then
    return wrk.format("POST", nil, headers, small_prefix .. recent[#recent - dup_lag + 1] .. small_suffix)
  end
  new = new + 1
  local id = label .. "-t" .. tid .. "-" .. new
  table.insert(recent, id)
  if #recent > dup_lag then
    table.remove(recent, 1)
  end
  if large then
    return wrk.format("POST", nil, headers, large_prefix .. id .. large_suffix)
  end
  return wrk.format("POST", nil, headers, small_prefix .. id .. small_suffix)
end

function response(status, headers, body)
  log:write(status, " ", body:match('"delivery_id":%s*"([^"]*)"') or "-", "\n")
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "connect_errors": %d, "read_errors": %d, "write_errors": %d, '
      .. '"status_errors": %d, "timeouts": %d, "p50_us": %d, "p99_us": %d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99)
  ))
  -- the latency histogram, "microseconds count" per line, so that rounds can be merged exactly
  local f = assert(io.open(folder .. "/latency.txt", "w"))
  for i = 1, #latency do
    local value, count = latency(i)
    f:write(value, " ", count, "\n")
  end
  f:close()
end
