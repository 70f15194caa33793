# SPDX-License-Identifier: Apache-2.0
# Helpers for labs and benches that run a gateway with many routed tenants (a tenant with a
# `routing` section gets its own compartment and FRR instance): stopping the gateway with all its
# FRR daemons, removing what a killed one leaves behind, and measuring the daemons' memory.
# Requires lib.sh (lab_init first). Used by tests/lab/test_bgp_tenants.sh, tests/lab/test_budget.sh
# and tests/bench/frr_tenant_cost.sh.

# routed_conf_head NAME MBUFS [EAL_EXTRA]: the node section (one worker, control socket in
# $LAB_DIR, node.mbufs MBUFS, 0 for the automatic pool) and the provider and external taps of a
# generated gateway, on stdout; the tenants follow.
routed_conf_head() {
  cat <<EOT
node {
  name = "$1"
  roles = {"gateway"}
  eal_args = {"--in-memory", "--no-pci"${3:+, $3}}
  workers = 1
  mbufs = $2
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
}

# routed_frr_dir TENANT: where hnvgwd keeps the tenant's FRR configs, pid files and vty sockets.
routed_frr_dir() { echo "/run/hnvgw/frr/$1"; }

# routed_daemons_of TENANT: the daemons its instance runs, those hnvgwd wrote a config for.
routed_daemons_of() {
  local c
  for c in "$(routed_frr_dir "$1")"/*.conf; do [ -e "$c" ] && basename "$c" .conf; done
  return 0
}

# routed_gw_stop NAME [SECONDS]: stops lab daemon NAME (see lab_hnvgwd) and, with it, its FRR
# daemons. hnvgwd stops them one after the other, which takes longer than lab_cleanup's 3 s with
# many tenants: it gets SECONDS (default 120) before it is killed. Its children (the FRR daemons,
# which it starts directly) are killed by PID if still there after it: once it is killed, nothing
# else would stop them. Sets ROUTED_STOP_S to how long its own stop took (empty when killed).
routed_gw_stop() {
  local name=$1 limit=${2:-120} pid kids p t0 i
  ROUTED_STOP_S=
  pid=$(cat "$LAB_DIR/$name.pid" 2>/dev/null) || return 0
  kids=$(ps -o pid= --ppid "$pid" 2>/dev/null)
  t0=$(date +%s.%N)
  kill -TERM "$pid" 2>/dev/null
  for ((i = 0; i < limit * 10; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    echo "# hnvgwd $name did not stop within $limit s: killed"
    # Those it started since, too (a TERM during its start does not stop its spawning).
    kids="$kids $(ps -o pid= --ppid "$pid" 2>/dev/null)"
    kill -KILL "$pid" 2>/dev/null
  else
    ROUTED_STOP_S=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')
  fi
  wait "$pid" 2>/dev/null
  for p in $kids; do kill -KILL "$p" 2>/dev/null; done
  rm -f "$LAB_DIR/$name.pid"
}

# routed_remove_compartments TENANT...: removes the compartments (hnvgw-TENANT) and FRR state
# directories a killed hnvgwd leaves behind, killing by PID whatever still runs in them. Each
# TENANT may be a glob (bt[0-9]*): only names of the caller's own tenants.
routed_remove_compartments() {
  local ns t p
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}'); do
    for t in "$@"; do
      # shellcheck disable=SC2254 # TENANT is a pattern on purpose.
      case $ns in hnvgw-$t)
        for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
        ip netns del "$ns" 2>/dev/null ;;
      esac
    done
  done
  for t in "$@"; do
    # shellcheck disable=SC2086 # the glob expands here.
    rm -rf $(routed_frr_dir "$t")
  done
}

# routed_track_frr TENANT...: tracks every running FRR daemon of the tenants (lab_track_pid), so
# that lab_cleanup stops them should hnvgwd not.
routed_track_frr() {
  local t p
  for t in "$@"; do
    for p in $(cat "$(routed_frr_dir "$t")"/*.pid 2>/dev/null); do lab_track_pid "$p"; done
  done
  return 0
}

# routed_mem OUT TENANT...: one line per FRR daemon of the tenants into OUT: "type rss pss priv"
# (kB, from /proc/PID/smaps_rollup). PSS (proportional set size) counts a page shared by k
# processes 1/k in each, so FRR's libraries count once across all the daemons, not once per
# daemon as RSS would. Fails, saying which, when a daemon is not running.
routed_mem() {
  local out=$1 t d pid
  shift
  : >"$out"
  for t in "$@"; do
    for d in $(routed_daemons_of "$t"); do
      pid=$(cat "$(routed_frr_dir "$t")/$d.pid" 2>/dev/null)
      [ -n "$pid" ] && [ -r "/proc/$pid/smaps_rollup" ] || { echo "$t's $d is not running"; return 1; }
      awk -v d="$d" '/^Rss:/ {r = $2} /^Pss:/ {p = $2} /^Private_(Clean|Dirty):/ {v += $2}
        END {print d, r, p, v}' "/proc/$pid/smaps_rollup" >>"$out"
    done
  done
  [ -s "$out" ] || { echo "no FRR daemon of $*"; return 1; }
}

# routed_mem_table OUT: prints (as # lines) the memory per daemon type of routed_mem's OUT, and
# sets ROUTED_PSS_MIB and ROUTED_RSS_MIB to the sums and ROUTED_DAEMONS to the count.
routed_mem_table() {
  printf "#   %-8s %5s %9s %9s %9s %11s\n" daemon procs rss_avg pss_avg priv_avg pss_total
  awk '{n[$1]++; r[$1] += $2; p[$1] += $3; v[$1] += $4}
    END {for (d in n) printf "#   %-8s %5d %9.2f %9.2f %9.2f %11.1f\n", d, n[d], r[d] / n[d] / 1024, p[d] / n[d] / 1024, v[d] / n[d] / 1024, p[d] / 1024}' \
    "$1" | sort
  ROUTED_RSS_MIB=$(awk '{s += $2} END {printf "%.1f", s / 1024}' "$1")
  ROUTED_PSS_MIB=$(awk '{s += $3} END {printf "%.1f", s / 1024}' "$1")
  ROUTED_DAEMONS=$(wc -l <"$1")
}

# bench_line_ok LINE: every figure of BENCH line LINE (after its name) is a positive number;
# otherwise says which is not and fails. A bench never prints a zero or empty figure.
bench_line_ok() {
  local name field
  name=$(sed -n 's/^BENCH name=\([^ ]*\).*/\1/p' <<<"$1")
  [ -n "$name" ] || { echo "bench: not a BENCH line: '$1'"; return 1; }
  for field in ${1#BENCH name="$name"}; do
    awk -v v="${field#*=}" 'BEGIN { exit !(v ~ /^[0-9]+(\.[0-9]+)?$/ && v + 0 > 0) }' ||
      { echo "bench: $name could not measure: ${field%%=*} is '${field#*=}'"; return 1; }
  done
}
