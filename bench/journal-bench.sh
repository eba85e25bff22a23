#!/usr/bin/env bash
# Journal costs (issue 15): injection and syscall throughput with the journal on and off (wrk against the built jar,
# each run on a fresh data directory), then the time to restore 100 kernels of 1 000 journal entries each on start.
# Loopback only, port $PORT (default 18083); bounded in time. Usage: bench/journal-bench.sh [seconds-per-endpoint] [connections]
# Environment: PORT, SKIP_BUILD=1 (use the jar built), JAR=path, JFR_DIR=dir (a JFR profile per run), NO_RESTART=1.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-10}
CONNS=${2:-32}
PORT=${PORT:-18083}
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
[ -n "${SKIP_BUILD:-}" ] || ./mvnw -B -q package -DskipTests
JAR=${JAR:-$(ls target/vkernel-*.jar | grep -v original | head -1)}
WORK=$(mktemp -d /tmp/vkernel-journal-bench.XXXXXX)
SERVER=
trap '[ -n "$SERVER" ] && kill -9 $SERVER 2>/dev/null; rm -rf "$WORK"' EXIT
J='content-type: application/json'
K=http://localhost:$PORT/api/v1/kernels/default

start() { # data-dir, journal-enabled
  local jfr=
  # JFR_DIR=/some/dir: each run records a profile there (<run>.jfr), for `jfr print --events jdk.ExecutionSample`
  RUN=$(basename "$1")
  [ -z "${JFR_DIR:-}" ] || jfr="-XX:StartFlightRecording=settings=profile"
  java -Xmx1g $jfr -jar "$JAR" --server.port=$PORT --vkernel.data-dir="$1" --vkernel.journal.enabled="$2" --logging.level.root=WARN \
    --logging.level.io.vkernel=INFO --vkernel.limits.max-kernels=200 --server.tomcat.threads.max=64 > "$1.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 1 600); do curl -sf localhost:$PORT/api/v1/ping >/dev/null && return; sleep 0.5; done
  echo "service did not start in 300 s:" >&2; tail -20 "$1.log" >&2; exit 1
}
stop() {
  [ -z "${JFR_DIR:-}" ] || jcmd "$SERVER" JFR.dump name=1 filename="$JFR_DIR/$RUN.jfr" >/dev/null || true  # SIGKILL below would lose the recording
  kill -9 "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=
}

setup() { # a connection in the default kernel, tracing off as http-bench.sh does; prints the ACK number
  curl -s -XPUT $K/sysctl/vkernel.trace -H "$J" -d '{"value":0}' >/dev/null
  curl -s -XPOST $K/processes -H "$J" -d '{"name":"server"}' >/dev/null
  curl -s -XPOST $K/processes/12345/socket >/dev/null
  curl -s -XPOST $K/processes/12345/bind -H "$J" -d '{"fd":3,"addr":"0.0.0.0:8080"}' >/dev/null
  curl -s -XPOST $K/processes/12345/listen -H "$J" -d '{"fd":3,"backlog":128}' >/dev/null
  local synack; synack=$(curl -s -XPOST $K/packets -H "$J" -d '{"src":"192.168.1.100:54321","dst":"10.0.0.50:8080","flags":"S","seq":1000}' | grep -o '"seq" : [0-9]*' | tail -1 | grep -o '[0-9]*$')
  curl -s -XPOST $K/packets -H "$J" -d "{\"src\":\"192.168.1.100:54321\",\"dst\":\"10.0.0.50:8080\",\"flags\":\".\",\"seq\":1001,\"ack\":$((synack + 1))}" >/dev/null
  curl -s -XPOST $K/processes/12345/accept -H "$J" -d '{"fd":3}' >/dev/null
  echo $((synack + 1))
}

cpu_ticks() { awk '{print $14 + $15}' /proc/$SERVER/stat; }
run() { # url, lua: prints requests/s and the service's CPU ms per request (less sensitive to a busy machine)
  local before after out
  before=$(cpu_ticks)
  out=$(wrk -t2 -c"$CONNS" -d"${SECONDS_EACH}s" -s "$2" "$1" 2>&1)
  after=$(cpu_ticks)
  echo "$out" | awk -v ticks=$((after - before)) -v hz="$(getconf CLK_TCK)" \
    '/^ *[0-9]+ requests in/ {n = $1} /Requests\/sec/ {rps = $2} END {printf "%s %.3f", rps, n ? ticks * 1000 / hz / n : 0}'
}

