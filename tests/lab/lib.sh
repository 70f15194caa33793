# SPDX-License-Identifier: Apache-2.0
# Lab library for hnvgw tests: network namespaces, processes and TAP-style assertions, all cleaned
# up by a trap on success and on failure. Source it, then call `lab_init NAME` first.
#
# Rules it enforces: every namespace carries the test's unique prefix; every process it started is
# killed by PID (never by name); no test traffic and no interface in the root namespace (veths are
# created directly inside their namespaces).
#
# Assertions: `ok DESC CMD...` (CMD must succeed) and `nok DESC CMD...` (CMD must fail) print
# "ok N - DESC" / "not ok N - DESC"; `lab_ok`/`lab_nok` are the same. `nok_counted` backs a negative
# check with a counter delta. A test declares how many assertions it makes (`lab_plan N`, printed
# as the TAP plan "1..N"), so one that stops early or skips a loop cannot pass. `lab_done` prints
# the totals, its last line being exactly "N passed, N failed", and exits non-zero when anything
# failed or the plan was not met.

LAB_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LAB_PY=/usr/bin/python3
LAB_PASS=0
LAB_FAIL=0
LAB_N=0
LAB_PLAN=
LAB_NETNS=()
LAB_PIDS=()
LAB_CLEANED=0
LAB_WAIT_TRIES=${LAB_WAIT_TRIES:-100}
LAB_WAIT_INTERVAL=${LAB_WAIT_INTERVAL:-0.1}

