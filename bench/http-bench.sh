#!/usr/bin/env bash
# HTTP speed side by side: vkernel against an anchor (bench/anchor: a bare Spring Boot app of the same version with
# one small JSON endpoint), both started here with -Xmx2g, warmed up, then driven in turn by wrk (Debian's package)
# on loopback. Prints each endpoint's requests/s and its ratio to the anchor. The anchor is measured first and last;
# ratios use the mean of the two, so a machine that gets busier during the run shows as a gap between them.
# On a shared, busy machine requests/s measures the share of CPU each app got as much as the app; so the script also
# reads each server's CPU time (/proc/PID/stat) around every run and prints CPU microseconds per request, whose
# inverse ratio to the anchor's is the throughput ratio the two would have with the machine to themselves.
# The anchor also answers POST /calls/{pid} (a JSON body and a path variable, the shape of a system call): measured
# last and printed as an extra ratio for fcntl, outside the goals.
# Usage: bench/http-bench.sh [seconds-per-endpoint] [connections]
#   VK_PORT / ANCHOR_PORT   ports (default 18080 / 18090); SKIP_BUILD=1 uses the jars already in target/
#   WARMUP=s                seconds of wrk per endpoint before measuring (default 10)
#   VK_JAVA_OPTS            extra JVM options for vkernel, e.g. -Dvkernel.journal.enabled=false or a JFR recording
#   ANCHOR_JAVA_OPTS        extra JVM options for the anchor (a JFR recording, to see what a bare request costs)
#                           Each wrk run's start and end (UTC) go to stderr, to cut a JFR recording into endpoints.
#   VK_JAR                  another vkernel jar to measure (e.g. an older build, for a before/after)
#   NICE=n                  run both servers and wrk at this nice level (as root, e.g. -20 on a machine busy with
#                           other work, so the JVMs warm up and the run measures the apps rather than the scheduler)
#   WAKEUPS=n               then park n blocking reads over HTTP and measure their wake-up latency (default 0)
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-8}
CONNS=${2:-32}
VK_PORT=${VK_PORT:-18080}
ANCHOR_PORT=${ANCHOR_PORT:-18090}
WARMUP=${WARMUP:-10}
if ! command -v wrk >/dev/null; then
  echo "wrk is missing: installing Debian's package" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  ./mvnw -B -q package -DskipTests
  ./mvnw -B -q -f bench/anchor/pom.xml package -DskipTests
fi
JAR=${VK_JAR:-$(ls target/vkernel-*.jar | grep -v original | head -1)}
RUN="nice -n ${NICE:-0}"
ANCHOR_JAR=$(ls bench/anchor/target/anchor-*.jar | grep -v original | head -1)
# a fresh journal directory, so kernels journaled by an earlier run are not restored into this one
# shellcheck disable=SC2086
$RUN java -Xmx2g ${VK_JAVA_OPTS:-} -jar "$JAR" --server.port="$VK_PORT" --logging.level.root=WARN \
  --vkernel.data-dir="$(mktemp -d /tmp/vkernel-http-bench.XXXXXX)" > target/http-bench-vkernel.log 2>&1 &
VK=$!
# shellcheck disable=SC2086
$RUN java -Xmx2g ${ANCHOR_JAVA_OPTS:-} -jar "$ANCHOR_JAR" --server.port="$ANCHOR_PORT" --logging.level.root=WARN > target/http-bench-anchor.log 2>&1 &
ANCHOR=$!
trap 'kill $VK $ANCHOR 2>/dev/null || true' EXIT
# on a machine busy with other work starting can take minutes; say so rather than fail silently on the first curl
UP=0
for _ in $(seq 1 600); do
  curl -sf "localhost:$VK_PORT/actuator/health" >/dev/null && curl -sf "localhost:$ANCHOR_PORT/ping" >/dev/null && UP=1 && break
  sleep 1
done
[ "$UP" = 1 ] || { echo "vkernel or the anchor did not start in 10 minutes: see target/http-bench-*.log" >&2; exit 1; }

K=http://localhost:$VK_PORT/api/v1/kernels/default
J='content-type: application/json'
curl -sf -XPOST $K/processes -H "$J" -d '{"name":"server"}' >/dev/null
curl -sf -XPOST $K/processes/12345/socket >/dev/null
curl -sf -XPOST $K/processes/12345/bind -H "$J" -d '{"fd":3,"addr":"0.0.0.0:8080"}' >/dev/null
curl -sf -XPOST $K/processes/12345/listen -H "$J" -d '{"fd":3,"backlog":128}' >/dev/null
SYNACK=$(curl -sf -XPOST $K/packets -H "$J" -d '{"src":"192.168.1.100:54321","dst":"10.0.0.50:8080","flags":"S","seq":1000}' | grep -o '"seq" : [0-9]*' | tail -1 | grep -o '[0-9]*$')
ACK=$((SYNACK + 1))
curl -sf -XPOST $K/packets -H "$J" -d "{\"src\":\"192.168.1.100:54321\",\"dst\":\"10.0.0.50:8080\",\"flags\":\".\",\"seq\":1001,\"ack\":$ACK}" >/dev/null
curl -sf -XPOST $K/processes/12345/accept -H "$J" -d '{"fd":3}' >/dev/null
trace() { curl -sf -XPUT $K/sysctl/vkernel.trace -H "$J" -d "{\"value\":$1}" >/dev/null; }

LUA=$(mktemp -d)
trap 'kill $VK $ANCHOR 2>/dev/null || true; rm -rf "$LUA"' EXIT
PACKET="{\"src\":\"192.168.1.100:54321\",\"dst\":\"10.0.0.50:8080\",\"flags\":\".\",\"seq\":1001,\"ack\":$ACK}"
post_lua() { printf 'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = [[%s]]\n' "$1" > "$LUA/$2.lua"; }
post_lua "$PACKET" inject
post_lua '{"fd":4,"cmd":"F_GETFL"}' fcntl
post_lua '{"fd":4,"cmd":"F_GETFL"}' anchor-post