echo "journal inject_per_sec inject_cpu_ms_per_req fcntl_per_sec fcntl_cpu_ms_per_req"
for journal in false true; do
  start "$WORK/data-$journal" $journal
  ACK=$(setup)
  printf 'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = [[%s]]\n' \
    "{\"src\":\"192.168.1.100:54321\",\"dst\":\"10.0.0.50:8080\",\"flags\":\".\",\"seq\":1001,\"ack\":$ACK}" > "$WORK/inject.lua"
  printf 'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = [[{"fd":4,"cmd":"F_GETFL"}]]\n' > "$WORK/fcntl.lua"
  echo "$journal $(run $K/packets "$WORK/inject.lua") $(run $K/processes/12345/fcntl "$WORK/fcntl.lua")"
  stop
done

[ -z "${NO_RESTART:-}" ] || exit 0

# Restart: one kernel driven to 1 000 journal entries (connections opened, data read, closed, time advanced),
# imported 99 more times, then the service is killed and started again on the same directory.
start "$WORK/restart" true
KR=http://localhost:$PORT/api/v1/kernels/k0
curl -s -XPOST localhost:$PORT/api/v1/kernels -H "$J" -d '{"id":"k0","seed":5,"buckets":1024}' >/dev/null
curl -s -XPOST $KR/processes -H "$J" -d '{"name":"server"}' >/dev/null
curl -s -XPOST $KR/processes/12345/socket >/dev/null
curl -s -XPOST $KR/processes/12345/bind -H "$J" -d '{"fd":3,"addr":"0.0.0.0:8080"}' >/dev/null
curl -s -XPOST $KR/processes/12345/listen -H "$J" -d '{"fd":3,"backlog":128}' >/dev/null
steps=4; port=20000
while [ $steps -lt 1000 ]; do
  port=$((port + 1))
  synack=$(curl -s -XPOST $KR/packets -H "$J" -d "{\"src\":\"192.168.1.100:$port\",\"dst\":\"10.0.0.50:8080\",\"flags\":\"S\",\"seq\":1000}" | grep -o '"seq" : [0-9]*' | tail -1 | grep -o '[0-9]*$')
  p="\"src\":\"192.168.1.100:$port\",\"dst\":\"10.0.0.50:8080\",\"seq\":1001,\"ack\":$((synack + 1))"
  curl -s -XPOST $KR/packets -H "$J" -d "{$p,\"flags\":\".\"}" >/dev/null
  fd=$(curl -s -XPOST $KR/processes/12345/accept -H "$J" -d '{"fd":3}' | grep -o '"ret" : [0-9]*' | grep -o '[0-9]*$')
  curl -s -XPOST $KR/packets -H "$J" -d "{$p,\"flags\":\"P.\",\"payload\":\"hello\"}" >/dev/null
  curl -s -XPOST $KR/processes/12345/read -H "$J" -d "{\"fd\":$fd,\"count\":100}" >/dev/null
  curl -s -XPOST $KR/processes/12345/close -H "$J" -d "{\"fd\":$fd}" >/dev/null
  curl -s -XPOST $KR/clock/advance -H "$J" -d '{"ms":100}' >/dev/null
  steps=$((steps + 7))
done
curl -s $KR/journal | head -1001 > "$WORK/k0.journal"
curl -s -XDELETE $KR >/dev/null
for i in $(seq 0 99); do
  curl -s -o /dev/null -XPOST "localhost:$PORT/api/v1/kernels/import?id=r$i" -H 'content-type: application/x-ndjson' --data-binary @"$WORK/k0.journal"
done
echo "journaled kernels: $(curl -s localhost:$PORT/api/v1/kernels | grep -c '"id" : "r')"
stop
start "$WORK/restart" true
grep -o 'restored [0-9]* kernels and [0-9]* networks from their journals in [0-9]* ms' "$WORK/restart.log"
stop
