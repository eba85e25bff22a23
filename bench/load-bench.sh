#!/usr/bin/env bash
# Workshop load, held (issue 11): one service on loopback, started here with -Xmx1g.
#  1. ATTENDEES (200) attendees paste the README walk-through into their own kernel at once, again and again, for
#     SECONDS_LOAD (60) s: wrk with one thread and one connection per attendee (bench/load/walkthrough.lua);
#     prints requests, answers >= 500 and latency percentiles, then every kernel's invariant check.
#  2. A fresh service, -Xmx1g: ATTENDEES x 3 kernels x 50 accepted connections created over HTTP
#     (io.vkernel.bench.WorkshopHeap), then ping, health, every kernel's check and the heap in use.
# Open mode (no tokens). Usage: bench/load-bench.sh; PORT (default 18080), SKIP_BUILD=1, ATTENDEES, SECONDS_LOAD.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${PORT:-18080}
ATTENDEES=${ATTENDEES:-200}
SECONDS_LOAD=${SECONDS_LOAD:-60}
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  ./mvnw -B -q package -DskipTests
fi
./mvnw -B -q test-compile
JAR=$(ls target/vkernel-*.jar | grep -v original | head -1)
CP=$(./mvnw -B -q dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=/dev/stdout)
start() {
  # a fresh journal directory per start: the service restores every kernel it finds in vkernel.data-dir
  java -Xmx1g -XX:+ExitOnOutOfMemoryError -jar "$JAR" --server.port="$PORT" --logging.level.root=WARN \
    --vkernel.data-dir="$(mktemp -d /tmp/vkernel-load.XXXXXX)" \
    --vkernel.limits.max-kernels=$((ATTENDEES * 3 + 8)) > "target/load-bench-$1.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 1 120); do curl -sf "localhost:$PORT/actuator/health" >/dev/null && return; sleep 1; done
  echo "service did not start" >&2; exit 1
}
trap 'kill ${SERVER:-} 2>/dev/null || true' EXIT

echo "== 1. $ATTENDEES attendees doing the walk-through at once for ${SECONDS_LOAD}s (load average $(cut -d' ' -f1-3 /proc/loadavg))"
start walk
wrk -t"$ATTENDEES" -c"$ATTENDEES" -d"${SECONDS_LOAD}s" --timeout 30s --latency -s bench/load/walkthrough.lua "http://localhost:$PORT" \
  | grep -E 'Requests/sec|attendees|latency|Socket errors|Non-2xx'
unclean=0; checked=0
for id in $(curl -sf "localhost:$PORT/api/v1/kernels" | grep -o '"id" : "[^"]*"' | cut -d'"' -f4); do
  checked=$((checked + 1))
  curl -sf "localhost:$PORT/api/v1/kernels/$id/check" | grep -q '"ok" : true' || { unclean=$((unclean + 1)); echo "kernel $id: check not clean"; }
done
echo "kernels checked afterwards: $checked, not clean: $unclean"
grep -c ' ERROR ' "target/load-bench-walk.log" | sed 's/^/service log ERROR lines: /' || true
kill $SERVER; wait $SERVER 2>/dev/null || true

echo "== 2. $ATTENDEES attendees x 3 kernels x 50 connections in -Xmx1g"
start heap
java -cp "target/test-classes:target/classes:$CP" io.vkernel.bench.WorkshopHeap "http://localhost:$PORT" "$ATTENDEES" 3 50
jcmd $SERVER GC.run >/dev/null 2>&1 || true
sleep 2
curl -sf "localhost:$PORT/actuator/metrics/jvm.memory.used?tag=area:heap" | grep -o '"value" : [0-9.E]*' | head -1 \
  | awk '{ printf "heap used after a full GC: %.0f MiB\n", $3 / 1048576 }'
curl -sf "localhost:$PORT/api/v1/ping" >/dev/null && echo "still answers after the GC: yes"