wrk_rps() { # seconds, url, [lua] -> "requests/s non-2xx"
  local out
  echo "$(date -u +%T.%3N) wrk start ${3:+$(basename "$3" .lua) }$2" >&2
  out=$($RUN wrk -t2 -c"$CONNS" -d"$1s" ${3:+-s "$3"} "$2" 2>&1)
  echo "$(date -u +%T.%3N) wrk end" >&2
  echo "$(echo "$out" | awk '/Requests\/sec/ {print $2}') $(echo "$out" | awk '/Non-2xx/ {print $4}' | grep . || echo 0)"
}
warm() { [ "$WARMUP" -gt 0 ] && wrk_rps "$WARMUP" "$@" >/dev/null || true; }

echo "warming up (${WARMUP}s per endpoint)" >&2
warm "http://localhost:$ANCHOR_PORT/ping"
warm "http://localhost:$ANCHOR_PORT/calls/12345" "$LUA/anchor-post.lua"
warm "http://localhost:$VK_PORT/api/v1/ping"
warm "$K/processes/12345/fcntl" "$LUA/fcntl.lua"
trace 1; warm "$K/packets" "$LUA/inject.lua"
trace 0; warm "$K/packets" "$LUA/inject.lua"

declare -A RPS CPU
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
measure() { # name, pid of the server, url, [lua]
  local before after r
  before=$(cpu_ticks "$2")
  r=$(wrk_rps "$SECONDS_EACH" "${@:3}")
  after=$(cpu_ticks "$2")
  RPS[$1]=${r%% *}
  # clock ticks are 1/100 s (getconf CLK_TCK); requests = rate x duration
  CPU[$1]=$(awk -v t=$((after - before)) -v hz="$(getconf CLK_TCK)" -v rps="${r%% *}" -v d="$SECONDS_EACH" \
      'BEGIN { printf "%.0f", t / hz * 1e6 / (rps * d) }')
  printf '%-26s %10s req/s  %6s CPU us/req  non-2xx %s\n' "$1" "${r%% *}" "${CPU[$1]}" "${r##* }"
}
echo "wrk -t2 -c$CONNS -d${SECONDS_EACH}s, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
measure anchor-first $ANCHOR "http://localhost:$ANCHOR_PORT/ping"
measure ping $VK "http://localhost:$VK_PORT/api/v1/ping"
measure fcntl-F_GETFL $VK "$K/processes/12345/fcntl" "$LUA/fcntl.lua"
trace 1; measure inject-ack-tracing-on $VK "$K/packets" "$LUA/inject.lua"
trace 0; measure inject-ack-tracing-off $VK "$K/packets" "$LUA/inject.lua"
measure anchor-last $ANCHOR "http://localhost:$ANCHOR_PORT/ping"
# Not one of issue 16's goals: the anchor's POST with a body and a path variable, the shape of a system call, says how
# much of fcntl's cost is Spring MVC reading a JSON body, which the anchor's GET never does.
measure anchor-post $ANCHOR "http://localhost:$ANCHOR_PORT/calls/12345" "$LUA/anchor-post.lua"
trace 1
ratios() { # label, then the five figures; "inverse" for costs
  awk -v inv="$2" -v a1="$3" -v a2="$4" -v p="$5" -v s="$6" -v on="$7" -v off="$8" -v label="$1" 'BEGIN {
    a = (a1 + a2) / 2
    if (inv) { p = 1 / p; s = 1 / s; on = 1 / on; off = 1 / off; a = 1 / a }
    printf "%s:\n  ping %.2f (goal 0.9)  fcntl %.2f (goal 0.6)  inject tracing on %.2f (goal 0.5)  inject tracing off %.2f (goal 0.7)\n", \
      label, p/a, s/a, on/a, off/a
  }'
}
ratios "ratios to the anchor, requests/s (anchor: mean of first and last)" "" "${RPS[anchor-first]}" "${RPS[anchor-last]}" \
  "${RPS[ping]}" "${RPS[fcntl-F_GETFL]}" "${RPS[inject-ack-tracing-on]}" "${RPS[inject-ack-tracing-off]}"
ratios "ratios to the anchor, by CPU time per request (anchor's CPU/request over the endpoint's)" 1 "${CPU[anchor-first]}" "${CPU[anchor-last]}" \
  "${CPU[ping]}" "${CPU[fcntl-F_GETFL]}" "${CPU[inject-ack-tracing-on]}" "${CPU[inject-ack-tracing-off]}"
awk -v a="${CPU[anchor-post]}" -v s="${CPU[fcntl-F_GETFL]}" -v ar="${RPS[anchor-post]}" -v sr="${RPS[fcntl-F_GETFL]}" 'BEGIN {
  printf "fcntl against the anchor POST with a JSON body (not a goal): %.2f by requests/s, %.2f by CPU time per request\n", sr/ar, a/s }'
curl -sf "$K/check" | grep -q '"ok" *: *true' && echo "kernel check after the run: clean" || echo "kernel check after the run: NOT CLEAN"

# Wake-up latency: N blocking reads parked at once over HTTP, each woken by an injected segment.
if [ "${WAKEUPS:-0}" -gt 0 ]; then
  ./mvnw -B -q test-compile
  CP=$(./mvnw -B -q dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=/dev/stdout)
  java -cp "target/test-classes:target/classes:$CP" io.vkernel.bench.WakeupLatency "http://localhost:$VK_PORT" "$WAKEUPS"
fi
