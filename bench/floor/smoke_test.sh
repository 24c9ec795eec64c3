#!/usr/bin/env bash
# Smoke test of bench/floor, the reference relay tools/bench-compare runs
# beside the servers: every scenario of the matrix, with both load tools, must
# deliver every message exactly (a floor that drops would look cheap).
# usage: smoke_test.sh FLOOR_BIN PUBSUB_BIN NATSLOAD_BIN
set -uo pipefail
floor=$1
pubsub=$2
natsload=$3
source "$(dirname "$0")/../smoke_lib.sh"
smoke_start "$floor" floor-smoke

# tool, python condition over d (the JSON report) and ok (no loss), tool args...
json() {
  local tool=$1 cond=$2; shift 2
  check "$(basename "$tool") $*" run_json "$tool" "$cond" "$@"
}
run_json() {
  local tool=$1 cond=$2; shift 2
  timeout 30 "$tool" "$@" -s "$url" --json >"$tmp/out.json" 2>"$tmp/err.txt" || { echo "exit $?"; cat "$tmp/out.json" "$tmp/err.txt"; return 1; }
  $py -c '
import json, sys
d = json.load(open(sys.argv[1]))
ok = d["lost"] == 0 and d["failed_clients"] == 0
assert eval(sys.argv[2]), d' "$tmp/out.json" "$cond"
}

for tool in "$pubsub" "$natsload"; do
  extra=()
  [ "$tool" = "$natsload" ] && extra=(--no-progress)
  json "$tool" 'ok and d["pub"]["msgs"] == 20000' pub -n 20000 --size 16 "${extra[@]}"
  json "$tool" 'ok and d["sub"]["msgs"] == 20000' pubsub -n 20000 --size 128 "${extra[@]}"
  json "$tool" 'ok and d["sub"]["msgs"] == 4 * 5000' fanout -N 4 -n 5000 --size 1024 "${extra[@]}"
  json "$tool" 'ok and d["sub"]["msgs"] == 8000' fanin -N 4 -n 8000 --size 128 "${extra[@]}"
  json "$tool" 'ok and d["sub"]["msgs"] == 8000' queue -N 4 -n 8000 --size 128 "${extra[@]}"
  json "$tool" 'ok and d["latency_ns"]["count"] == 500' reqrep -n 500 --size 16 "${extra[@]}"
  json "$tool" 'ok and d["sub"]["msgs"] == 300' pubsub -n 300 --size 200000 "${extra[@]}"
done

smoke_end
