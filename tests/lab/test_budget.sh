#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A config that --check-config passes starts; one it refuses is refused by the daemon too, with
# the same message, before the EAL. Two generated gateways with 40 routed tenants: one with the
# automatic packet pool (3 DPDK ports: the 40 compartments share one exception port, a VLAN
# each), one whose node.mbufs is too small for the ports' rx rings.
# Also prints the hugepage memory the running daemon took next to the budget's estimate.
# Run under the lab lock: flock /tmp/hnvgw-lab.lock timeout 900 bash tests/lab/test_budget.sh
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/routed.sh"
lab_init budget
lab_plan 10
export LAB_PRIVATE_RUN=1

# gen N MBUFS: a gateway config with N routed tenants (no BGP neighbor: the exception port and
# the FRR instance are what count here).
gen() {
  local n=$1 mbufs=$2 i
  routed_conf_head gw1 "$mbufs"
  for i in $(seq 1 "$n"); do
    cat <<EOF
tenant "t$i" {
  id = $i
  subnet "s" {
    vsid = $((5000 + i))
    prefix = "10.$i.1.0/24"
    gateway_ip = "10.$i.1.1"
    gateway_mac = "02:00:00:00:$(printf %02x "$i"):01"
  }
  routing {
    asn = 65001
    router_id = "10.$i.1.1"
  }
}
EOF
  done
}

gen 40 0 >"$LAB_DIR/t40.conf"
gen 40 4500 >"$LAB_DIR/small.conf"
NS=$(lab_netns gw) || exit 1

# 40 routed tenants: accepted, and the daemon starts with its 3 ports.
ok "--check-config accepts 40 routed tenants (3 ports)" sh -c \
  "'$HNVGWD' -c '$LAB_DIR/t40.conf' --check-config | grep -q 'budget: ports  3 / 32 (2 configured, 1 shared by 40 routed tenants'"
"$HNVGWD" -c "$LAB_DIR/t40.conf" --check-config 2>&1 | sed 's/^/# /'
free_before=$(awk '/HugePages_Free/ {print $2}' /proc/meminfo)
ok "hnvgwd starts with 40 routed tenants" lab_hnvgwd "$NS" "$LAB_DIR/t40.conf" gw
"$HNVGWCTL" -s "$LAB_DIR/gw.sock" show ports | sed 's/^/# /'
ok "the 40 compartments share one exception port: 3 DPDK ports in all" sh -c \
  "[ \$('$HNVGWCTL' -s '$LAB_DIR/gw.sock' show ports | grep -c compartments0) -eq 1 ] &&
   [ \$('$HNVGWCTL' -s '$LAB_DIR/gw.sock' --json show ports | $LAB_PY -c 'import json,sys; print(len(json.load(sys.stdin)))') -eq 3 ]"
free_after=$(awk '/HugePages_Free/ {print $2}' /proc/meminfo)
echo "# hugepages the daemon took: $(((free_before - free_after) * 2)) MiB (2 MiB pages);" \
  "budget estimate: $("$HNVGWD" -c "$LAB_DIR/t40.conf" --check-config | awk '/budget: memory/ {print $3, $4}')"

# Each compartment holds one veth of the shared port's bridge: read from inside, through its zebra
# (the compartments live in the daemon's private /run).
pid=$(cat "$LAB_DIR/gw.pid")
links() {
  local z
  for z in $(cat /proc/"$pid"/task/*/children); do
    [ "$(cat /proc/"$z"/comm 2>/dev/null)" = zebra ] || continue
    nsenter --net=/proc/"$z"/ns/net ip -o link show type veth | grep -o 'hnvx[0-9]*@' | tr -d @
  done
}
lab_wait_for sh -c "[ \$(cat /proc/$pid/task/*/children | wc -w) -ge 80 ]"
links | sort >"$LAB_DIR/links"
ok "40 compartments, each with its own veth" sh -c \
  "[ \$(wc -l <'$LAB_DIR/links') -eq 40 ] && [ \$(sort -u '$LAB_DIR/links' | wc -l) -eq 40 ]"
ip netns exec "$NS" bridge -d link show | grep -c 'master hnvxbr0' | sed 's/^/# bridge ports: /'
ok "the bridge has the TAP and 40 locked, isolated compartment ports" sh -c \
  "[ \$(ip netns exec $NS bridge -d link show | grep -A3 'hnvxh' | grep -c 'isolated on') -eq 40 ] &&
   [ \$(ip netns exec $NS bridge -d link show | grep -A3 'hnvxh' | grep -c 'locked on') -eq 40 ] &&
   ip netns exec $NS bridge link show | grep -q 'hnvxc0.*master hnvxbr0'"
kill -TERM "$pid"
for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
ok "the 40-tenant daemon stops" sh -c "! kill -0 $pid 2>/dev/null"

# Too few packet buffers: refused by both, with the same message naming the shared port's
# tenant (the first routed one).
"$HNVGWD" -c "$LAB_DIR/small.conf" --check-config >"$LAB_DIR/small.out" 2>"$LAB_DIR/small.err"
rc=$?
ok "--check-config refuses node.mbufs = 4500" [ "$rc" -ne 0 ]
line=$(grep -n 'router_id = "10.1.1.1"' "$LAB_DIR/small.conf" | cut -d: -f1)
ok "the refusal names the routing section of tenant t1 (line $((line - 2)))" \
  grep -q "^hnvgwd: $LAB_DIR/small.conf:$((line - 2)): tenant \"t1\" routing (a shared exception port, 4094 compartments): the packet buffers run out" "$LAB_DIR/small.err"
sed 's/^/# /' "$LAB_DIR/small.err"
ip netns exec "$NS" "$HNVGWD" -c "$LAB_DIR/small.conf" >"$LAB_DIR/dsmall.log" 2>&1
rc=$?
sed 's/^/# /' "$LAB_DIR/dsmall.log"
ok "hnvgwd refuses to start with it" [ "$rc" -ne 0 ]
msg=$(sed 's/^hnvgwd: //' "$LAB_DIR/small.err")
ok "with the same message, before the EAL" sh -c "grep -qF -- '$msg' '$LAB_DIR/dsmall.log' && ! grep -q EAL '$LAB_DIR/dsmall.log'"
lab_done
