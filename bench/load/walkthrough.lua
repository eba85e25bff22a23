-- wrk script: every wrk thread is one workshop attendee (run with -t N -c N) pasting the README's walk-through,
-- "A connection's life, with curl", into their own kernel again and again: DELETE and re-create the kernel with
-- seed 1 (so ISNs match the README), a listening server, the handshake, accept, a blocking read woken by a
-- packet, close, data after close, the wire and the event log. Counts answers >= 500 per attendee.
local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  table.insert(threads, thread)
end

function init(args)
  local name = "att" .. id
  local k = "/api/v1/kernels/" .. name
  local p = k .. "/processes/12345"
  local syn = '{"src":"192.168.1.100:54321","dst":"10.0.0.50:8080","flags":"S","seq":1000,"mss":1460}'
  local ack = '{"src":"192.168.1.100:54321","dst":"10.0.0.50:8080","flags":".","seq":1001,"ack":208720246}'
  local data = '{"src":"192.168.1.100:54321","dst":"10.0.0.50:8080","flags":"P.","seq":1001,"ack":208720246,'
      .. '"payload":"GET /hello HTTP/1.1\\r\\n"}'
  local more = '{"src":"192.168.1.100:54321","dst":"10.0.0.50:8080","flags":"P.","seq":1022,"ack":208720246,"payload":"more"}'
  steps = {
    {"DELETE", k},
    {"POST", "/api/v1/kernels", '{"id":"' .. name .. '","seed":1}'},
    {"POST", k .. "/processes", '{"name":"server"}'},
    {"POST", p .. "/socket?format=text"},
    {"POST", p .. "/bind?format=text", '{"fd":3,"addr":"0.0.0.0:8080"}'},
    {"POST", p .. "/listen?format=text", '{"fd":3,"backlog":128}'},
    {"POST", k .. "/packets?format=text", syn},
    {"POST", k .. "/packets?format=text", ack},
    {"GET", k .. "/connections?format=text"},
    {"POST", p .. "/accept?format=text", '{"fd":3}'},
    {"GET", p .. "/fds?format=text"},
    {"POST", p .. "/read?wait=0&format=text", '{"fd":4}'},
    {"POST", k .. "/packets?format=text", data},
    {"GET", p .. "/calls/1?format=text"},
    {"POST", p .. "/close?format=text", '{"fd":4}'},
    {"GET", k .. "/connections?format=text"},
    {"POST", k .. "/packets?format=text", more},
    {"GET", k .. "/connections?format=text"},
    {"GET", k .. "/packets?format=text"},
    {"GET", k .. "/events?format=text"},
  }
  step = 0
  errors = 0
  walks = 0
end

function request()
  step = step % #steps + 1
  if step == 1 then
    walks = walks + 1
  end
  local s = steps[step]
  local headers = {}
  if s[3] then
    headers["Content-Type"] = "application/json"
  end
  return wrk.format(s[1], s[2], headers, s[3])
end

function response(status, headers, body)
  if status >= 500 then
    errors = errors + 1
  end
end

function done(summary, latency, requests)
  local errors, walks = 0, 0
  for _, thread in ipairs(threads) do
    errors = errors + thread:get("errors")
    walks = walks + thread:get("walks")
  end
  io.write(string.format("attendees %d, walk-throughs started %d, requests %d, answers >= 500: %d\n",
      #threads, walks, summary.requests, errors))
  io.write(string.format("latency p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms\n",
      latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
