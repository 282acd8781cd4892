-- wrk script for bench/inbound.py: replays pre-signed Twilio webhooks from a file, in order, one per request.
-- Usage: wrk -t1 -c16 -d30s -s bench/wrk_twilio.lua http://127.0.0.1:P -- /webhooks/twilio/sms REQUESTS_FILE
-- Each line of REQUESTS_FILE is "<X-Twilio-Signature>\t<form body>"; the signatures were computed in Python over
-- PUBLIC_BASE_URL + path, so wrk needs no HMAC. done() prints one JSON line (latencies in microseconds).

local requests = {}
local index = 0

init = function(args)
  local path, file_name = args[1], args[2]
  local file = assert(io.open(file_name, "r"))
  for line in file:lines() do
    local signature, body = line:match("^([^\t]*)\t(.*)$")
    if signature then
      requests[#requests + 1] = wrk.format("POST", path, {
        ["Content-Type"] = "application/x-www-form-urlencoded",
        ["X-Twilio-Signature"] = signature,
      }, body)
    end
  end
  file:close()
end

request = function()
  index = index % #requests + 1
  return requests[index]
end

done = function(summary, latency, _)
  local e = summary.errors
  io.write(string.format(
    'JSON {"requests": %d, "duration_us": %d, "bytes": %d, "connect_errors": %d, "read_errors": %d, ' ..
    '"write_errors": %d, "status_errors": %d, "timeouts": %d, "p50": %d, "p95": %d, "p99": %d, "max": %d, ' ..
    '"mean": %.1f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max, latency.mean))
end
