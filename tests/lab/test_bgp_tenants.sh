#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Lab: BGP at tenant scale. The gateway runs the shipped config (contoso and fabrikam, whose VMs
# share one CA space) plus generated tenants bt3..btN, N = BGP_TENANTS (default 200), every one
# with a routing section and one BGP neighbor: a single stock bird2 in the ext namespace, with one
# `protocol bgp` per tenant, all peering through the gateway's forwarding path (the tenant's FRR
# in its compartment, its exception port, the tenant's routing domain, the external port).
#
# The gateway runs one FRR per routed tenant (node routing_daemons = "per_tenant", whatever the
# kernel): the shared FRR with a VRF per tenant is tested in the appliance image (tests/image/).
#
# Address plan (tenant i has id i; contoso is 1, fabrikam 2):
#   - VMs: every tenant has the subnet 10.1.1.0/24 (contoso and fabrikam also 10.1.2.0/24): one
#     CA space. Only contoso forwards it from the external port (10.1.0.0/16).
#   - BGP speaker: tenant i's subnet "bgp" 10.(64+i/256).(i%256).0/24, whose gateway address .1
#     is on the tenant's exception port in its compartment and is the session's source
#     (update-source). Each is one of the tenant's forward_prefixes, so bird tells the tenants
#     apart by their addresses and the gateway classifies bird's packets into the right tenant.
#   - Learned prefix: bird exports to tenant i only 198.19.(i/16).(i%16*16)/28 (in the
#     "internet" 198.18.0.0/15); its .1 is on the ext namespace's loopback for contoso and
#     fabrikam.
#
# It asserts that every session is Established (birdc, and hnvgwctl show bgp for a sample), that
# each tenant has its own prefix installed and no other tenant's, that contoso's VM reaches its
# prefix while fabrikam's VM, with the same CA, has no route to it (and does use its own), and
# prints
#   BENCH name=bgp_tenants tenants=N established=N startup_s=X rss_mib=Y mib_per_tenant=Z
# startup_s: from the launch of hnvgwd to the moment the last session became Established (bird's
# own time of the change); rss_mib: the PSS of every FRR daemon of every tenant (as
# tests/bench/frr_tenant_cost.sh measures it). A figure that cannot be measured fails the test.
#
# Run it alone, under the shared lock and a timeout, e.g.
#   flock /tmp/hnvgw-lab.lock timeout 1200 bash tests/lab/test_bgp_tenants.sh
set -uo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topology.sh"
. "$(dirname "$0")/routed.sh"
lab_init bgptenants
N=${BGP_TENANTS:-200}
# Two are contoso and fabrikam; the ids and the speaker plan end at 4095.
[[ $N =~ ^[0-9]+$ ]] && [ "$N" -ge 2 ] && [ "$N" -le 4095 ] || { echo "# BGP_TENANTS must be 2..4095, not '$N'"; exit 1; }
lab_plan 11

tenant_name() { case $1 in 1) echo contoso ;; 2) echo fabrikam ;; *) echo "bt$1" ;; esac; }
speaker() { echo "10.$((64 + $1 / 256)).$(($1 % 256)).1"; }
speaker_net() { echo "10.$((64 + $1 / 256)).$(($1 % 256)).0/24"; }
learned_prefix() { echo "198.19.$(($1 / 16)).$(($1 % 16 * 16))/28"; }
learned_host() { echo "198.19.$(($1 / 16)).$(($1 % 16 * 16 + 1))"; }
TENANTS=()
for ((i = 1; i <= N; i++)); do TENANTS+=("$(tenant_name $i)"); done

# Beyond lab_cleanup: hnvgwd needs longer than 3 s to stop many FRR instances, and a killed one
# leaves its compartments (named after our tenants, so ours) behind.
bgp_cleanup() {
  local rc=$?
  trap '' HUP INT PIPE TERM
  routed_gw_stop gw 180
  lab_cleanup
  routed_remove_compartments contoso fabrikam 'bt[0-9]*'
  return $rc
}
trap bgp_cleanup EXIT

# routed_block I: what every tenant gets: its speaker's subnet and its routing section.
routed_block() {
  local i=$1 sp
  sp=$(speaker "$i")
  cat <<EOT
  subnet "bgp" {
    vsid = $((20000 + i))
    prefix = "$(speaker_net "$i")"
    gateway_ip = "$sp"
    gateway_mac = "$(printf '02:00:00:02:%02x:%02x' $((i >> 8)) $((i & 255)))"
  }
  routing {
    asn = 65001
    router_id = "$sp"
    extra_config = "router bgp 65001\\n neighbor 10.99.0.2 update-source $sp"
    neighbor "10.99.0.2" {
      remote_as = 65002
      ebgp_multihop = true
    }
  }
EOT
}

