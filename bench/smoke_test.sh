#!/usr/bin/env bash
# Smoke test of the client instruments: starts the given server binary on a
# free loopback port, runs every pubsub mode with tiny counts and the nats
# CLI's pub/sub/req/reply, and checks output and exit codes.
# usage: smoke_test.sh SERVER_BIN PUBSUB_BIN NATS_BIN   ($SMOKE_SERVER overrides SERVER_BIN)
set -uo pipefail
server=${SMOKE_SERVER:-$1}
pubsub=$2
nats=$3
source "$(dirname "$0")/smoke_lib.sh"
smoke_start "$server" bench-smoke js

# Waits (bounded) until file $1 contains $2.
wait_for() {
  for _ in $(seq 1 200); do grep -q -- "$2" "$1" 2>/dev/null && return 0; python3 -c 'import time; time.sleep(0.025)'; done
  return 1
}

T="timeout 60"
check "pubsub pub"    $T "$pubsub" pub -s "$url" -n 20000 --size 16 -q
check "pubsub pubsub" $T "$pubsub" pubsub -s "$url" -n 20000 --size 128 -p 2 -S 2 -q
check "pubsub fanout" $T "$pubsub" fanout -s "$url" -n 5000 -N 3 -q
check "pubsub fanin"  $T "$pubsub" fanin -s "$url" -n 5000 -N 3 -q
check "pubsub queue"  $T "$pubsub" queue -s "$url" -n 5000 -N 3 -q
check "pubsub reqrep" $T "$pubsub" reqrep -s "$url" -n 500 -q
check "pubsub reqrep concurrent" $T "$pubsub" reqrep -s "$url" -n 1000 -c 4 --repliers 2 -q
check "pubsub 2 threads, 2 subjects" $T "$pubsub" pubsub -s "$url" -n 20000 -p 2 -S 2 -t 2 --subject a,b -q
check "pubsub large messages" $T "$pubsub" pubsub -s "$url" -n 300 --size 200000 -q
check "pubsub duration + rate" $T "$pubsub" pubsub -s "$url" -d 0.3 --rate 2000 -q
check "pubsub jspub (file)" $T "$pubsub" jspub -s "$url" -n 5000 --subject js.a -p 2 -q
check "pubsub jspub (memory, window 1)" $T "$pubsub" jspub -s "$url" -n 200 --stream MEM --storage memory --subject js.m --window 1 -q
check "pubsub jsfetch" bash -c "$T '$pubsub' jsfetch -s '$url' -n 5000 --json | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d[\"pub\"][\"msgs\"]==5000 and not d[\"failed_clients\"], d'"
check "pubsub jsfetch stops when the stream is drained" bash -c "$T '$pubsub' jsfetch -s '$url' -n 1000000 --durable other --stream MEM --json | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d[\"pub\"][\"msgs\"]==200, d'"
check "pubsub --json" bash -c "$T '$pubsub' fanout -s '$url' -n 2000 -N 2 --json | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d[\"lost\"]==0 and d[\"sub\"][\"msgs\"]==4000, d'"
check "pubsub --csv"  bash -c "$T '$pubsub' reqrep -s '$url' -n 200 --csv | python3 -c 'import csv,sys; r=list(csv.DictReader(sys.stdin)); assert int(r[0][\"lat_count\"])==200, r'"
# sub mode fed by a separate pub-mode process: wait until its subscription is live
# (the text report appears only at the end, so poll the server with a flush probe instead).
check "pubsub sub + pub processes" bash -c "
  $T '$pubsub' sub -s '$url' -n 3000 --subject ext -q > '$tmp/sub.txt' 2>&1 & sp=\$!
  for i in \$(seq 1 100); do
    $T '$pubsub' pub -s '$url' -n 1000 --subject ext -q >/dev/null 2>&1 || exit 1
    kill -0 \$sp 2>/dev/null || break
  done
  wait \$sp"

# nats CLI
( $T "$nats" -s "$url" sub hello --count 2 >"$tmp/sub.out" 2>"$tmp/sub.err" ) &
sub_pid=$!
check "nats sub ready" wait_for "$tmp/sub.err" "Subscribing on hello"
check "nats pub" bash -c "'$nats' -s '$url' pub hello world 2>&1 | grep -Eq '^[0-9]{2}:[0-9]{2}:[0-9]{2} Published 5 bytes to \"hello\"$'"
check "nats pub (failover list)" "$nats" -s "nats://127.0.0.1:1,$url" pub hello again
wait $sub_pid
check "nats sub output" bash -c "printf '[#1] Received on \"hello\"\nworld\n\n[#2] Received on \"hello\"\nagain\n\n' | cmp - '$tmp/sub.out'"

( $T "$nats" -s "$url" reply svc "pong" --count 1 >"$tmp/rep.out" 2>"$tmp/rep.err" ) &
rep_pid=$!
check "nats reply ready" wait_for "$tmp/rep.err" 'Listening on "svc" in group "NATS-RPLY-22"'
check "nats req" bash -c "'$nats' -s '$url' req svc ping 2>'$tmp/req.err' | head -1 | grep -qx pong && grep -q 'Received with rtt' '$tmp/req.err'"
wait $rep_pid
check "nats reply output" grep -q '\[#0\] Received on subject "svc":' "$tmp/rep.err"
check "nats req no responders" bash -c "'$nats' -s '$url' req nobody x 2>&1 | grep -q 'No responders are available'"

smoke_end
