# SPDX-License-Identifier: Apache-2.0
# A gateway PAIR in the standard lab (topology.sh), in place of its single gateway:
#
#   host node + VMs --- br0 (PA 10.0.0.0/24) ---+--- gwa (own 10.0.0.11) ---+--- br1 in ext
#                                               +--- gwb (own 10.0.0.12) ---+    (10.99.0.2)
#                                                      \__ sync link ___/
#                                                     10.30.0.1  10.30.0.2
#
# Both nodes run the shipped config with its shared addresses (PA 10.0.0.1, external 10.99.0.1,
# NAT publics) made virtual by a cluster section; each has its own provider address and MACs.
# gwa has priority 200, gwb 100 (LAB_PAIR_PRIO_A/B), adverts every 100 ms, preempt on unless
# LAB_PAIR_PREEMPT=false. The sync link is a veth between the two gateway namespaces. Each node
# has a private /run (LAB_PRIVATE_RUN): their compartments and IKE daemons do not meet.
# Requires lib.sh and topology.sh. Sets NS_GWA, NS_GWB, and (LAB_INTERNET=1) NS_INET.

LAB_PAIR_SECRET=${LAB_PAIR_SECRET:-hnvgw-lab-pair-secret-0123456789}

# lab_pair_conf NODE(a|b) OWN_LAST_OCTET PRIORITY SYNC_OWN SYNC_PEER: the node's config from the
# lab's gateway config ($LAB_DIR/gw.conf).
lab_pair_conf() {
  local n=$1 own=$2 prio=$3 sync_own=$4 sync_peer=$5 f="$LAB_DIR/gw$1.conf"
  sed -e "s|\"$LAB_DIR/gw.sock\"|\"$LAB_DIR/gw$n.sock\"|" \
    -e "s|^\(\s*name = \)\"gw1\"|\1\"gw$n\"|" \
    -e "s|iface=hnvpa0|iface=${n}pa0|" -e "s|iface=hnvext0|iface=${n}ext0|" \
    -e "s|\"02:00:0a:00:00:01\"|\"02:00:0a:00:00:$own\"|" \
    -e "s|\"02:00:0a:63:00:01\"|\"02:00:0a:63:00:$own\"|" \
    -e "s|^\(\s*address = \)\"10.0.0.1/24\"|\1\"10.0.0.$own/24\"|" \
    "$LAB_DIR/gw.conf" >"$f" || return 1
  grep -q "\"10.0.0.$own/24\"" "$f" && grep -q "iface=${n}pa0" "$f" && grep -q "gw$n.sock" "$f" ||
    { echo "# lab_pair_conf: conf/hnvgw.conf changed shape; cannot make gw$n.conf"; return 1; }
  # The cluster section goes inside node { }: after its first line.
  sed -i "0,/^node {/s||node {\n  cluster {\n    vrid = 10\n    priority = $prio\n    preempt = ${LAB_PAIR_PREEMPT:-true}\n    advert_interval_ms = 100\n    peer = \"$sync_peer\"\n    sync_address = \"$sync_own\"\n    secret = \"$LAB_PAIR_SECRET\"\n  }|" "$f"
  grep -q "sync_address = \"$sync_own\"" "$f" || { echo "# lab_pair_conf: no node section"; return 1; }
}

# lab_pair_start NODE: starts gateway NODE (a|b) in its namespace and wires its taps (again
# after a kill: the namespace and the sync link stay).
lab_pair_start() {
  local n=$1 ns own
  if [ "$n" = a ]; then ns=$NS_GWA; own=11; else ns=$NS_GWB; own=12; fi
  LAB_PRIVATE_RUN=1 lab_hnvgwd "$ns" "$LAB_DIR/gw$n.conf" "gw$n" || return 1
  lab_tap_move "$ns" "${n}pa0" "$NS_PA" auto || return 1
  ip -n "$NS_PA" link set "${n}pa0" master br0 || return 1
  lab_tap_move "$ns" "${n}ext0" "$NS_EXT" auto || return 1
  ip -n "$NS_EXT" link set "${n}ext0" master br1 || return 1
}

# lab_pair_up: the lab, both gateways, the sync link; waits for one of them to be active.
lab_pair_up() {
  LAB_GW_NODE=none lab_topology_up || return 1
  NS_GWA=$(lab_netns gwa) && NS_GWB=$(lab_netns gwb) || return 1
  lab_veth "$NS_GWA" sync0 "$NS_GWB" sync0 || return 1
  ip -n "$NS_GWA" addr add 10.30.0.1/24 dev sync0 && ip -n "$NS_GWB" addr add 10.30.0.2/24 dev sync0 ||
    return 1
  # The external network becomes a switch with ext on it.
  lab_bridge "$NS_EXT" br1 || return 1
  ip -n "$NS_EXT" link set br1 address 02:00:0a:63:00:02
  ip -n "$NS_EXT" addr add 10.99.0.2/24 dev br1 || return 1
  ip -n "$NS_EXT" route add 10.1.0.0/16 via 10.99.0.1 || return 1
  if [ "${LAB_INTERNET:-0}" = 1 ]; then lab_internet_up || return 1; fi
  lab_pair_conf a 11 "${LAB_PAIR_PRIO_A:-200}" 10.30.0.1 10.30.0.2 || return 1
  lab_pair_conf b 12 "${LAB_PAIR_PRIO_B:-100}" 10.30.0.2 10.30.0.1 || return 1
  lab_pair_start a && lab_pair_start b || return 1
  lab_wait_for lab_pair_active_is a || { echo "# no node became active"; ctl gwa show cluster; return 1; }
}

# lab_pair_role NODE: the role NODE's hnvgwd reports (active, passive, ...).
lab_pair_role() {
  ctl "gw$1" --json show cluster | $LAB_PY -c 'import json, sys; print(json.load(sys.stdin)["role"])'
}

# lab_pair_active_is NODE: NODE is active and the other passive.
lab_pair_active_is() {
  local other=b
  [ "$1" = b ] && other=a
  [ "$(lab_pair_role "$1")" = active ] && [ "$(lab_pair_role "$other")" = passive ]
}
