#!/usr/bin/env bash
# Smoke test of natsload (bench/pubsub's scenarios on libnats): starts the
# given server on a free loopback port, runs every scenario for a fraction of
# a second and checks exit codes and the JSON report bench-compare reads
# (exact delivery, latency, the tool's own CPU). A few seconds in all.
# usage: smoke_test.sh SERVER_BIN NATSLOAD_BIN   ($SMOKE_SERVER overrides SERVER_BIN)
set -uo pipefail
server=${SMOKE_SERVER:-$1}
natsload=$2
source "$(dirname "$0")/../smoke_lib.sh"
smoke_start "$server" natsload-smoke

# Runs natsload with --json and checks the report with a Python expression
# over d (the parsed JSON) and ok (no loss, no failed client, load CPU set).
json() {  # name, python condition, natsload args...
  local name=$1 cond=$2; shift 2
  check "$name" run_json "$cond" "$@"
}
run_json() {
  local cond=$1; shift
  timeout 30 "$natsload" "$@" -s "$url" --json --no-progress >"$tmp/out.json" || { echo "exit $?"; cat "$tmp/out.json"; return 1; }
  $py -c '
import json, sys
d = json.load(open(sys.argv[1]))
ok = d["lost"] == 0 and d["failed_clients"] == 0 and d["load_cpu"]["wall_secs"] > 0 and d["load_cpu"]["cpus"] >= 1
assert eval(sys.argv[2]), d' "$tmp/out.json" "$cond"
}

# Every scenario bench-compare runs, for 0.2 s each (counts are then exact).
json "pub"        'ok and d["pub"]["msgs"] > 0' pub -d 0.2 --size 16
json "pubsub 1:1" 'ok and d["sub"]["msgs"] == d["pub"]["msgs"] > 0 and d["latency_ns"]["count"] > 0' pubsub -d 0.2 --size 128
json "fanout 1:4" 'ok and d["sub"]["msgs"] == 4 * d["pub"]["msgs"] > 0' fanout -N 4 -d 0.2 --size 1024
json "fanin 4:1"  'ok and d["sub"]["msgs"] == d["pub"]["msgs"] > 0' fanin -N 4 -d 0.2 --size 128
json "queue 1:4"  'ok and d["sub"]["msgs"] == d["pub"]["msgs"] > 0' queue -N 4 -d 0.2 --size 128
json "reqrep"     'ok and d["pub"]["msgs"] > 0 and d["latency_ns"]["count"] == d["pub"]["msgs"]' reqrep -d 0.2 --size 16
# Count mode, several subjects, the large-message path, and the other outputs.
json "pubsub count, 2x2, two subjects" 'ok and d["pub"]["msgs"] == 20000 and d["sub"]["msgs"] == 20000' \
  pubsub -n 20000 -p 2 -S 2 --subject a,b
json "pubsub 200 KB messages" 'ok and d["sub"]["msgs"] == 200' pubsub -n 200 --size 200000
json "reqrep 4 requesters, 2 repliers" 'ok and d["pub"]["msgs"] == 400' reqrep -n 400 -c 4 --repliers 2
json "reqrep, replies left to libnats' flusher" 'ok and d["pub"]["msgs"] == 50' reqrep -n 50 --lazy-reply
check "text output" bash -c "timeout 30 '$natsload' fanout -N 2 -n 2000 -s '$url' | grep -q '^delivery: expected 4000, received 4000, lost 0'"
check "csv output" bash -c "timeout 30 '$natsload' reqrep -n 100 -s '$url' --csv | $py -c 'import csv,sys; r=list(csv.DictReader(sys.stdin)); assert int(r[0][\"lat_count\"])==100 and float(r[0][\"load_util\"])>0, r'"
check "bad server is exit 2" bash -c "timeout 30 '$natsload' pub -n 10 -s nats://127.0.0.1:1 >/dev/null 2>&1; [ \$? -eq 2 ]"
check "usage error is exit 2" bash -c "'$natsload' nosuchmode >/dev/null 2>&1; [ \$? -eq 2 ]"

smoke_end
