#!/usr/bin/env bash
# HTTP benchmark: starts vkernel on loopback and drives it with wrk (Debian's package), comparing packet injection,
# a syscall and a batch injection with a no-op endpoint in the same run. Loopback only; bounded in time.
# Usage: bench/http-bench.sh [seconds-per-endpoint] [connections]
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-10}
CONNS=${2:-32}
PORT=18080
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
./mvnw -B -q package -DskipTests
JAR=$(ls target/vkernel-*.jar | grep -v original | head -1)
java -Xmx2g -jar "$JAR" --server.port=$PORT --logging.level.root=WARN --server.tomcat.threads.max=64 --server.tomcat.max-connections=20000 --server.tomcat.accept-count=2000 > target/http-bench.log 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 60); do curl -sf localhost:$PORT/actuator/health >/dev/null && break; sleep 1; done

K=http://localhost:$PORT/api/v1/kernels/default
J='content-type: application/json'
curl -s -XPUT $K/sysctl/vkernel.trace -H "$J" -d '{"value":0}' >/dev/null
curl -s -XPOST $K/processes -H "$J" -d '{"name":"server"}' >/dev/null
curl -s -XPOST $K/processes/12345/socket >/dev/null
curl -s -XPOST $K/processes/12345/bind -H "$J" -d '{"fd":3,"addr":"0.0.0.0:8080"}' >/dev/null
curl -s -XPOST $K/processes/12345/listen -H "$J" -d '{"fd":3,"backlog":128}' >/dev/null
SYNACK=$(curl -s -XPOST $K/packets -H "$J" -d '{"src":"192.168.1.100:54321","dst":"10.0.0.50:8080","flags":"S","seq":1000}' | grep -o '"seq" : [0-9]*' | tail -1 | grep -o '[0-9]*$')
ACK=$((SYNACK + 1))
curl -s -XPOST $K/packets -H "$J" -d "{\"src\":\"192.168.1.100:54321\",\"dst\":\"10.0.0.50:8080\",\"flags\":\".\",\"seq\":1001,\"ack\":$ACK}" >/dev/null
curl -s -XPOST $K/processes/12345/accept -H "$J" -d '{"fd":3}' >/dev/null

LUA=$(mktemp -d)
PACKET="{\"src\":\"192.168.1.100:54321\",\"dst\":\"10.0.0.50:8080\",\"flags\":\".\",\"seq\":1001,\"ack\":$ACK}"
BATCH="[$(for _ in $(seq 1 99); do printf '%s,' "$PACKET"; done)$PACKET]"
post_lua() { printf 'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = [[%s]]\n' "$1" > "$LUA/$2.lua"; }
post_lua "$PACKET" inject
post_lua '{"fd":4,"cmd":"F_GETFL"}' fcntl
post_lua "$BATCH" batch

run() { # name, url, [lua]
  local out
  out=$(wrk -t2 -c"$CONNS" -d"${SECONDS_EACH}s" ${3:+-s "$3"} "$2" 2>&1)
  local rps; rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  local non2xx; non2xx=$(echo "$out" | awk '/Non-2xx/ {print $4}')
  echo "$1 $rps ${non2xx:-0}"
}
echo "endpoint requests_per_sec non_2xx"
NOOP=$(run noop http://localhost:$PORT/api/v1/ping); echo "$NOOP"
INJ=$(run inject-ack $K/packets "$LUA/inject.lua"); echo "$INJ"
SYS=$(run fcntl $K/processes/12345/fcntl "$LUA/fcntl.lua"); echo "$SYS"
BAT=$(run batch-100 $K/packets "$LUA/batch.lua"); echo "$BAT"
awk -v n="$(echo $NOOP | cut -d' ' -f2)" -v i="$(echo $INJ | cut -d' ' -f2)" -v s="$(echo $SYS | cut -d' ' -f2)" -v b="$(echo $BAT | cut -d' ' -f2)" \
  'BEGIN { printf "inject/noop = %.2f, fcntl/noop = %.2f, batch packets/s = %.0f\n", i/n, s/n, b*100 }'

# Wake-up latency: N blocking reads parked at once over HTTP, each woken by an injected segment.
if [ "${WAKEUPS:-10000}" -gt 0 ]; then
  ./mvnw -B -q test-compile
  CP=$(./mvnw -B -q dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=/dev/stdout)
  java -cp "target/test-classes:target/classes:$CP" io.vkernel.bench.WakeupLatency http://localhost:$PORT "${WAKEUPS:-10000}"
fi
