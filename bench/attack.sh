#!/usr/bin/env bash
# Issue 10's attacks, bounded, against the built jar with a small heap, from one client on loopback (BENCHMARKS.md
# "Issue 10's attacks against the jar"). A prober asks /api/v1/ping and /actuator/health every 0.2 s throughout; at the
# end the script counts answers by status per attack, 5xx, probes left unanswered, log bytes per 10 000 bad requests,
# and every kernel's invariant check. Exits 1 when any 5xx other than 507 or any unanswered probe was seen: a 507 is a
# memory-budget refusal (attack 3 meets the service budget), which issue 10 asks for, and is counted on its own.
#
#   bench/attack.sh            # PORT (18087), HEAP (512m), SKIP_BUILD=1 to use target/*.jar (or JAR=...) as it is,
#                              # ATTACKS="1 2 3 4 5 6 7" to choose attacks
set -uo pipefail
cd "$(dirname "$0")/.."
PORT=${PORT:-18087}
HEAP=${HEAP:-512m}
BASE="http://localhost:$PORT"
K="$BASE/api/v1/kernels"
OUT=$(mktemp -d /tmp/vkernel-attack.    health=$(curl -s -m 5 "$BASE/actuator/health" | tr -d ' \n' | grep -o '"memoryBudget":{"details":{[^}]*},"status":"[A-Z]*"' | grep -o '[A-Z]*"$' | tr -d '"')
    # "-" when health did not answer, so the columns stay put: ping status, seconds, health, attack
    printf '%s %s %s\n' "$(curl -s -o /dev/null -m 5 -w '%{http_code} %{time_total}' "$BASE/api/v1/ping")" \
      "${health:--}" "$(cat "$OUT/phase" 2>/dev/null || echo 0)" >> "$OUT/probe"XXXX)
[ "${SKIP_BUILD:-0}" = 1 ] || ./mvnw -B -q package -DskipTests
JAR=${JAR:-$(ls target/vkernel-*.jar | grep -v original | head -1)}
want() { [[ " ${ATTACKS:-1 2 3 4 5 6 7} " == *" $1 "* ]]; } # ATTACKS="6 7" runs only those

java -Xmx"$HEAP" -XX:+ExitOnOutOfMemoryError -jar "$JAR" --server.port="$PORT" \
  --vkernel.data-dir="$OUT/data" > "$OUT/service.log" 2>&1 &
SERVICE=$!
trap 'kill $PROBER $SERVICE 2>/dev/null; wait 2>/dev/null' EXIT
for _ in $(seq 1 600); do curl -sf "$BASE/actuator/health" >/dev/null && break; sleep 1; done
echo "service pid $SERVICE, heap $HEAP, output in $OUT"

# the prober: every 0.2 s a ping (status, seconds; 000 = no answer within 5 s), the memory budget's health, the attack
(
  while :; do
XX
    sleep 0.2
  done
) &
PROBER=$!

# code ATTACK: appends one status a line from curl's -w to $OUT/ATTACK
code() { cat >> "$OUT/$1"; }
post() { curl -s -o /dev/null -m "${MAXTIME:-20}" -w '%{http_code}\n' -H 'content-type: application/json' -d "$2" "$1"; }
kernel() { post "$K" "{\"id\":\"$1\",\"buckets\":1024}" | code setup; }
server() { # in kernel $1 a process listening on port $2 (80 unless given) with FD 3; prints its pid
  local pid
  pid=$(curl -s -H 'content-type: application/json' -d '{"name":"server"}' "$K/$1/processes" | grep -o '"pid" : [0-9]*' | grep -o '[0-9]*$')
  post "$K/$1/processes/$pid/socket" '{}' | code setup
  post "$K/$1/processes/$pid/bind" "{\"fd\":3,\"addr\":\"0.0.0.0:${2:-80}\"}" | code setup
  post "$K/$1/processes/$pid/listen" '{"fd":3,"backlog":10}' | code setup
  echo "$pid"
}

if want 1; then
echo 1 > "$OUT/phase"; echo "1. wire-log flood: 2 000 R packets with 65 000-byte payloads, 20 a request"
kernel flood
PAYLOAD=$(head -c 65000 /dev/zero | tr '\0' 'x')
one="{\"src\":\"192.168.1.9:4000\",\"dst\":\"10.0.0.50:9\",\"flags\":\"R\",\"seq\":1,\"payload\":\"$PAYLOAD\"}"
batch="[$one$(for _ in $(seq 2 20); do printf ',%s' "$one"; done)]"
printf '%s' "$batch" > "$OUT/batch.json"
for _ in $(seq 1 100); do
  curl -s -o /dev/null -m 20 -w '%{http_code}\n' -H 'content-type: application/json' --data-binary @"$OUT/batch.json" "$K/flood/packets"
