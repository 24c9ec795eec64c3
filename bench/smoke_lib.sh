# Shared by the load tools' smoke tests (bench/smoke_test.sh,
# bench/natsload/smoke_test.sh), sourced: starts a server on a free
# loopback port and counts checks. After smoke_start: $tmp, $url, $port,
# $spid, $py. smoke_end prints the tally and is the script's exit status.

# The system interpreter when there is one: a version manager's shim can take
# a second per start on a busy machine, and the checks start it often.
py=python3
[ -x /usr/bin/python3 ] && py=/usr/bin/python3

pass=0
fail=0
spid=
tmp=
smoke_cleanup() { [ -n "$spid" ] && kill "$spid" 2>/dev/null; wait 2>/dev/null; [ -n "$tmp" ] && rm -rf "$tmp"; }
trap smoke_cleanup EXIT

smoke_start() {  # server binary, temp dir prefix [js: JetStream on, stored in the temp dir]
  tmp=$(mktemp -d "/tmp/$2.XXXXXX")
  local extra=()
  [ "${3:-}" = js ] && extra=(-js -sd "$tmp/js")
  port=$($py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  "$1" -a 127.0.0.1 -p "$port" "${extra[@]}" >"$tmp/server.log" 2>&1 &
  spid=$!
  url=nats://127.0.0.1:$port
  # Bounded wait for the port to accept.
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
    kill -0 "$spid" 2>/dev/null || { echo "server exited:"; cat "$tmp/server.log"; exit 1; }
    sleep 0.05
  done
  echo "# server $1 on $url"
}

check() {  # name, command...
  local name=$1; shift
  if out=$("$@" 2>&1); then echo "ok - $name"; pass=$((pass + 1))
  else echo "not ok - $name"; echo "$out" | sed 's/^/#   /' | head -20; fail=$((fail + 1)); fi
}

smoke_end() {
  kill -0 "$spid" 2>/dev/null || { echo "not ok - server still running"; fail=$((fail + 1)); }
  echo "# $pass passed, $fail failed"
  [ "$fail" -eq 0 ]
}
