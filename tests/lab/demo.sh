#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# make demo: the standard lab (tests/lab/topology.sh) on the default gateway config: two tenants
# with identical CAs behind a host-role node, a gateway-role node routing between their virtual
# subnets, to an external network, and through NAT44 to an "internet" behind it. Shows VMs pinging
# and fetching pages across subnets and through the NAT, then what the gateway shows. Everything is
# torn down at the end.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topology.sh"
lab_init demo
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
vm() { local n=$1; shift; ip netns exec "${NS_VM[$n]}" "$@"; }

say "Starting a gateway node (conf/hnvgw.conf) and a host node with four VMs"
LAB_INTERNET=1
lab_topology_up || { echo "demo: the lab did not come up"; exit 1; }
lab_http "${NS_VM[vma2]}" contoso-db
lab_http "${NS_VM[vmb2]}" fabrikam-db
lab_http "$NS_EXT" external-network
lab_http_peer "$NS_INET"
lab_wait_for vm vma1 ping -c 1 -W 1 10.1.2.10

say "contoso vma1 (10.1.1.10, VSID 5001) pings vma2 (10.1.2.10, VSID 5002) through the gateway"
vm vma1 ping -c 3 10.1.2.10
say "contoso vma1 fetches a page from vma2"
vm vma1 curl -s http://10.1.2.10:8080/
say "fabrikam vmb1 has the very same address and fetches from ITS 10.1.2.10"
vm vmb1 curl -s http://10.1.2.10:8080/
say "contoso vma1 reaches the external network through the forwarding gateway"
vm vma1 curl -s http://10.99.0.2:8080/
say "traceroute from vma1 to vma2 (the gateway answers as 10.1.1.1)"
vm vma1 traceroute -n -q 1 -w 1 10.1.2.10

say "NAT44: contoso vma1 and fabrikam vmb1 (both 10.1.1.10) fetch from the internet host 198.18.1.2,"
echo "whose page is the source address it sees"
vm vma1 curl -s http://198.18.1.2:8080/
vm vmb1 curl -s http://198.18.1.2:8080/
say "the internet reaches contoso vma1's web server through its static mapping 198.18.0.10:8080"
lab_http "${NS_VM[vma1]}" contoso-web-through-nat
lab_wait_for ip netns exec "$NS_INET" curl -s -o /dev/null http://198.18.0.10:8080/
ip netns exec "$NS_INET" curl -s http://198.18.0.10:8080/
say "traceroute from vma1 to the internet host: the ext router's ICMP errors come back through NAT"
vm vma1 traceroute -n -q 1 -w 1 198.18.1.2
say "hnvgwctl show nat";          ctl gw show nat
say "hnvgwctl show nat pools";    ctl gw show nat pools
say "hnvgwctl show nat sessions"; ctl gw show nat sessions
say "the mapping log (gateway journal)"
grep -h "nat \(mapping\|block\)" "$LAB_DIR/gw.log" | head -8

say "hnvgwctl trace start count=1, then one ping: the packet's path through the gateway"
ctl gw trace start count=1 >/dev/null
vm vma1 ping -c 1 -W 2 10.1.2.10 >/dev/null
ctl gw show trace

say "hnvgwctl show ports (gateway)";   ctl gw show ports
say "hnvgwctl show tenants (gateway)"; ctl gw show tenants
say "hnvgwctl show lookup (gateway)";  ctl gw show lookup
say "hnvgwctl show routes (gateway)";  ctl gw show routes
say "hnvgwctl show stats (gateway)";   ctl gw show stats
say "hnvgwctl show stats (host)";      ctl host show stats
say "Done; tearing the lab down"