done | code wirelog
curl -s "$K/flood/memory" | tr -d ' \n' | grep -o '"wireLog":[0-9]*' > "$OUT/wirelog.memory"

fi
if want 2; then
echo 2 > "$OUT/phase"; echo "2. 5 000 parked calls with ?wait=100000 (5 processes x 1 000; the client gives up after 1 s)"
kernel parks
for i in 1 2 3 4 5; do
  pid=$(server parks "$((80 + i))")
  for _ in $(seq 1 1000); do printf 'url = "%s"\noutput = "/dev/null"\n' "$K/parks/processes/$pid/accept?wait=100000"; done > "$OUT/parks.cfg"
  curl -s -Z --no-progress-meter --parallel-max 32 -m 1 -w '%{http_code}\n' -H 'content-type: application/json' -d '{"fd":3}' \
    -K "$OUT/parks.cfg" 2>> "$OUT/curl.err" | code parked
done

fi
if want 3; then
echo 3 > "$OUT/phase"; echo "3. 26 kernels with 4 194 304 buckets"
for i in $(seq 1 26); do post "$K" "{\"id\":\"huge-$i\",\"buckets\":4194304}"; done | code buckets

fi
if want 4; then
echo 4 > "$OUT/phase"; echo "4. accept?wait=0 for 20 s"
kernel spin
pid=$(server spin)
end=$((SECONDS + 20))
while [ $SECONDS -lt $end ]; do
  seq 1 200 | sed "s|.*|url = \"$K/spin/processes/$pid/accept?wait=0\"\noutput = \"/dev/null\"|" > "$OUT/spin.cfg"
  curl -s -m 30 -w '%{http_code}\n' -H 'content-type: application/json' -d '{"fd":3}' -K "$OUT/spin.cfg" | code spin
done
curl -s -o /dev/null -m 30 -w '%{http_code} %{time_total}\n' "$K/spin/check" > "$OUT/spin.check"

fi
if want 5; then
echo 5 > "$OUT/phase"; echo "5. two SSE readers that never read, a third that does"
kernel slow
kernel live
(curl -sN "$K/slow/events/stream" | sleep 60) &
(curl -sN "$K/slow/events/stream" | sleep 60) &
curl -sN -m 20 "$K/live/events/stream" > "$OUT/live.stream" &
LIVE=$!
sleep 1
for i in $(seq 1 150); do # events in the stalled kernel (each batch logs ~a hundred) and one packet a round in the live one
  post "$K/slow/packets" "[$(for j in $(seq 1 20); do printf '%s{"src":"192.168.1.%d:%d","dst":"10.0.0.50:9","flags":"S","seq":1,"payload":"%s"}' "$([ "$j" = 1 ] || echo ,)" "$j" "$i" "$(head -c 2000 /dev/zero | tr '\0' y)"; done)]" | code sse
  post "$K/live/packets" "{\"src\":\"192.168.2.1:$i\",\"dst\":\"10.0.0.50:9\",\"flags\":\"S\",\"seq\":1}" | code sse
done
wait $LIVE
grep -c '^id:' "$OUT/live.stream" > "$OUT/live.events"

fi
if want 6; then
echo 6 > "$OUT/phase"; echo "6. hostile requests: Content-Type */*, a bad %-escape form, an oversized packet with options, %00 and %2F in paths"
kernel odd
curl -s -o "$OUT/wildcard.body" -w '%{http_code}\n' -H 'content-type: */*' -d '{}' "$K/odd/processes" | code hostile
curl -s -o "$OUT/form.body" -w '%{http_code}\n' --data-binary '%zz' "$K/odd/processes" | code hostile
big=$(head -c 65495 /dev/zero | tr '\0' z)
post "$K/odd/packets" "{\"src\":\"192.168.1.1:1\",\"dst\":\"10.0.0.50:9\",\"flags\":\"R\",\"seq\":1,\"options\":\"mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7\",\"payload\":\"$big\"}" | code hostile
curl -s -o "$OUT/odd.pcap" -w '%{http_code}\n' "$K/odd/capture.pcap" | code hostile
curl -s -o "$OUT/nul.body" -w '%{http_code}\n' "$K/odd%00/processes" | code hostile
curl -s -o "$OUT/slash.body" -w '%{http_code}\n' "$K/odd%2Fx/processes" | code hostile
for f in wildcard form nul slash; do grep -q '"status"' "$OUT/$f.body" || echo "$f: not a problem: $(head -c 200 "$OUT/$f.body")"; done