# LAB_GW_CONF_EDIT: the shipped config without NAT (a tenant without a learned route then has no
# route at all), contoso and fabrikam routed, and the generated tenants; node.mbufs raised when
# the start-up budget asks for more.
bgp_conf() {
  local f=$1 i need
  sed -i '/^  nat {$/,/^  }$/d' "$f" && ! grep -q '^  nat {' "$f" || return 1
  # One FRR per tenant on every kernel: the shared FRR (VRFs) has its own lab, in the image.
  sed -i 's|^  workers = 1$|&\n  routing_daemons = "per_tenant"|' "$f" && grep -q '^  routing_daemons = "per_tenant"$' "$f" || return 1
  routed_block 1 >"$LAB_DIR/block1"
  { routed_block 2; printf '  forward_prefixes = {"%s"}\n  external_route { prefix = "10.99.0.0/24"  next_hop = "0.0.0.0" }\n' "$(speaker_net 2)"; } >"$LAB_DIR/block2"
  sed -i -e "/^  id = 1$/r $LAB_DIR/block1" -e "/^  id = 2$/r $LAB_DIR/block2" \
    -e "s|^  forward_prefixes = {\"10.1.0.0/16\"}$|  forward_prefixes = {\"10.1.0.0/16\", \"$(speaker_net 1)\"}|" "$f" || return 1
  for ((i = 3; i <= N; i++)); do
    cat <<EOT
tenant "$(tenant_name $i)" {
  id = $i
  subnet "web" {
    vsid = $((10000 + i))
    prefix = "10.1.1.0/24"
    gateway_ip = "10.1.1.1"
    gateway_mac = "$(printf '02:00:00:01:%02x:%02x' $((i >> 8)) $((i & 255)))"
  }
  forward_prefixes = {"$(speaker_net $i)"}
  external_route { prefix = "10.99.0.0/24"  next_hop = "0.0.0.0" }
$(routed_block $i)
}
EOT
  done >>"$f"
  [ "$(grep -c '^  routing {$' "$f")" -eq "$N" ] || { echo "# $(grep -c '^  routing {$' "$f") routing sections, want $N"; return 1; }
  grep -q "\"10.1.0.0/16\", \"$(speaker_net 1)\"" "$f" || { echo "# contoso's forward_prefixes not extended"; return 1; }
  "$HNVGWD" --check-config -c "$f" >"$LAB_DIR/check.out" 2>&1
  need=$(sed -n 's/^budget: mbufs  \([0-9]*\) \/ \([0-9]*\) .*/\1 \2/p' "$LAB_DIR/check.out")
  if [ -n "$need" ] && [ "${need% *}" -gt "${need#* }" ]; then
    sed -i "s|^  workers = 1$|&\n  mbufs = $(((${need% *} + 1023) / 1024 * 1024))|" "$f"
    "$HNVGWD" --check-config -c "$f" >"$LAB_DIR/check.out" 2>&1
  fi
  grep '^budget:' "$LAB_DIR/check.out" | sed 's/^/# /'
  "$HNVGWD" --check-config -c "$f" >/dev/null 2>&1 || { echo "# the config of $N routed tenants is refused:"; grep -v '^budget:' "$LAB_DIR/check.out" | sed 's/^/#   /'; return 1; }
}

# LAB_GW_UP_HOOK: bird2 in ext as soon as the gateway is wired, one passive `protocol bgp` per
# tenant (each tenant's bgpd connects, every FRR_CONNECT_RETRY_S), exporting only the tenant's
# own prefix.
start_bird() {
  local i
  T_GW_READY=$(date +%s.%N)
  ip -n "$NS_EXT" route add 10.64.0.0/12 via 10.99.0.1 || return 1
  for i in 1 2; do ip -n "$NS_EXT" addr add "$(learned_host $i)/32" dev lo || return 1; done
  {
    cat <<EOT
router id 10.99.0.2;
timeformat protocol iso long ms;
protocol device {}
protocol static tenant_prefixes {
  ipv4;
EOT
    for ((i = 1; i <= N; i++)); do echo "  route $(learned_prefix $i) blackhole;"; done
    cat <<EOT
}
template bgp tenant {
  local 10.99.0.2 as 65002;
  multihop;
  passive on;
  ipv4 { import all; export none; };
}
EOT
    for ((i = 1; i <= N; i++)); do
      echo "protocol bgp $(tenant_name $i) from tenant { neighbor $(speaker $i) as 65001; ipv4 { export where net = $(learned_prefix $i); }; }"
    done
  } >"$LAB_DIR/bird.conf"
  ip netns exec "$NS_EXT" bird -f -c "$LAB_DIR/bird.conf" -s "$LAB_DIR/bird.ctl" >"$LAB_DIR/bird.log" 2>&1 &
  BIRD_PID=$!
  lab_track_pid $BIRD_PID
  lab_wait_for birdc -s "$LAB_DIR/bird.ctl" show status || { echo "# bird did not come up:"; cat "$LAB_DIR/bird.log"; return 1; }
}

