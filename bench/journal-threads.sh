#!/usr/bin/env bash
# Where a journaled request's CPU goes, by thread (issue 15 item 5): starts the jar on 127.0.0.1:$PORT with the journal
# on or off, warms it with wrk (32 connections, fcntl(F_GETFL) as http-bench.sh does), then measures for a few seconds
# and prints requests/s, the process's CPU us per request, and per thread group (Tomcat's, the journal writer, JIT,
# GC) user and system CPU us per request and context switches per request, from /proc. With JFR=1 it also records a
# JFR profile of the measured seconds in /tmp/journal-threads-<tag>.jfr (jdk.FileWrite at threshold 0: one per H2
# chunk, i.e. per commit). Loopback only. Usage: bench/journal-threads.sh JAR true|false WARMUP_S MEASURE_S TAG
set -euo pipefail
JAR=$1; JOURNAL=$2; WARM=$3; DUR=$4; TAG=$5
PORT=${PORT:-18081}
D=$(mktemp -d /tmp/journal-threads.XXXXXX)
J='content-type: application/json'
K=http://localhost:$PORT/api/v1/kernels/default
settings=
if [ -n "${JFR:-}" ]; then
  settings=$D/profile.jfc
  python3 - "$(dirname "$(readlink -f "$(command -v java)")")/../lib/jfr/profile.jfc" "$settings" <<'PY'
import re, sys
s = open(sys.argv[1]).read()
i = s.index('<event name="jdk.FileWrite">'); j = s.index('</event>', i)
s = s[:i] + re.sub(r'<setting name="threshold"[^>]*>[^<]*</setting>', '<setting name="threshold">0 ms</setting>', s[i:j]) + s[j:]
open(sys.argv[2], 'w').write(s)
PY
fi
java -Xmx2g -jar "$JAR" --server.port=$PORT --vkernel.data-dir=$D/data --vkernel.journal.enabled=$JOURNAL --logging.level.root=WARN \
  --server.tomcat.threads.max=64 > $D/service.log 2>&1 &
S=$!
trap 'kill -9 $S 2>/dev/null || true; rm -rf "$D"' EXIT
for _ in $(seq 1 600); do curl -sf localhost:$PORT/api/v1/ping >/dev/null && break; sleep 0.5; done
curl -s -XPUT $K/sysctl/vkernel.trace -H "$J" -d '{"value":0}' >/dev/null
curl -s -XPOST $K/processes -H "$J" -d '{"name":"server"}' >/dev/null
curl -s -XPOST $K/processes/12345/socket >/dev/null
printf 'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = [[{"fd":3,"cmd":"F_GETFL"}]]\n' > $D/fcntl.lua
wrk -t2 -c32 -d${WARM}s -s $D/fcntl.lua $K/processes/12345/fcntl >/dev/null 2>&1
# per thread group (name without its number): user ticks, system ticks, context switches (a thread's name may hold a
# space, so stat's fields are counted after its closing parenthesis)
snap() { for t in /proc/$S/task/*; do echo "$(tr ' ' _ < $t/comm) $(sed 's/.*) //' $t/stat | awk '{print $12, $13}') $(awk '/^voluntary_ctxt/ {v=$2} /^nonvoluntary_ctxt/ {n=$2} END {print v+n}' $t/status)"; done \
  | awk '{n=$1; sub(/-?[0-9]+$/,"",n); u[n]+=$2; s[n]+=$3; c[n]+=$4} END{for(k in u) print k, u[k], s[k], c[k]}' | sort; }
snap > $D/before
[ -z "${JFR:-}" ] || jcmd $S JFR.start name=m settings=$settings filename=/tmp/journal-threads-$TAG.jfr >/dev/null
T0=$(awk '{print $14+$15}' /proc/$S/stat)
out=$(wrk -t2 -c32 -d${DUR}s -s $D/fcntl.lua $K/processes/12345/fcntl 2>&1)
T1=$(awk '{print $14+$15}' /proc/$S/stat)
snap > $D/after
[ -z "${JFR:-}" ] || jcmd $S JFR.stop name=m >/dev/null
n=$(echo "$out" | awk '/requests in/ {print $1}')
rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
hz=$(getconf CLK_TCK)
echo "$TAG journal=$JOURNAL requests=$n req/s=$rps cpu_us/req=$(( (T1-T0)*1000000/hz/n )) load=$(cut -d' ' -f1 /proc/loadavg)"
join -a2 -e0 -o 0,1.2,1.3,1.4,2.2,2.3,2.4 $D/before $D/after | awk -v n=$n -v hz=$hz '{du=$5-$2; ds=$6-$3; dc=$7-$4; if (du+ds>0) printf "   %-16s user %7.1f sys %7.1f us/req  switches %5.2f/req\n", $1, du*1e6/hz/n, ds*1e6/hz/n, dc/n}'