fi
if want 7; then
echo 7 > "$OUT/phase"; echo "7. log flooding: 10 000 bad requests (2 500 each: */*, bad form, Accept: text/plain on JSON, %00 path)"
before=$(stat -c %s "$OUT/service.log")
: > "$OUT/bad.cfg"
for i in $(seq 1 2500); do printf 'url = "%s"\noutput = "/dev/null"\n' "$K/odd/processes" >> "$OUT/bad.cfg"; done
curl -s -w '%{http_code}\n' -H 'content-type: */*' -d '{}' -K "$OUT/bad.cfg" | code logflood
curl -s -w '%{http_code}\n' --data-binary '%zz' -K "$OUT/bad.cfg" | code logflood
curl -s -w '%{http_code}\n' -H 'accept: text/plain' -H 'content-type: application/json' -d '{"name":1}' -K "$OUT/bad.cfg" | code logflood
sed 's|/odd/processes|/odd%00/processes|' "$OUT/bad.cfg" > "$OUT/nul.cfg"
curl -s -w '%{http_code}\n' -K "$OUT/nul.cfg" | code logflood
after=$(stat -c %s "$OUT/service.log")

fi
sleep 2
kill $PROBER 2>/dev/null
echo
echo "== results (heap $HEAP, port $PORT) =="
for f in setup wirelog parked buckets spin sse hostile logflood; do
  [ -f "$OUT/$f" ] || continue
  printf '%-9s %s\n' "$f" "$(sort "$OUT/$f" | uniq -c | awk '{printf "%s x%s  ", $2, $1}')"
done
echo "(000 = no answer before curl's own bound; attack 2's clients give up after 1 s on purpose, their calls stay parked)"
[ -f "$OUT/wirelog.memory" ] && echo "wire log after the flood: $(cut -d: -f2 "$OUT/wirelog.memory") bytes charged"
[ -f "$OUT/spin.check" ] && echo "spin kernel's check after the loop: $(cat "$OUT/spin.check") (status, seconds)"
[ -f "$OUT/live.events" ] && echo "live stream's events while two readers stalled: $(cat "$OUT/live.events")"
[ -n "${after:-}" ] && echo "log bytes for 10 000 bad requests: $((after - before))"
answers=$(cat "$OUT"/{setup,wirelog,parked,buckets,spin,sse,hostile,logflood} 2>/dev/null)
budget=$(grep -c '^507' <<< "$answers")   # a budget refusal: allowed, asked for by issue 10
fives=$(grep '^5' <<< "$answers" | grep -vc '^507')
probes=$(wc -l < "$OUT/probe")
unanswered=$(grep -c '^000' "$OUT/probe")
echo "probes unanswered by attack: $(grep '^000' "$OUT/probe" | awk '{print $4}' | sort | uniq -c | tr '\n' ' ')"
echo "slowest ping: $(grep -v '^000' "$OUT/probe" | sort -k2 -n | tail -1 | awk '{print $2 " s, during attack " $4}')"
echo "507 answers (memory budget refusals, allowed): $budget"
echo "other 5xx answers: $fives"
echo "probes: $probes, unanswered: $unanswered, health while probing: $(awk '{print $3}' "$OUT/probe" | sort | uniq -c | tr '\n' ' ')"
unclean=0
for id in $(curl -s "$K" | grep -o '"id" : "[^"]*"' | cut -d'"' -f4); do
  curl -s -m 60 "$K/$id/check" | grep -q '"ok" : true' || { unclean=$((unclean + 1)); echo "kernel $id: check not clean"; }
done
echo "kernels not clean: $unclean; service alive: $(kill -0 $SERVICE 2>/dev/null && echo yes || echo no)"
echo "health afterwards: $(curl -s -m 5 "$BASE/actuator/health" | tr -d ' \n' | head -c 300)"
grep -c 'OutOfMemoryError' "$OUT/service.log" | sed 's/^/OutOfMemoryError lines in the log: /'
[ "$fives" = 0 ] && [ "$unanswered" = 0 ] && [ "$unclean" = 0 ]
