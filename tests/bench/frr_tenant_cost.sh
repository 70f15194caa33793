#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# What a routed tenant costs: hnvgwd (gateway role) with N tenants, each with a routing section
# and one BGP neighbor that never answers (10.99.0.2: nothing is behind the external tap), so
# that every tenant runs the FRR instance hnvgwd generates for it, and nothing else.
#
# Prints, per daemon type, the memory of its processes, then
#   BENCH name=frr_tenant_cost tenants=<n> rss_mib=<total> mib_per_tenant=<x> startup_s=<y>
# The memory is PSS (proportional set size, /proc/PID/smaps_rollup): a page shared by k
# processes counts 1/k in each, so FRR's libraries (libfrr, libyang, libc...) are counted once
# across all the daemons, not once per daemon as RSS would. rss_mib is that PSS summed over every
# FRR daemon of every tenant; the table also shows RSS and the private pages (what one more
# daemon adds) for comparison. hnvgwd itself is not counted.
# startup_s is from the launch of hnvgwd to the moment every daemon of every tenant has answered
# a command on its vty socket (vtysh -d DAEMON), the DPDK start of hnvgwd included (gw_ready_s
# says how much of it that was).
# File descriptors: hnvgwd is given the limit of its systemd unit (LimitNOFILE=65536) where the
# hard limit allows (said otherwise); FRR daemons without --limit-fds inherit it and size per-
# descriptor tables by it.
#
# Starts hnvgwd with TAP ports and hugepages in a namespace of its own: run it like a lab, alone,
# under the shared lock and a timeout:
#   flock /tmp/hnvgw-lab.lock timeout 900 bash tests/bench/frr_tenant_cost.sh 10 20
# Arguments: the tenant counts to measure (default 10 20), one hnvgwd run each. FRR_COST_SETTLE
# is how long (s, default 5) the daemons run after the last answer before memory is read.
# Exits non-zero, having printed no BENCH line for that count, when a figure could not be
# measured (a daemon missing, a figure zero or empty).
set -uo pipefail
. "$(dirname "$0")/../lab/lib.sh"
lab_init frrcost
counts=("$@")
[ ${#counts[@]} -gt 0 ] || counts=(10 20)
settle=${FRR_COST_SETTLE:-5}
NAME_PREFIX=fc # tenants fc1..fcN: compartments hnvgw-fcN, state in /run/hnvgw/frr/fcN

# Beyond lab_cleanup: hnvgwd may need longer than its 3 s to stop many instances, and once
# killed it leaves its compartments (named after our tenants, so ours) behind.
stop_gw() {
  local pid
  pid=$(cat "$LAB_DIR/gw.pid" 2>/dev/null) || return 0
  kill -TERM "$pid" 2>/dev/null
  for _ in $(seq 1 600); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  rm -f "$LAB_DIR/gw.pid"
}
remove_compartments() {
  local ns
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}'); do
    case $ns in hnvgw-"$NAME_PREFIX"[0-9]*)
      for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
      ip netns del "$ns" 2>/dev/null ;;
    esac
  done
  rm -rf /run/hnvgw/frr/"$NAME_PREFIX"[0-9]*
}
bench_cleanup() {
  local rc=$?
  stop_gw
  lab_cleanup
  remove_compartments
  return $rc
}
trap bench_cleanup EXIT

# write_conf N FILE: the gateway with N routed tenants.
write_conf() {
  local n=$1 f=$2 i
  cat >"$f" <<EOT
node {
  name = "frrcost"
  roles = {"gateway"}
  eal_args = {"--in-memory", "--no-pci", "--log-level=lib.eal:error"}
  workers = 1
  # Each compartment's exception port takes its rings' worth of packet buffers: room for them.
  mbufs = $((4096 + n * 2048))
  control_socket = "$LAB_DIR/gw.sock"
  provider_addresses = {"10.0.0.1"}
}
port "pa0" {
  kind = "provider"
  devargs = "net_tap0,iface=hnvpa0"
  mac = "02:00:0a:00:00:01"
  address = "10.0.0.1/24"
}
port "ext0" {
  kind = "external"
  devargs = "net_tap1,iface=hnvext0"
  mac = "02:00:0a:63:00:01"
  address = "10.99.0.1/24"
}
EOT
  for i in $(seq 1 "$n"); do
    cat >>"$f" <<EOT
tenant "$NAME_PREFIX$i" {
  id = $i
  subnet "web" {
    vsid = $((5000 + i))
    prefix = "10.1.1.0/24"
    gateway_ip = "10.1.1.1"
    gateway_mac = "$(printf '02:00:00:01:%02x:%02x' $((i >> 8)) $((i & 255)))"
  }
  routing {
    asn = 65001
    router_id = "10.1.1.1"
    neighbor "10.99.0.2" {
      remote_as = 65002
    }
  }
}
EOT
  done
}

