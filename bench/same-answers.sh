#!/usr/bin/env bash
# Same answers: start two jars side by side (journal off), send both the same list of requests with curl -i, diff.
# usage: bench/same-answers.sh OLD.jar NEW.jar [old-port] [new-port]      (prints the diff; exit 1 if any line differs)
# Headers and bodies are compared as sent, but for Date, Last-Modified, the port, the timings inside
# http.server.requests and the disk space in the health report; /v3/api-docs by its md5.
set -u
OLD=$1 NEW=$2 PA=${3:-18092} PB=${4:-18082}
OUT=$(mktemp -d /tmp/same-answers.XXXX)
start() { # jar port name
  java -Xmx1g -jar "$1" --server.port=$2 --vkernel.journal.enabled=false --vkernel.data-dir=$OUT/data-$3 \
    --logging.level.root=WARN > $OUT/$3.log 2>&1 &
  echo $! > $OUT/$3.pid
}
start "$OLD" $PA old; start "$NEW" $PB new
for p in $PA $PB; do
  for i in $(seq 1 300); do curl -s -o /dev/null localhost:$p/api/v1/ping && break; sleep 1; done
done
K=/api/v1/kernels/default
P=$K/processes/12345
J='Content-Type: application/json'
run() { # port
  local b=http://127.0.0.1:$1
  c() { echo "=== $*"; curl -s -i --max-time 20 "$@" | tr -d '\r' | grep -v -i '^date:\|^last-modified:'; echo; }
  c $b/api/v1/ping
  c -H 'Accept: application/json' $b/api/v1/ping
  c -H 'Accept: application/yaml' $b/api/v1/ping
  c -H 'Accept: application/xml' $b/api/v1/ping
  c -H 'Accept: text/xml' $b/api/v1/ping
  c -H 'Accept: text/plain' $b/api/v1/ping
  c -H 'Accept: image/png' $b/api/v1/ping
  c -H 'Accept: */*' $b/api/v1/ping
  c "$b/api/v1/ping?format=text"
  c "$b/api/v1/ping?format=json"
  c -X POST $b/api/v1/ping
  c -X HEAD $b/api/v1/ping
  c -X OPTIONS $b/api/v1/ping
  c -H 'Origin: http://evil.example' $b/api/v1/ping
  c -X POST -H "$J" -d '{"name":"server"}' $b$K/processes
  c -X POST $b$P/socket
  c -X POST -H "$J" -d '{"fd":3,"addr":"0.0.0.0:8080"}' $b$P/bind
  c -X POST -H "$J" -d '{"fd":3,"backlog":128}' $b$P/listen
  local synack; synack=$(curl -s -X POST -H "$J" -d '{"src":"192.168.1.100:54321","dst":"10.0.0.50:8080","flags":"S","seq":1000}' $b$K/packets)
  echo "=== SYN"; echo "$synack"
  local seq; seq=$(echo "$synack" | grep -o '"seq" : [0-9]*' | tail -1 | grep -o '[0-9]*$')
  local ack="{\"src\":\"192.168.1.100:54321\",\"dst\":\"10.0.0.50:8080\",\"flags\":\".\",\"seq\":1001,\"ack\":$((seq + 1))}"
  c -X PUT -H "$J" -d '{"value":1}' $b$K/sysctl/vkernel.trace
  c -X POST -H "$J" -d "$ack" $b$K/packets
  c -X POST -H "$J" -d '{"fd":3}' $b$P/accept
  c -X POST -H "$J" -d '{"fd":4,"cmd":"F_GETFL"}' $b$P/fcntl
  c -X POST -H "$J" -d '{"fd":4,"cmd":"F_GETFL"}' "$b$P/fcntl?format=text"
  c -X POST -H "$J" -H 'Accept: text/plain' -d '{"fd":4,"cmd":"F_GETFL"}' $b$P/fcntl
  c -X POST -H "$J" -H 'Accept: application/yaml' -d '{"fd":4,"cmd":"F_GETFL"}' $b$P/fcntl
  c -X POST -H "$J" -H 'Accept: application/xml' -d '{"fd":4,"cmd":"F_GETFL"}' $b$P/fcntl
  c -X POST -H "$J" -H 'Accept: image/png' -d '{"fd":4,"cmd":"F_GETFL"}' $b$P/fcntl
  c -X POST -H 'Content-Type: */*' -d '{"fd":4,"cmd":"F_GETFL"}' $b$P/fcntl
  c -X POST -H 'Content-Type: application/xml' -d '<fd>4</fd>' $b$P/fcntl
  c -X POST -H 'Content-Type: text/html' -d '{"fd":4}' $b$P/fcntl
  c -X POST -H "$J" -d '{"fd":4,"cmd":"F_NOPE"}' $b$P/fcntl
  c -X POST -H "$J" -d '{"fd":4,"cmd":"F_GETFL","extra":1}' $b$P/fcntl
  c -X POST -H "$J" -d '{"fd":4,' $b$P/fcntl
  c -X POST -H "$J" $b$P/fcntl
  c -X POST -H "$J" -d '{"fd":99,"cmd":"F_GETFL"}' $b$P/fcntl
  c -X POST -H "$J" -d '{"fd":4,"cmd":"F_GETFL"}' $b$K/processes/abc/fcntl
  c -X POST -H "$J" -d '{"fd":4,"cmd":"F_GETFL"}' $b$K/processes/+12345/fcntl
  c -X POST -H "$J" -d '{"fd":4,"cmd":"F_GETFL"}' $b$K/processes/99999999999/fcntl
  c -X POST -H "$J" -d '{"fd":4,"cmd":"F_GETFL"}' $b/api/v1/kernels/nokernel/processes/12345/fcntl
  c -X POST -H "$J" -d '{"fd":4,"cmd":"F_GETFL"}' $b/api/v1/kernels/de%66ault/processes/12345/fcntl
  c -X POST -H "$J" -d '{"fd":4,"cmd":"F_GETFL"}' $b$P/fcntl/
  c -X POST -H "$J" -d '{"fd":4}' $b$P/nosuchcall
  c $b$P/fcntl
  c -X DELETE $b$P/fcntl
  c -X POST -H "$J" -H 'Content-Length: 3000000' -d '{}' $b$P/fcntl
  head -c 2200000 /dev/zero | tr '\0' ' ' > $OUT/big.txt
  c -X POST -H "$J" -H 'Transfer-Encoding: chunked' --data-binary @$OUT/big.txt $b$P/fcntl
  c -X POST -H "$J" -d '{"fd":4,"count":10}' $b$P/read
  c -X POST -H "$J" -d '{"fd":4,"data":"hello"}' $b$P/write
  c -X PUT -H "$J" -d '{"value":0}' $b$K/sysctl/vkernel.trace
  c -X POST -H "$J" -d "$ack" $b$K/packets
  c -X POST -H "$J" -d "[$ack,$ack]" "$b$K/packets?format=text"
  c -X PUT -H "$J" -d '{"value":1}' $b$K/sysctl/vkernel.trace
  c -X POST -H "$J" -d "$ack" "$b$K/packets?format=text"
  c -X POST -H "$J" -d '{"src":"nonsense","dst":"10.0.0.50:8080","flags":"S"}' $b$K/packets
  c -X PUT -H "$J" -d "$ack" $b$K/packets
  c -X POST -H "$J" -d '{"fd":3}' "$b$P/accept?wait=1"          # parks: 202 when the wait ends
  c -X POST -H "$J" -d '{"fd":3,"wait":1}' "$b$P/accept"
  for v in "" /connections /listeners /events /nstat /sysctl /clock /demux /memory /processes /processes/12345 /processes/12345/fds /check; do
    c $b$K$v
    c -H 'Accept: text/plain' $b$K$v
  done
  c $b/api/v1/kernels
  c $b/api/v1/nowhere
  c $b/api/v1/../api/v1/ping
  c "$b/api/v1/%2e%2e/api/v1/ping"
  c "$b/api/v1/ping;x=1"
  c $b/api/v1/ping/
  c $b//api/v1/ping
  c $b/API/v1/ping
  c $b/%61pi/v1/ping
  c $b/actuator
  c $b/actuator/health | grep -v '"free"\|"total"\|"threshold"\|content-length'
  c $b/actuator/nothing
  c $b/actuator/metrics/http.server.requests | sed 's/"value" : [0-9.E-]*/"value" : T/g' | grep -v -i content-length
  c "$b/actuator/metrics/http.server.requests?tag=uri:/api/v1/ping&tag=status:200" | sed 's/"value" : [0-9.E-]*/"value" : T/g' | grep -v -i content-length
  echo "=== prometheus http_server_requests counts"
  curl -s $b/actuator/prometheus | grep '^http_server_requests_seconds_count\|^http_server_requests_active_seconds_active_count' | sort
  echo "=== /v3/api-docs (md5 of the body, port left out)"; curl -s $b/v3/api-docs | sed "s/:$1/:PORT/g" | md5sum
  c $b/swagger-ui.html
  c $b/ | grep -v -i 'content-length'
}
run $PA 2>&1 | sed "s/:$PA/:PORT/g" > $OUT/old.txt
run $PB 2>&1 | sed "s/:$PB/:PORT/g" > $OUT/new.txt
kill $(cat $OUT/old.pid) $(cat $OUT/new.pid)
echo "requests: $(grep -c '^===' $OUT/new.txt); statuses (new): $(grep '^HTTP/1.1' $OUT/new.txt | awk '{print $2}' | sort | uniq -c | tr -s ' ' | tr '\n' ',')"
echo "answers in $OUT/old.txt and $OUT/new.txt"
diff $OUT/old.txt $OUT/new.txt && echo "no difference"
