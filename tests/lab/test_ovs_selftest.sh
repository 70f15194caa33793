#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Lab self-check (not the product): the OVS NVGRE host recipe of lib.sh works on its own, without
# hnvgw. Two independent OVS userspace NVGRE hosts on a PA switch, one VM each, VSID 5001:
#
#   [vm1 10.1.1.11] -- ovs1 (PA 10.0.0.11) --+-- pa switch (br0) --+-- ovs2 (PA 10.0.0.12) -- [vm2 10.1.1.12]
#
# Asserts that the VMs ping each other and that the wire is NVGRE: GRE flags word 0x2000 (key bit
# only), protocol 0x6558, key >> 8 == VSID.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
lab_init ovsself
lab_plan 11

VSID=5001
NS_PA=$(lab_netns pa)
NS_H1=$(lab_netns h1)
NS_H2=$(lab_netns h2)
NS_VM1=$(lab_netns vm1)
NS_VM2=$(lab_netns vm2)

lab_bridge "$NS_PA" br0
lab_veth "$NS_H1" pa0 "$NS_PA" h1pa
lab_veth "$NS_H2" pa0 "$NS_PA" h2pa
ip -n "$NS_PA" link set h1pa master br0
ip -n "$NS_PA" link set h2pa master br0

lab_ovs_start "$NS_H1"
lab_ovs_start "$NS_H2"
lab_ovs_nvgre_host "$NS_H1" pa0 10.0.0.11/24 10.0.0.12 $VSID "$NS_VM1" 10.1.1.11/24 02:00:00:01:01:11
lab_ovs_nvgre_host "$NS_H2" pa0 10.0.0.12/24 10.0.0.11 $VSID "$NS_VM2" 10.1.1.12/24 02:00:00:01:01:12

echo "# h1 OVS route to the remote PA: $(lab_ovs_appctl "$NS_H1" ovs/route/lookup 10.0.0.12 | tr '\n' ' ')"

# Capture on the PA switch while the VMs talk.
cap="$LAB_DIR/pa.pcap"
ip netns exec "$NS_PA" tshark -q -i br0 -f "ip proto 47" -w "$cap" >"$LAB_DIR/tshark.out" 2>&1 &
tpid=$!
lab_track_pid $tpid
ok "tshark is capturing on the PA switch" lab_wait_for grep -q "Capturing on" "$LAB_DIR/tshark.out"

# The first exchange also resolves the PA ARP (tnl/arp) and the CA ARP across the tunnel.
lab_wait_for ip netns exec "$NS_VM1" ping -c 1 -W 1 10.1.1.12 || true
ok "VM1 pings VM2 across NVGRE (VSID $VSID)" ip netns exec "$NS_VM1" ping -c 3 -W 2 10.1.1.12
ok "VM2 pings VM1 across NVGRE (VSID $VSID)" ip netns exec "$NS_VM2" ping -c 3 -W 2 10.1.1.11
h1_arp() { lab_ovs_appctl "$NS_H1" tnl/arp/show | grep -q '^10\.0\.0\.12 '; }
ok "OVS on h1 learnt the remote PA's MAC (tnl/arp)" h1_arp

sleep 0.5
kill -TERM $tpid 2>/dev/null || true
wait $tpid 2>/dev/null || true

fields=$(tshark -r "$cap" -Y gre -T fields -E separator=' ' \
  -e gre.flags_and_version -e gre.flags.key -e gre.flags.checksum -e gre.flags.sequence_number \
  -e gre.proto -e gre.key 2>/dev/null | sort | uniq -c)
echo "$fields" | sed 's/^/# tshark (count flags key csum seq proto key): /'
f() { echo "$fields" | awk -v c="$1" 'NF > 1 { print $c }' | sort -u; }

ok "wire: GRE packets were captured" test -n "$(f 7)"
ok "wire: GRE key bit set on every packet" test "$(f 3)" = 1
ok "wire: no checksum or sequence bit" test "$(f 4)$(f 5)" = 00
ok "wire: GRE flags word is exactly 0x2000" test "$(f 2)" = 0x2000
ok "wire: GRE protocol is 0x6558 (transparent Ethernet bridging)" test "$(f 6)" = 0x6558
ok "wire: key >> 8 == VSID $VSID on every packet" test \
  "$(f 7 | while read -r k; do echo $((k >> 8)); done | sort -u)" = "$VSID"
ok "wire: FlowID (key & 0xff) is 0" test \
  "$(f 7 | while read -r k; do echo $((k & 0xff)); done | sort -u)" = 0

lab_done