now() { date +%s.%N; }
# The daemons an instance runs: those hnvgwd wrote a config for.
daemons_of() { local c; for c in "/run/hnvgw/frr/$1"/*.conf; do [ -e "$c" ] && basename "$c" .conf; done; }
# answers DIR DAEMON: the daemon takes a command on its vty socket.
answers() { vtysh --vty_socket "$1" -d "$2" -c "show version" >/dev/null 2>&1; }

# measure N: one hnvgwd run with N tenants; prints the table and the BENCH line. Returns non-zero
# when a figure is missing.
measure() {
  local n=$1 t0 t_ready t_all i d dir pending left pid
  local -A answered
  write_conf "$n" "$LAB_DIR/gw.conf"
  "$LAB_TOP/build/hnvgwd" --check-config -c "$LAB_DIR/gw.conf" >"$LAB_DIR/check.out" 2>&1 ||
    { echo "bench: the config of $n tenants is refused:"; sed 's/^/#   /' "$LAB_DIR/check.out"; return 1; }
  ulimit -n 65536 2>/dev/null ||
    echo "# the descriptor limit cannot be raised to 65536 here (hard limit $(ulimit -Hn)): hnvgwd and FRR run with $(ulimit -n)"
  t0=$(now)
  lab_hnvgwd "$NS_GW" "$LAB_DIR/gw.conf" gw || return 1
  t_ready=$(now)
  # Every tenant's daemons answer, polled until they do (each one asked until its first answer).
  for ((tries = 0; tries < 1200; tries++)); do
    left=0
    for i in $(seq 1 "$n"); do
      dir=/run/hnvgw/frr/$NAME_PREFIX$i
      pending=$(daemons_of "$NAME_PREFIX$i")
      [ -n "$pending" ] || { left=1; continue; }
      for d in $pending; do
        [ -n "${answered[$i.$d]:-}" ] && continue
        if answers "$dir" "$d"; then answered[$i.$d]=$(now); else left=1; fi
      done
    done
    [ $left = 0 ] && break
    sleep 0.05
  done
  [ $left = 0 ] || { echo "bench: not every daemon of $n tenants answered within the polls"; tail -20 "$LAB_DIR/gw.log" | sed 's/^/#   /'; return 1; }
  t_all=$(printf '%s\n' "${answered[@]}" | sort -n | tail -1)
  # Track the daemons: lab_cleanup stops them should hnvgwd not.
  for i in $(seq 1 "$n"); do
    for pid in $(cat /run/hnvgw/frr/$NAME_PREFIX$i/*.pid 2>/dev/null); do lab_track_pid "$pid"; done
  done
  sleep "$settle"
  # One line per daemon: type, rss kB, pss kB, private kB.
  : >"$LAB_DIR/mem.$n"
  for i in $(seq 1 "$n"); do
    for d in $(daemons_of "$NAME_PREFIX$i"); do
      pid=$(cat "/run/hnvgw/frr/$NAME_PREFIX$i/$d.pid" 2>/dev/null)
      [ -n "$pid" ] && [ -r "/proc/$pid/smaps_rollup" ] || { echo "bench: $NAME_PREFIX$i's $d is not running"; return 1; }
      awk -v d="$d" '/^Rss:/ {r = $2} /^Pss:/ {p = $2} /^Private_(Clean|Dirty):/ {v += $2}
        END {print d, r, p, v}' "/proc/$pid/smaps_rollup" >>"$LAB_DIR/mem.$n"
    done
  done
  echo "# $n tenants: FRR memory per daemon type (MiB; avg = per process)"
  printf "#   %-8s %5s %9s %9s %9s %11s\n" daemon procs rss_avg pss_avg priv_avg pss_total
  awk '{n[$1]++; r[$1] += $2; p[$1] += $3; v[$1] += $4}
    END {for (d in n) printf "#   %-8s %5d %9.2f %9.2f %9.2f %11.1f\n", d, n[d], r[d] / n[d] / 1024, p[d] / n[d] / 1024, v[d] / n[d] / 1024, p[d] / 1024}' \
    "$LAB_DIR/mem.$n" | sort
  local rss_sum pss_sum
  rss_sum=$(awk '{s += $2} END {printf "%.1f", s / 1024}' "$LAB_DIR/mem.$n")
  pss_sum=$(awk '{s += $3} END {printf "%.1f", s / 1024}' "$LAB_DIR/mem.$n")
  echo "# $n tenants: $(wc -l <"$LAB_DIR/mem.$n") daemons; PSS $pss_sum MiB (RSS summed: $rss_sum MiB);" \
    "hnvgwd ready $(awk -v a="$t0" -v b="$t_ready" 'BEGIN {printf "%.2f", b - a}') s after launch"
  local line
  line=$(awk -v n="$n" -v p="$pss_sum" -v a="$t0" -v b="$t_all" -v g="$t_ready" \
    'BEGIN {printf "BENCH name=frr_tenant_cost tenants=%d rss_mib=%.1f mib_per_tenant=%.2f startup_s=%.2f gw_ready_s=%.2f", n, p, p / n, b - a, g - a}')
  # Never a zero or empty figure.
  local field
  for field in ${line#BENCH name=frr_tenant_cost }; do
    awk -v v="${field#*=}" 'BEGIN { exit !(v ~ /^[0-9]+(\.[0-9]+)?$/ && v + 0 > 0) }' ||
      { echo "bench: frr_tenant_cost could not measure: ${field%%=*} is '${field#*=}'"; return 1; }
  done
  echo "$line"
}

NS_GW=$(lab_netns gw) || exit 1
rc=0
for n in "${counts[@]}"; do
  [[ $n =~ ^[1-9][0-9]*$ ]] || { echo "bench: not a tenant count: $n"; rc=1; continue; }
  measure "$n" || rc=1
  stop_gw
  remove_compartments
done
exit $rc
