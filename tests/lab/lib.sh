# Lab library for hnvgw tests: network namespaces, processes and TAP-style assertions, all cleaned up
# by a trap on success and on failure. Source it, then call lab_init NAME first.
#
# Rules it enforces: every namespace carries the test's unique prefix; every process it started is
# killed by PID; nothing is left in the root namespace.

LAB_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LAB_PY=/usr/bin/python3
LAB_PASS=0
LAB_FAIL=0
LAB_N=0
LAB_NETNS=()
LAB_PIDS=()

# lab_init NAME: unique prefix, temp dir, and the cleanup trap.
lab_init() {
  LAB_NAME=$1
  LAB_PREFIX="h${1:0:4}$$"
  LAB_PREFIX=${LAB_PREFIX:0:10}
  LAB_DIR=$(mktemp -d "/tmp/hnvgw-lab-$1.XXXXXX")
  trap lab_cleanup EXIT
  trap 'exit 130' INT TERM
}

lab_cleanup() {
  local rc=$?
  for p in "${LAB_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${LAB_PIDS[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null || true
  done
  LAB_PIDS=()
  for ns in "${LAB_NETNS[@]}"; do
    # Anything still inside a namespace we made is ours.
    for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true
  done
  LAB_NETNS=()
  if [ "${LAB_KEEP:-0}" = 1 ] || [ $rc -ne 0 ] && [ -n "${CI:-}" ]; then
    echo "# lab dir kept: $LAB_DIR"
  else
    rm -rf "$LAB_DIR"
  fi
  return $rc
}

# lab_netns NAME: creates "<prefix>-NAME" with lo up; prints the full name.
lab_netns() {
  local ns="$LAB_PREFIX-$1"
  ip netns add "$ns"
  LAB_NETNS+=("$ns")
  ip -n "$ns" link set lo up
  echo "$ns"
}

lab_track_pid() { LAB_PIDS+=("$1"); }

# lab_bridge NS BR: a Linux bridge inside NS (a switch).
lab_bridge() {
  ip -n "$1" link add "$2" type bridge
  ip -n "$1" link set "$2" up
}

# lab_veth NS1 IF1 NS2 IF2: a veth pair between two namespaces, both ends up.
lab_veth() {
  ip link add "$2" netns "$1" type veth peer name "$4" netns "$3"
  ip -n "$1" link set "$2" up
  ip -n "$3" link set "$4" up
}

# lab_wait_for CMD...: polls CMD up to 150 times, 0.2 s apart; non-zero if it never held.
lab_wait_for() {
  for _ in $(seq 1 150); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  return 1
}

# ok DESC CMD...: one TAP-style assertion that CMD succeeds.
ok() {
  local desc=$1; shift
  LAB_N=$((LAB_N + 1))
  if "$@" >"$LAB_DIR/last.out" 2>&1; then
    LAB_PASS=$((LAB_PASS + 1)); echo "ok $LAB_N - $desc"
  else
    LAB_FAIL=$((LAB_FAIL + 1)); echo "not ok $LAB_N - $desc"; sed 's/^/#   /' "$LAB_DIR/last.out" | tail -15
  fi
}

# nok DESC CMD...: asserts that CMD fails.
nok() {
  local desc=$1; shift
  LAB_N=$((LAB_N + 1))
  if "$@" >"$LAB_DIR/last.out" 2>&1; then
    LAB_FAIL=$((LAB_FAIL + 1)); echo "not ok $LAB_N - $desc (it succeeded)"; tail -5 "$LAB_DIR/last.out" | sed 's/^/#   /'
  else
    LAB_PASS=$((LAB_PASS + 1)); echo "ok $LAB_N - $desc"
  fi
}

# lab_done: the closing line, and the exit status.
lab_done() {
  echo "$LAB_NAME: $LAB_PASS passed, $LAB_FAIL failed"
  [ "$LAB_FAIL" -eq 0 ]
}

# ---- hnvgw specifics ----

HNVGWD="$LAB_TOP/build/hnvgwd"
HNVGWCTL="$LAB_TOP/build/hnvgwctl"

# lab_hnvgwd NS CONF NAME: starts hnvgwd inside NS and waits for its control socket.
# The socket path must be "$LAB_DIR/NAME.sock" in CONF.
lab_hnvgwd() {
  local ns=$1 conf=$2 name=$3
  ip netns exec "$ns" "$HNVGWD" -c "$conf" >"$LAB_DIR/$name.log" 2>&1 &
  lab_track_pid $!
  local pid=$!
  for _ in $(seq 1 300); do
    "$HNVGWCTL" -s "$LAB_DIR/$name.sock" show status >/dev/null 2>&1 && return 0
    kill -0 "$pid" 2>/dev/null || { echo "# hnvgwd $name exited:"; sed 's/^/#   /' "$LAB_DIR/$name.log"; return 1; }
    sleep 0.2
  done
  echo "# hnvgwd $name did not come up"; return 1
}

# ctl NAME ARGS...: hnvgwctl against the lab daemon NAME.
ctl() { local n=$1; shift; "$HNVGWCTL" -s "$LAB_DIR/$n.sock" "$@"; }

# lab_tap_move FROM_NS TAP TO_NS [MAC] [ADDR/PLEN]: moves a DPDK tap's kernel side into TO_NS.
lab_tap_move() {
  local from=$1 tap=$2 to=$3 mac=${4:-} addr=${5:-}
  lab_wait_for ip -n "$from" link show "$tap" || { echo "# tap $tap never appeared in $from"; return 1; }
  ip -n "$from" link set "$tap" netns "$to"
  [ -n "$mac" ] && ip -n "$to" link set "$tap" address "$mac"
  [ -n "$addr" ] && ip -n "$to" addr add "$addr" dev "$tap"
  ip -n "$to" link set "$tap" up
}

# stat_of NAME COUNTER: the value of a counter or drop reason ("stage.name") of daemon NAME.
stat_of() {
  ctl "$1" --json show stats | $LAB_PY -c '
import json, sys
d = json.load(sys.stdin); k = sys.argv[1]
v = [c["value"] for c in d["counters"] if c["counter"] == k] + [x["count"] for x in d["drops"] if x["drop"] == k]
print(v[0] if v else 0)' "$2"
}