# lab_init NAME: unique prefix, temp dir, and the cleanup trap: on EXIT, and so on every signal that
# would end the test (INT, TERM from run-all.sh's timeout, HUP, and PIPE when whatever read its
# output went away), since a shell killed by a signal it does not trap skips its EXIT trap.
lab_init() {
  LAB_NAME=$1
  # "hl" + up to 4 letters of the name + the PID: at most 13 chars, unique per running test (the
  # letters-only name part keeps one test's prefix from being a prefix of another's).
  local letters=${1//[^a-zA-Z]/}
  LAB_PREFIX="hl${letters:0:4}$$"
  LAB_DIR=$(mktemp -d "/tmp/hnvgw-lab-$1.XXXXXX") || { echo "# lab_init: mktemp failed" >&2; exit 1; }
  # run-all.sh reads them to remove what a killed test could not.
  echo "# lab prefix: $LAB_PREFIX"
  echo "# lab dir: $LAB_DIR"
  LAB_CLEANED=0
  LAB_NETNS=()
  LAB_PIDS=()
  : >"$LAB_DIR/.netns"
  : >"$LAB_DIR/.pids"
  trap lab_cleanup EXIT
  trap 'exit 129' HUP
  trap 'exit 130' INT
  trap 'exit 141' PIPE
  trap 'exit 143' TERM
}

# lab_cleanup: kills tracked PIDs (TERM, then KILL), deletes our namespaces, removes $LAB_DIR
# unless LAB_KEEP=1. Idempotent; safe under set -e and from any point of a failed test.
lab_cleanup() {
  local rc=$? p ns left
  [ "${LAB_CLEANED:-1}" = 1 ] && return $rc
  set +e
  LAB_CLEANED=1
  # Once begun, cleanup runs to its end (a second signal would leave namespaces behind), also when
  # its output has nowhere to go. It is bounded: a few seconds for the processes to go.
  trap '' HUP INT PIPE TERM
  # Records are also kept in files: lab_netns is usually called as NS=$(lab_netns x), a subshell
  # whose array updates are lost.
  [ -f "$LAB_DIR/.pids" ] && mapfile -t -O ${#LAB_PIDS[@]} LAB_PIDS <"$LAB_DIR/.pids"
  [ -f "$LAB_DIR/.netns" ] && mapfile -t -O ${#LAB_NETNS[@]} LAB_NETNS <"$LAB_DIR/.netns"
  # Every namespace carrying our unique prefix is ours, recorded or not (e.g. an interrupted add).
  if [ -n "${LAB_PREFIX:-}" ]; then
    for ns in $(ip netns list 2>/dev/null | awk '{print $1}'); do
      case $ns in "$LAB_PREFIX"-*) LAB_NETNS+=("$ns") ;; esac
    done
  fi
  for p in "${LAB_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for _ in $(seq 1 30); do
    left=0
    for p in "${LAB_PIDS[@]}"; do kill -0 "$p" 2>/dev/null && left=1; done
    [ $left = 0 ] && break
    sleep 0.1
  done
  for p in "${LAB_PIDS[@]}"; do
    kill -KILL "$p" 2>/dev/null
    { wait "$p"; } 2>/dev/null   # reap our own children quietly
  done
  LAB_PIDS=()
  for ns in "${LAB_NETNS[@]}"; do
    # Anything still running inside a namespace we created is ours: kill it by PID.
    for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
    ip netns del "$ns" 2>/dev/null
  done 2>/dev/null
  LAB_NETNS=()
  if [ -n "${LAB_DIR:-}" ] && [ -d "$LAB_DIR" ]; then
    if [ "${LAB_KEEP:-0}" = 1 ]; then
      echo "# lab dir kept: $LAB_DIR"
    else
      rm -rf "$LAB_DIR"
    fi
  fi
  return $rc
}

# lab_netns NAME: creates "<prefix>-NAME" with lo up; prints the full name.
lab_netns() {
  local ns="$LAB_PREFIX-$1"
  ip netns add "$ns" || return 1
  LAB_NETNS+=("$ns")
  echo "$ns" >>"$LAB_DIR/.netns"
  ip -n "$ns" link set lo up
  echo "$ns"
}

lab_track_pid() { LAB_PIDS+=("$1"); echo "$1" >>"$LAB_DIR/.pids"; }

# lab_bridge NS BR: a Linux bridge inside NS (a switch), up.
lab_bridge() {
  ip -n "$1" link add "$2" type bridge || return 1
  ip -n "$1" link set "$2" up
}

# lab_veth NS1 IF1 NS2 IF2: a veth pair between two namespaces, both ends up. Created directly
# inside the namespaces, so nothing ever appears in the root namespace.
lab_veth() {
  ip -n "$1" link add "$2" type veth peer name "$4" netns "$3" || return 1
  ip -n "$1" link set "$2" up
  ip -n "$3" link set "$4" up
}

# lab_wait_for CMD...: polls CMD up to $LAB_WAIT_TRIES times (100), $LAB_WAIT_INTERVAL s (0.1)
# apart; returns non-zero if it never held.
lab_wait_for() {
  local i
  for ((i = 0; i < LAB_WAIT_TRIES; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    sleep "$LAB_WAIT_INTERVAL"
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
  return 0
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
  return 0
}

lab_ok() { ok "$@"; }
lab_nok() { nok "$@"; }

# lab_plan N: the test makes N assertions. Printed as the TAP plan "1..N", which run-all.sh
# compares with the passes; lab_done fails a test that made any other number.
lab_plan() {
  LAB_PLAN=$1
  echo "1..$1"
}

# lab_list VAR CMD...: reads the lines CMD prints into the array VAR. For `ok`: it fails when CMD
# fails or prints nothing, so a loop over a broken or empty case list fails instead of passing
# having tested nothing.
lab_list() {
  local _out
  declare -ga "$1=()"
  _out=$("${@:2}") || { echo "${*:2}: failed"; return 1; }
  [ -n "$_out" ] || { echo "${*:2}: printed no case"; return 1; }
  mapfile -t "$1" <<<"$_out"
}

# lab_done: the totals, and the exit status. The "# NAME: ..." line is what run-all.sh parses; the
# last line is exactly "N passed, N failed". A test without a plan, or that made another number of
# assertions than planned, gets one more failure.
lab_done() {
  if [ -z "$LAB_PLAN" ]; then
    echo "not ok - $LAB_NAME declared no plan (lab_plan N)"; LAB_FAIL=$((LAB_FAIL + 1))
  elif [ "$LAB_N" -ne "$LAB_PLAN" ]; then
    echo "not ok - $LAB_NAME planned $LAB_PLAN assertions and made $LAB_N"; LAB_FAIL=$((LAB_FAIL + 1))
  fi
  echo "# $LAB_NAME: $LAB_PASS passed, $LAB_FAIL failed"
  echo "$LAB_PASS passed, $LAB_FAIL failed"
  [ "$LAB_FAIL" -eq 0 ] && [ "$LAB_N" -gt 0 ] && exit 0
  exit 1
}

# ---- Open vSwitch (userspace datapath), one private instance per namespace ----

# _lab_ovs_dir NS: the private run/db/log/conf dir of the OVS instance of NS.
_lab_ovs_dir() { echo "$LAB_DIR/ovs-$1"; }

# _lab_ovs_env NS CMD...: runs an OVS tool against the private instance of NS.
_lab_ovs_env() {
  local d; d=$(_lab_ovs_dir "$1"); shift
  OVS_RUNDIR=$d OVS_DBDIR=$d OVS_LOGDIR=$d OVS_SYSCONFDIR=$d "$@"
}

# lab_ovs_vsctl NS ARGS... / lab_ovs_ofctl NS ARGS... / lab_ovs_appctl NS ARGS...
lab_ovs_vsctl() { local ns=$1; shift; _lab_ovs_env "$ns" ovs-vsctl --timeout=10 --db="unix:$(_lab_ovs_dir "$ns")/db.sock" "$@"; }
lab_ovs_ofctl() { local ns=$1; shift; _lab_ovs_env "$ns" ovs-ofctl "$@"; }
lab_ovs_appctl() { local ns=$1; shift; _lab_ovs_env "$ns" ovs-appctl -t "$(_lab_ovs_dir "$ns")/ovs-vswitchd.ctl" "$@"; }

# lab_ovs_start NS: ovsdb-server and ovs-vswitchd inside NS, private dirs under $LAB_DIR, PIDs
# tracked. Use datapath_type=netdev bridges only (no kernel module involved).
lab_ovs_start() {
  local ns=$1 d pid
  d=$(_lab_ovs_dir "$ns")
  mkdir -p "$d"
  _lab_ovs_env "$ns" ovsdb-tool create "$d/conf.db" /usr/share/openvswitch/vswitch.ovsschema || return 1
  # A simple command in the background (not a function), so that $! is the daemon itself:
  # env and ip netns exec both exec.
  env OVS_RUNDIR="$d" OVS_DBDIR="$d" OVS_LOGDIR="$d" OVS_SYSCONFDIR="$d" ip netns exec "$ns" ovsdb-server "$d/conf.db" \
    --remote="punix:$d/db.sock" --unixctl="$d/ovsdb-server.ctl" \
    --pidfile="$d/ovsdb-server.pid" --log-file="$d/ovsdb-server.log" --no-chdir -vconsole:off \
    >"$d/ovsdb-server.out" 2>&1 &
  pid=$!; lab_track_pid $pid
  lab_wait_for test -S "$d/db.sock" || { echo "# ovsdb-server in $ns did not come up"; cat "$d/ovsdb-server.out"; return 1; }
  lab_ovs_vsctl "$ns" --no-wait init || return 1
  env OVS_RUNDIR="$d" OVS_DBDIR="$d" OVS_LOGDIR="$d" OVS_SYSCONFDIR="$d" ip netns exec "$ns" ovs-vswitchd "unix:$d/db.sock" \
    --unixctl="$d/ovs-vswitchd.ctl" --pidfile="$d/ovs-vswitchd.pid" \
    --log-file="$d/ovs-vswitchd.log" --no-chdir -vconsole:off \
    >"$d/ovs-vswitchd.out" 2>&1 &
  pid=$!; lab_track_pid $pid
  lab_wait_for lab_ovs_appctl "$ns" version || { echo "# ovs-vswitchd in $ns did not come up"; cat "$d/ovs-vswitchd.out"; return 1; }
}

# lab_ovs_nvgre_host NS PA_IF PA_IP/PLEN REMOTE_PA VSID VM_NS VM_IP/PLEN VM_MAC [VM_IF]
#
# Makes the OVS instance of NS (lab_ovs_start first) an NVGRE host with userspace tunneling:
#   br-phy (netdev): port PA_IF (an existing interface of NS, e.g. a veth to the PA switch), and
#                    the PA address on its internal (tap) interface;
#   br-int (netdev): port gre0 (type=gre, remote_ip=REMOTE_PA, key=flow, packet_type=legacy_l2) and
#                    the VM port, a veth "vm$VSID" whose peer "eth0" (or VM_IF) is in VM_NS.
# OpenFlow on br-int: VM -> gre0 with tun_id = VSID<<8 (NVGRE key: VSID<<8 | FlowID 0);
# gre0 with tun_id>>8 == VSID -> VM; anything else is dropped. VM MTU is 1458 (1500 - 42).
lab_ovs_nvgre_host() {
  local ns=$1 pa_if=$2 pa_ip=$3 remote=$4 vsid=$5 vm_ns=$6 vm_ip=$7 vm_mac=$8 vm_if=${9:-eth0}
  local hport="vm$vsid" key
  key=$(printf '0x%x' $((vsid << 8)))

  lab_ovs_vsctl "$ns" -- add-br br-phy -- set bridge br-phy datapath_type=netdev \
    -- add-port br-phy "$pa_if" || return 1
  ip -n "$ns" link set "$pa_if" up
  ip -n "$ns" addr add "$pa_ip" dev br-phy || return 1
  ip -n "$ns" link set br-phy up || return 1

  lab_veth "$ns" "$hport" "$vm_ns" "$vm_if" || return 1
  ip -n "$vm_ns" link set "$vm_if" address "$vm_mac"
  ip -n "$vm_ns" link set "$vm_if" mtu 1458
  ip -n "$vm_ns" addr add "$vm_ip" dev "$vm_if" || return 1
  # The userspace datapath does not complete partial checksums of AF_PACKET frames: have the
  # kernel compute them (ping does not need it; TCP would).
  ip netns exec "$vm_ns" ethtool -K "$vm_if" tx off >/dev/null 2>&1

  lab_ovs_vsctl "$ns" -- add-br br-int -- set bridge br-int datapath_type=netdev \
    -- set-fail-mode br-int secure \
    -- add-port br-int "$hport" -- set interface "$hport" ofport_request=1 \
    -- add-port br-int gre0 -- set interface gre0 type=gre ofport_request=2 \
       options:remote_ip="$remote" options:key=flow options:packet_type=legacy_l2 || return 1

  lab_ovs_ofctl "$ns" del-flows br-int || return 1
  lab_ovs_ofctl "$ns" add-flow br-int "table=0,priority=100,in_port=1,actions=set_field:$key->tun_id,output:2" || return 1
  lab_ovs_ofctl "$ns" add-flow br-int "table=0,priority=100,in_port=2,tun_id=$key/0xffffff00,actions=output:1" || return 1
  lab_ovs_ofctl "$ns" add-flow br-int "table=0,priority=0,actions=drop" || return 1

  # Userspace tunneling routes the outer packet by OVS's own table, learnt from the kernel routes of
  # NS (the connected route of br-phy); make sure it is there rather than racing netlink.
  lab_wait_for _lab_ovs_route_ok "$ns" "$remote" || {
    echo "# no OVS route to $remote via br-phy in $ns"; lab_ovs_appctl "$ns" ovs/route/show; return 1; }
}

_lab_ovs_route_ok() { lab_ovs_appctl "$1" ovs/route/lookup "$2" 2>/dev/null | grep -q 'dev br-phy'; }

# ---- hnvgw specifics ----

HNVGWD="$LAB_TOP/build/hnvgwd"
HNVGWCTL="$LAB_TOP/build/hnvgwctl"

# lab_hnvgwd NS CONF NAME: starts hnvgwd inside NS and waits for its control socket.
# The socket path must be "$LAB_DIR/NAME.sock" in CONF. "$LAB_DIR/NAME.launched" holds the moment
# it was launched (date +%s.%N), for start times.
lab_hnvgwd() {
  local ns=$1 conf=$2 name=$3 pid
  date +%s.%N >"$LAB_DIR/$name.launched"
  if [ "${LAB_PRIVATE_RUN:-0}" = 1 ]; then
    # A node of its own: a private /run, as a machine of its own has, so that two daemons on this
    # one machine do not share compartment names (/run/netns), state directories (/run/hnvgw)
    # or charon's fixed paths (/run/charon.ha). The pid stays the daemon's (exec all along).
    ip netns exec "$ns" unshare -m sh -c 'mount -t tmpfs -o mode=0755 lab-run /run && exec "$@"' \
      hnvgwd "$HNVGWD" -c "$conf" >"$LAB_DIR/$name.log" 2>&1 &
  else
    ip netns exec "$ns" "$HNVGWD" -c "$conf" >"$LAB_DIR/$name.log" 2>&1 &
  fi
  pid=$!
  lab_track_pid $pid
  echo "$pid" >"$LAB_DIR/$name.pid"
  for _ in $(seq 1 300); do
    "$HNVGWCTL" -s "$LAB_DIR/$name.sock" show status >/dev/null 2>&1 && return 0
    kill -0 "$pid" 2>/dev/null || { echo "# hnvgwd $name exited:"; sed 's/^/#   /' "$LAB_DIR/$name.log"; return 1; }
    sleep 0.2
  done
  echo "# hnvgwd $name did not come up"; return 1
}

# ctl NAME ARGS...: hnvgwctl against the lab daemon NAME.
ctl() { local n=$1; shift; "$HNVGWCTL" -s "$LAB_DIR/$n.sock" "$@"; }

# lab_tap_move FROM_NS TAP TO_NS [MAC] [ADDR/PLEN]: moves a DPDK tap's kernel side into TO_NS and
# brings it up (a move always leaves it down).
# Only move a net_tap port after its DPDK port has been STARTED (queues set up): the queue fds stay
# bound to the moved device and rx/tx keep working; if moved earlier, the PMD silently creates a
# new tap of the same name in FROM_NS. After the move, the PMD's ioctls by name (link status,
# dev_start after a stop, MTU, MAC) fail with ENODEV and it reports the link as down.
lab_tap_move() {
  local from=$1 tap=$2 to=$3 mac=${4:-} addr=${5:-}
  lab_wait_for ip -n "$from" link show "$tap" || { echo "# tap $tap never appeared in $from"; return 1; }
  ip -n "$from" link set "$tap" netns "$to" || return 1
  # net_tap gives the kernel side the DPDK port's own MAC; a tap that becomes a bridge port needs
  # another ("auto"), or the bridge would keep frames for the DPDK port to itself.
  [ "$mac" = auto ] && mac=$(printf '02:ee:%02x:%02x:%02x:%02x' $((RANDOM % 256)) $((RANDOM % 256)) $((RANDOM % 256)) $((RANDOM % 256)))
  [ -n "$mac" ] && ip -n "$to" link set "$tap" address "$mac"
  [ -n "$addr" ] && ip -n "$to" addr add "$addr" dev "$tap"
  ip -n "$to" link set "$tap" up
}

# stat_of NAME COUNTER: the value of a counter or drop reason ("stage.name") of daemon NAME. A name
# the daemon does not have is an error (nothing printed, non-zero): a misspelt counter must not
# read as a steady 0.
stat_of() {
  ctl "$1" --json show stats all=yes | $LAB_PY -c '
import json, sys
d = json.load(sys.stdin); k = sys.argv[1]
v = [c["value"] for c in d["counters"] if c["counter"] == k] + [x["count"] for x in d["drops"] if x["drop"] == k]
if not v:
    sys.exit("stat_of: no counter or drop reason %s" % k)
print(v[0])' "$2"
}

# stat_ge NAME COUNTER N: true when the counter of daemon NAME is at least N.
stat_ge() { local v; v=$(stat_of "$1" "$2") && [ "$v" -ge "$3" ]; }

# stat_rose NAME COUNTER BEFORE N: COUNTER of daemon NAME rose from BEFORE by exactly N, or by at
# least N when N is written ">=N". It waits for the workers to count (up to LAB_WAIT_TRIES polls),
# then, for an exact N, a moment longer: a count that goes on rising is a failure too.
stat_rose() {
  local name=$1 counter=$2 before=$3 want=$4 min now
  min=${want#>=}
  [[ $before =~ ^[0-9]+$ && $min =~ ^[0-9]+$ ]] || { echo "stat_rose: bad arguments: $*"; return 1; }
  if ! lab_wait_for stat_ge "$name" "$counter" $((before + min)); then
    now=$(stat_of "$name" "$counter")
    echo "$name $counter: $before -> $now, want +$want"
    return 1
  fi
  [ "$want" != "$min" ] && { echo "$name $counter: $before -> $(stat_of "$name" "$counter"), want +$min or more"; return 0; }
  sleep 0.5
  now=$(stat_of "$name" "$counter") || return 1
  echo "$name $counter: $before -> $now, want +$want"
  [ "$now" -eq $((before + min)) ]
}

# nok_counted DESC NAME COUNTER N CMD...: two assertions. CMD fails (nok DESC), and the counter
# COUNTER of daemon NAME rose by N while it ran (see stat_rose; ">=N" for at least N): the packets
# were dropped where and why the test says, not lost on the way.
nok_counted() {
  local desc=$1 name=$2 counter=$3 want=$4 before by="+$4"
  shift 4
  [ "$want" != "${want#>=}" ] && by="+${want#>=} or more"
  before=$(stat_of "$name" "$counter") || before=x
  nok "$desc" "$@"
  ok "$desc: $name counted $counter $by" stat_rose "$name" "$counter" "$before" "$want"
}

# lab_capture_start NS IFACE FILE [FILTER...]: tcpdump in NS on IFACE writes FILE, one packet at a
# time. For `ok`: returns once tcpdump says it is listening, since a capture not yet running proves
# nothing by seeing nothing. Sets LAB_CAPTURE_PID for lab_capture_stop.
lab_capture_start() {
  local ns=$1 ifc=$2 file=$3
  shift 3
  ip netns exec "$ns" tcpdump -i "$ifc" -nn -U -w "$file" "$@" 2>"$file.err" &
  LAB_CAPTURE_PID=$!
  lab_track_pid $LAB_CAPTURE_PID
  lab_wait_for grep -q "listening on" "$file.err" || { echo "tcpdump is not capturing:"; cat "$file.err"; return 1; }
}

# lab_capture_stop: stops the capture of lab_capture_start; its file is complete on return.
lab_capture_stop() {
  kill -TERM "$LAB_CAPTURE_PID" 2>/dev/null
  wait "$LAB_CAPTURE_PID" 2>/dev/null
  return 0
}

# pcap_count FILE [FILTER...]: the number of packets in FILE (that match FILTER).
pcap_count() { tcpdump -nn -r "$1" "${@:2}" 2>/dev/null | wc -l; }

# curl_is NS URL TEXT: fetches URL from inside NS and compares the body with TEXT.
curl_is() {
  local body
  body=$(ip netns exec "$1" curl -s --max-time 5 "$2") || { echo "curl $2 failed"; return 1; }
  [ "$body" = "$3" ] || { echo "got '$body', want '$3'"; return 1; }
}

# cpu_ticks NAME: user+system clock ticks used so far by daemon NAME.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$(cat "$LAB_DIR/$1.pid")/stat"; }

# idle_cpu_below NAME PERCENT SECONDS: the daemon used less than PERCENT of one CPU over SECONDS
# of no traffic (adaptive polling: idle workers sleep).
idle_cpu_below() {
  local a b hz pct
  hz=$(getconf CLK_TCK)
  a=$(cpu_ticks "$1"); sleep "$3"; b=$(cpu_ticks "$1")
  pct=$(( (b - a) * 100 / (hz * $3) ))
  echo "$1 used $pct% of a CPU while idle"
  [ "$pct" -lt "$2" ]
}
