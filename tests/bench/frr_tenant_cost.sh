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
. "$(dirname "$0")/../lab/routed.sh"
lab_init frrcost
counts=("$@")
[ ${#counts[@]} -gt 0 ] || counts=(10 20)
settle=${FRR_COST_SETTLE:-5}
NAME_PREFIX=fc # tenants fc1..fcN: compartments hnvgw-fcN, state in /run/hnvgw/frr/fcN

# Beyond lab_cleanup: hnvgwd may need longer than its 3 s to stop many instances, and once
# killed it leaves its compartments (named after our tenants, so ours) behind.
stop_gw() { routed_gw_stop gw 60; }
remove_compartments() { routed_remove_compartments "$NAME_PREFIX[0-9]*"; }
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
  routed_conf_head frrcost 0 '"--log-level=lib.eal:error"' >"$f"
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
daemons_of() { routed_daemons_of "$@"; }
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
  local tenants=()
  for i in $(seq 1 "$n"); do tenants+=("$NAME_PREFIX$i"); done
  # Track the daemons: lab_cleanup stops them should hnvgwd not.
  routed_track_frr "${tenants[@]}"
  sleep "$settle"
  routed_mem "$LAB_DIR/mem.$n" "${tenants[@]}" | sed 's/^/bench: /'
  [ "${PIPESTATUS[0]}" = 0 ] || return 1
  echo "# $n tenants: FRR memory per daemon type (MiB; avg = per process)"
  routed_mem_table "$LAB_DIR/mem.$n"
  local pss_sum=$ROUTED_PSS_MIB
  echo "# $n tenants: $ROUTED_DAEMONS daemons; PSS $pss_sum MiB (RSS summed: $ROUTED_RSS_MIB MiB);" \
    "hnvgwd ready $(awk -v a="$t0" -v b="$t_ready" 'BEGIN {printf "%.2f", b - a}') s after launch"
  local line
  line=$(awk -v n="$n" -v p="$pss_sum" -v a="$t0" -v b="$t_all" -v g="$t_ready" \
    'BEGIN {printf "BENCH name=frr_tenant_cost tenants=%d rss_mib=%.1f mib_per_tenant=%.2f startup_s=%.2f gw_ready_s=%.2f", n, p, p / n, b - a, g - a}')
  # Never a zero or empty figure.
  bench_line_ok "$line" || return 1
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