LAB_GW_CONF_EDIT=bgp_conf
LAB_GW_UP_HOOK=start_bird
lab_topology_up || { echo "# topology failed"; exit 1; }
T_LAUNCH=$(cat "$LAB_DIR/gw.launched")
GW_PID=$(cat "$LAB_DIR/gw.pid")
vm() { local n=$1; shift; ip netns exec "${NS_VM[$n]}" "$@"; }
birdc_() { birdc -s "$LAB_DIR/bird.ctl" "$@"; }

# bird_sessions: "BGP_PROTOCOLS ESTABLISHED FIRST MEDIAN LAST", the last three the moments (epoch
# seconds, from bird's ms timestamps) at which Established sessions became so.
bird_sessions() {
  birdc_ show protocols | $LAB_PY -c '
import sys, datetime
n = 0; t = []
for line in sys.stdin:
    f = line.split()
    if len(f) < 7 or f[1] != "BGP":
        continue
    n += 1
    if f[6] == "Established":
        t.append(datetime.datetime.strptime(f[4] + " " + f[5], "%Y-%m-%d %H:%M:%S.%f").timestamp())
t.sort()
print(n, len(t), *(["%.3f" % x for x in (t[0], t[len(t) // 2], t[-1])] if t else ["-"] * 3))'
}

# Waits for every session to be Established: as long as their number keeps rising (the outer
# timeout bounds the run), until it has not risen for 120 s, or hnvgwd or bird has gone.
best=-1
still=0
while :; do
  n_bgp=0 n_est=0 t_first=- t_mid=- t_last=-
  read -r n_bgp n_est t_first t_mid t_last < <(bird_sessions)
  [ "$n_est" -ge "$N" ] && break
  if [ "$n_est" -gt "$best" ]; then best=$n_est; still=0; else still=$((still + 1)); fi
  [ $still -ge 600 ] && { echo "# no session came up for 120 s ($n_est of $N Established)"; break; }
  kill -0 "$GW_PID" 2>/dev/null || { echo "# hnvgwd exited"; tail -20 "$LAB_DIR/gw.log" | sed 's/^/#   /'; break; }
  kill -0 "$BIRD_PID" 2>/dev/null || { echo "# bird exited"; sed 's/^/#   /' "$LAB_DIR/bird.log"; break; }
  sleep 0.2
done
routed_track_frr "${TENANTS[@]}"
all_established() {
  echo "bird: $n_bgp BGP protocols, $n_est Established, want $N"
  [ "$n_bgp" -eq "$N" ] && [ "$n_est" -eq "$N" ]
}
ok "all $N bird sessions, one per tenant, are Established (birdc show protocols)" all_established
if [ "$n_est" -lt "$N" ]; then
  birdc_ show protocols | grep BGP | grep -v Established | head -5 | sed 's/^/#   /'
fi

# The time line of the start, relative to the launch of hnvgwd.
since() { awk -v a="$T_LAUNCH" -v b="$1" 'BEGIN {if (b == "-") print "-"; else printf "%.2f", b - a}'; }
frr_spawned() { # "FIRST LAST": when the FRR daemons started, from /proc (clock ticks since boot)
  local hz t p
  hz=$(getconf CLK_TCK)
  for t in "${TENANTS[@]}"; do
    for p in $(cat "$(routed_frr_dir "$t")"/*.pid 2>/dev/null); do awk '{print $22}' "/proc/$p/stat" 2>/dev/null; done
  done | sort -n | awk -v g="$(awk '{print $22}' "/proc/$GW_PID/stat")" -v hz="$hz" \
    'NR == 1 {f = $1} {l = $1} END {if (NR) printf "%.2f %.2f %d", (f - g) / hz, (l - g) / hz, NR; else print "- - 0"}'
}
read -r spawn_first spawn_last n_daemons < <(frr_spawned)
# CPU seconds used so far, per daemon type and by hnvgwd: with a few CPUs, the daemons' own
# start-up work is what the sessions wait for.
cpu_used() {
  local hz t d p
  hz=$(getconf CLK_TCK)
  for t in "${TENANTS[@]}"; do
    for d in $(routed_daemons_of "$t"); do
      p=$(cat "$(routed_frr_dir "$t")/$d.pid" 2>/dev/null) && awk -v d="$d" '{print d, $14 + $15}' "/proc/$p/stat" 2>/dev/null
    done
  done | awk -v hz="$hz" -v g="$(awk '{print $14 + $15}' "/proc/$GW_PID/stat")" -v cpus="$(nproc)" \
    '{c[$1] += $2; n[$1]++} END {for (d in c) s = s sprintf("%s %.1f s (%.2f each), ", d, c[d] / hz, c[d] / hz / n[d]); printf "%shnvgwd %.1f s; this machine has %d CPUs", s, g / hz, cpus}'
}
echo "# CPU used by then: $(cpu_used); hnvgwd holds $(ls "/proc/$GW_PID/fd" | wc -l) file descriptors"
STARTUP_S=$(since "$t_last")
echo "# start of $N routed tenants, seconds after hnvgwd's launch: control socket up $(since "$T_GW_READY");" \
  "$n_daemons FRR daemons started $spawn_first..$spawn_last; sessions Established: first $(since "$t_first")," \
  "median $(since "$t_mid"), last $STARTUP_S"
if [ "$STARTUP_S" != - ]; then
  awk -v s="$STARTUP_S" -v n="$N" 'BEGIN {printf "# all %d Established %.1f s after the launch: %s the 60 s target (%.0f%%)\n", n, s, s <= 60 ? "within" : "OVER", s * 100 / 60}'
fi

# hnvgwctl show bgp, for a sample of tenants, says what bird says.
SAMPLE=(1 2 $(((N + 1) / 2)) "$N")
bgp_agrees() {
  local i t bad=0
  for i in $(printf '%s\n' "${SAMPLE[@]}" | sort -un); do
    t=$(tenant_name "$i")
    ctl gw --json show bgp "tenant=$t" | $LAB_PY -c '
import json, sys
rows = [r for r in json.load(sys.stdin) if r["neighbor"] == "10.99.0.2"]
print(sys.argv[1], rows)
sys.exit(0 if len(rows) == 1 and rows[0]["state"] == "Established" and rows[0]["remote_as"] == 65002
         and rows[0]["prefixes_received"] == 1 else 1)' "$t" || bad=1
  done
  return $bad
}
ok "hnvgwctl show bgp agrees for tenants ${SAMPLE[*]}: Established with 65002, one prefix received" lab_wait_for bgp_agrees

# Every tenant's zebra feeds the data plane: show fpm lists each tenant, connected, and the log
# says so for each (both once held only the first 64 tenants).
fpm_all() {
  ctl gw --json show fpm | $LAB_PY -c '
import json, sys
want = set(sys.argv[1:])
rows = json.load(sys.stdin)
up = {r["tenant"] for r in rows if r["connected"] and r["connects"] >= 1}
print("show fpm: %d rows, %d tenants connected, want %d; missing: %s" % (len(rows), len(up), len(want), sorted(want - up)[:5]))
sys.exit(0 if up == want and len(rows) == len(want) else 1)' "${TENANTS[@]}" || return 1
  local logged
  logged=$(grep -o 'fpm tenant [0-9]*: zebra connected' "$LAB_DIR/gw.log" | sort -u | wc -l)
  echo "the log says zebra connected for $logged tenants, want $N"
  [ "$logged" -eq "$N" ]
}
ok "every tenant's zebra is connected over FPM (show fpm, and the log)" lab_wait_for fpm_all

# Every tenant's routes, one hnvgwctl show routes tenant=NAME each, checked in one go: WHAT is
# "own" (its own prefix is installed, via bird) or "others" (no other tenant's prefix at all).
routes_check() {
  local what=$1 i
  mkdir -p "$LAB_DIR/routes"
  for ((i = 1; i <= N; i++)); do
    ctl gw --json show routes "tenant=$(tenant_name $i)" >"$LAB_DIR/routes/$i.json" || { echo "show routes tenant=$(tenant_name $i) failed"; return 1; }
  done
  $LAB_PY - "$what" "$N" "$LAB_DIR/routes" <<'EOF'
import ipaddress, json, sys
what, n, d = sys.argv[1], int(sys.argv[2]), sys.argv[3]
learned = {i: ipaddress.ip_network("198.19.%d.%d/28" % (i // 16, i % 16 * 16)) for i in range(1, n + 1)}
internet = ipaddress.ip_network("198.18.0.0/15")
bad = []
for i in range(1, n + 1):
    rows = json.load(open("%s/%d.json" % (d, i)))
    mine = [r for r in rows if r["prefix"] == str(learned[i])]
    if what == "own":
        if not (len(mine) == 1 and mine[0]["source"] == "frr" and mine[0]["installed"]
                and mine[0]["next_hop"] == "external 10.99.0.2"):
            bad.append("tenant %d: %s" % (i, mine))
    else:
        nets = [ipaddress.ip_network(r["prefix"]) for r in rows]
        foreign = [str(p) for p in nets if p.version == 4 and p.subnet_of(internet) and p != learned[i]]
        if foreign:
            bad.append("tenant %d has %s" % (i, foreign))
print("%d of %d tenants wrong%s" % (len(bad), n, (": " + "; ".join(bad[:5])) if bad else ""))
sys.exit(1 if bad else 0)
EOF
}
own_routes() { routes_check own; }
LAB_WAIT_TRIES=300 ok "each of the $N tenants has its own prefix from bird installed, via 10.99.0.2 (show routes tenant=NAME)" lab_wait_for own_routes
ok "no tenant has another tenant's prefix" routes_check others

# contoso's VM uses contoso's prefix; fabrikam's VM, with the very same CA (10.1.1.10), has no
# route to it, while it does use its own.
ok "contoso's vma1 (10.1.1.10) pings $(learned_host 1) in its learned prefix, through the gateway" \
  lab_wait_for vm vma1 ping -c 1 -W 1 "$(learned_host 1)"
in_echos() { ip netns exec "$1" awk '/^Icmp:/ {if (!h) {for (i = 1; i <= NF; i++) if ($i == "InEchos") c = i; h = 1} else print $c}' /proc/net/snmp; }
# Succeeds (so that nok fails) unless vmb1's ping fails with an ICMP unreachable, no echo
# request having reached bird's namespace.
vmb1_reaches_contoso_prefix() {
  local before out rc
  before=$(in_echos "$NS_EXT")
  out=$(vm vmb1 ping -c 1 -W 2 "$(learned_host 1)" 2>&1)
  rc=$?
  echo "$out"
  [ $rc -eq 0 ] && return 0
  [ "$(in_echos "$NS_EXT")" -ne "$before" ] && { echo "an echo request reached bird's namespace"; return 0; }
  grep -q "Unreachable" <<<"$out" || { echo "no ICMP unreachable"; return 0; }
  return 1
}
nok_counted "fabrikam's vmb1 (the same 10.1.1.10) has no route to $(learned_host 1): ICMP unreachable, nothing reaches bird" \
  gw route.no_route 1 vmb1_reaches_contoso_prefix
uses_own() {
  local before now
  before=$(in_echos "$NS_EXT")
  # bird's namespace answers to 10.1.1.10, which the external port forwards into contoso: count
  # the requests where they arrive instead.
  vm vmb1 ping -c 3 -i 0.2 -W 1 "$(learned_host 2)" >/dev/null 2>&1
  now=$(in_echos "$NS_EXT")
  echo "echo requests in bird's namespace: $before -> $now"
  [ "$now" -ge $((before + 3)) ]
}
ok "while its echo requests to $(learned_host 2), in fabrikam's own prefix, do reach bird's namespace" lab_wait_for uses_own

# The memory of every FRR daemon of every tenant, and the BENCH line.
mem_measured() { routed_mem "$LAB_DIR/mem" "${TENANTS[@]}"; }
ok "the FRR daemons of all $N tenants are running" mem_measured
echo "# $N routed tenants: FRR memory per daemon type (MiB; avg = per process)"
routed_mem_table "$LAB_DIR/mem"
echo "# $ROUTED_DAEMONS FRR daemons: PSS $ROUTED_PSS_MIB MiB (RSS summed: $ROUTED_RSS_MIB MiB)"
BENCH=$(awk -v n="$N" -v e="$n_est" -v s="$STARTUP_S" -v p="$ROUTED_PSS_MIB" \
  'BEGIN {printf "BENCH name=bgp_tenants tenants=%d established=%d startup_s=%s rss_mib=%s mib_per_tenant=%.2f", n, e, s, p, p / n}')
ok "the start time and memory were measured (no zero or empty figure)" bench_line_ok "$BENCH"
bench_line_ok "$BENCH" >/dev/null && echo "$BENCH"

routed_gw_stop gw 180
echo "# hnvgwd stopped with $N routed tenants in ${ROUTED_STOP_S:-(killed)} s"
lab_done
