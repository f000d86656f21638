-- wrk script for bench_confirm: walk through (ack id, token) pairs.
--
--   wrk ... -s walk.lua URL -- MODE PAIRS_FILE THREADS SECONDS DONE_DIR
--
-- MODE "confirm": every pair is used once, as a first POST …/confirm/ by its recipient; each wrk
--   thread takes every THREADS-th pair. MODE "read": GET …/acknowledgements/<id>/ cycling
--   through the pairs (the trivial authenticated endpoint).
-- A thread stops issuing after SECONDS (or when its pairs run out), waits for the answers to the
-- requests still in flight, then stops and drops a marker file in DONE_DIR; the runner interrupts
-- wrk once every thread has finished. So every request issued is also counted, and the rate is
-- taken over the exact window from the first request to the last response (wrk's own "duration"
-- would include the idle tail).

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clock_id, bench_timespec *tp);
]]
local CLOCK_MONOTONIC = 1
local ts = ffi.new("bench_timespec")
local function now_us()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, ts)
  return tonumber(ts.tv_sec) * 1000000 + math.floor(tonumber(ts.tv_nsec) / 1000)
end

local BODY = '{"comment":"已学习"}'

-- main state: remember the threads so that done() can read their counters
local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

-- per-thread state
local mode, seconds, done_dir
local items = {}
local pos = 0
local stopping = false
local finished = false
-- wrk calls request() once in thread 0's state before the run, only to parse the request: that
-- call must neither consume a pair nor count as issued.
local verified = nil
issued = 0
responded = 0
bad = 0
exhausted = 0
first_us = 0
last_us = 0

function init(args)
  mode = args[1]
  local nthreads = tonumber(args[3])
  seconds = tonumber(args[4])
  done_dir = args[5]
  local index = 0
  for line in io.lines(args[2]) do
    if index % nthreads == id then
      local ack, token = line:match("^(%d+)%s+(%S+)$")
      local headers = { ["Authorization"] = "Token " .. token }
      if mode == "confirm" then
        headers["Content-Type"] = "application/json"
        items[#items + 1] =
          wrk.format("POST", "/api/v1/acknowledgements/" .. ack .. "/confirm/", headers, BODY)
      else
        items[#items + 1] = wrk.format("GET", "/api/v1/acknowledgements/" .. ack .. "/", headers)
      end
    end
    index = index + 1
  end
end

local function finish()
  if finished then
    return
  end
  finished = true
  local marker = io.open(done_dir .. "/" .. mode .. "." .. id, "w")
  if marker then
    marker:write(string.format("%d %d\n", issued, responded))
    marker:close()
  end
  wrk.thread:stop()
end

function request()
  if verified == nil then
    verified = id ~= 0
  end
  if not verified then
    verified = true
    return items[1] or wrk.format("GET", "/healthz")
  end
  local now = now_us()
  if first_us == 0 then
    first_us = now
  end
  if not stopping and now - first_us >= seconds * 1000000 then
    stopping = true
  end
  if not stopping then
    pos = pos + 1
    if pos > #items then
      if mode == "confirm" then
        stopping = true
        exhausted = 1
      else
        pos = 1
      end
    end
  end
  if stopping then
    -- Send nothing more on this connection; stop once every request in flight is answered.
    if responded >= issued then
      finish()
    end
    return ""
  end
  issued = issued + 1
  return items[pos]
end

function response(status, headers, body)
  responded = responded + 1
  last_us = now_us()
  if status < 200 or status > 299 then
    bad = bad + 1
  end
  if stopping and responded >= issued then
    finish()
  end
end

function done(summary, latency, requests)
  local issued_all, responded_all, bad_all, exhausted_all = 0, 0, 0, 0
  local first, last = nil, 0
  for _, thread in ipairs(threads) do
    issued_all = issued_all + thread:get("issued")
    responded_all = responded_all + thread:get("responded")
    bad_all = bad_all + thread:get("bad")
    exhausted_all = exhausted_all + thread:get("exhausted")
    local f, l = thread:get("first_us"), thread:get("last_us")
    if f > 0 and (first == nil or f < first) then
      first = f
    end
    if l > last then
      last = l
    end
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"status_errors":%d,"connect_errors":%d,' ..
    '"read_errors":%d,"write_errors":%d,"timeouts":%d,"issued":%d,"responded":%d,' ..
    '"bad":%d,"threads_exhausted":%d,"window_us":%d,"p50_us":%d,"p75_us":%d,"p90_us":%d,' ..
    '"p99_us":%d,"max_us":%d,"mean_us":%.1f}\n',
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    issued_all, responded_all, bad_all, exhausted_all, last - (first or last),
    latency:percentile(50), latency:percentile(75), latency:percentile(90),
    latency:percentile(99), latency.max, latency.mean))
end
