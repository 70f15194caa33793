#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A config that --check-config passes starts; one it refuses is refused by the daemon too, with
# the same message, before the EAL. Two generated gateways: 20 routed tenants (22 DPDK ports,
# node.mbufs raised so that their rx rings fit) and 40 (42 ports, over RTE_MAX_ETHPORTS 32).
# Also prints the hugepage memory the running daemon took next to the budget's estimate.
# Run under the lab lock: flock /tmp/hnvgw-lab.lock timeout 900 bash tests/lab/test_budget.sh
set -u
. "$(dirname "$0")/lib.sh"
lab_init budget
lab_plan 8
export LAB_PRIVATE_RUN=1

# gen N MBUFS: a gateway config with N routed tenants (no BGP neighbor: the exception port and
# the FRR instance are what count here).
gen() {
  local n=$1 mbufs=$2 i
  cat <<EOF
node {
  name = "gw1"
  roles = {"gateway"}
  eal_args = {"--in-memory", "--no-pci"}
  workers = 1
  mbufs = $mbufs
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
EOF
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

gen 20 65536 >"$LAB_DIR/t20.conf"
gen 40 65536 >"$LAB_DIR/t40.conf"
NS=$(lab_netns gw) || exit 1

# 20 routed tenants: accepted, and the daemon starts with its 22 ports.
ok "--check-config accepts 20 routed tenants (22 ports)" "$HNVGWD" -c "$LAB_DIR/t20.conf" --check-config
"$HNVGWD" -c "$LAB_DIR/t20.conf" --check-config 2>&1 | sed 's/^/# /'
free_before=$(awk '/HugePages_Free/ {print $2}' /proc/meminfo)
ok "hnvgwd starts with 20 routed tenants" lab_hnvgwd "$NS" "$LAB_DIR/t20.conf" gw
ok "all 22 DPDK ports are up" sh -c "[ \$('$HNVGWCTL' -s '$LAB_DIR/gw.sock' show ports | grep -c exc-) -eq 20 ]"
free_after=$(awk '/HugePages_Free/ {print $2}' /proc/meminfo)
echo "# hugepages the daemon took: $(((free_before - free_after) * 2)) MiB (2 MiB pages);" \
  "budget estimate: $("$HNVGWD" -c "$LAB_DIR/t20.conf" --check-config | awk '/budget: memory/ {print $3, $4}')"
pid=$(cat "$LAB_DIR/gw.pid")
kill -TERM "$pid"
for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
ok "the 20-tenant daemon stops" sh -c "! kill -0 $pid 2>/dev/null"

# 40 routed tenants: refused by both, with the same message naming the 31st routed tenant.
"$HNVGWD" -c "$LAB_DIR/t40.conf" --check-config >"$LAB_DIR/check40.out" 2>"$LAB_DIR/check40.err"
rc=$?
ok "--check-config refuses 40 routed tenants" [ "$rc" -ne 0 ]
line=$(grep -n 'router_id = "10.31.1.1"' "$LAB_DIR/t40.conf" | cut -d: -f1)
ok "the refusal names the routing section of tenant t31 (line $((line - 2)))" \
  grep -q "^hnvgwd: $LAB_DIR/t40.conf:$((line - 2)): tenant \"t31\" routing (its exception port) would be DPDK port 33" "$LAB_DIR/check40.err"
sed 's/^/# /' "$LAB_DIR/check40.err"
ip netns exec "$NS" "$HNVGWD" -c "$LAB_DIR/t40.conf" >"$LAB_DIR/d40.log" 2>&1
rc=$?
sed 's/^/# /' "$LAB_DIR/d40.log"
ok "hnvgwd refuses to start with 40 routed tenants" [ "$rc" -ne 0 ]
msg=$(sed 's/^hnvgwd: //' "$LAB_DIR/check40.err")
ok "with the same message, before the EAL" sh -c "grep -qF -- '$msg' '$LAB_DIR/d40.log' && ! grep -q EAL '$LAB_DIR/d40.log'"
lab_done
