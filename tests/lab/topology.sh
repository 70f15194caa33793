# SPDX-License-Identifier: Apache-2.0
# The standard hnvgw lab, shared by the lab tests and `make demo`:
#
#   [vma1 10.1.1.10]  [vma2 10.1.2.10]   contoso  (VSIDs 5001, 5002)
#   [vmb1 10.1.1.10]  [vmb2 10.1.2.10]   fabrikam (VSIDs 6001, 6002): the very same CAs
#          \   |   |   /
#        host-role hnvgwd (PA 10.0.0.2)             gateway-role hnvgwd (PA 10.0.0.1)
#                 \                                   /                 \
#                  +------ PA switch 10.0.0.0/24 ----+      external 10.99.0.0/24
#                                                                  [ext 10.99.0.2]
#                                                                        |  (LAB_INTERNET=1)
#                                                           "internet" 198.18.1.0/24
#                                                                  [inet 198.18.1.2]
#
# With LAB_INTERNET=1, ext is also a router: it forwards between the external network and a host
# "inet" (198.18.1.2, default route via ext's 198.18.1.1) and routes the NAT public addresses
# 198.18.0.0/24 to the gateway (10.99.0.1). The gateway reaches the internet through the next hop
# 10.99.0.2 (it learns ARP only from senders on the external network, so not "on-link"). Off by
# default: a routed path back to NAT addresses would change what the other tests see.
#
# LAB_GW_CONF_EDIT, when set, changes the gateway's copy of conf/hnvgw.conf before it starts: the
# name of a shell function (called with the file's path) or a sed script (sed -i -e). It must
# succeed, or the topology fails. LAB_GW_UP_HOOK, when set, names a shell function run once the
# gateway is up and its taps are wired, before the host node starts; it must succeed too.
# Every VM is a namespace with a real kernel stack behind a net_tap port of the host node. The
# host switches within a VSID and sends everything for a subnet's gateway to the gateway node
# (its GatewayWildcard record), which routes inside each tenant's routing domain.
# Requires lib.sh. Defines NS_* variables and starts both daemons.
# With LAB_GW_NODE=none the gateway is left out: the caller attaches its own to br0 in NS_PA and
# to NS_EXT (the gateway VM of tests/image/), and sets up the external side.

VM_NAMES=(vma1 vma2 vmb1 vmb2)
declare -A VM_VSID=([vma1]=5001 [vma2]=5002 [vmb1]=6001 [vmb2]=6002)
declare -A VM_IP=([vma1]=10.1.1.10 [vma2]=10.1.2.10 [vmb1]=10.1.1.10 [vmb2]=10.1.2.10)
declare -A VM_GW=([vma1]=10.1.1.1 [vma2]=10.1.2.1 [vmb1]=10.1.1.1 [vmb2]=10.1.2.1)
declare -A VM_MAC=([vma1]=02:00:00:00:10:10 [vma2]=02:00:00:00:20:10 [vmb1]=02:00:00:00:30:10 [vmb2]=02:00:00:00:40:10)

# The tenants as the host node knows them: the same subnets, gateway CAs and MACs as the gateway's
# conf/hnvgw.conf.
lab_tenants_conf() {
  cat <<EOT
tenant "contoso" {
  id = 1
  subnet "web" { vsid = 5001  prefix = "10.1.1.0/24"  gateway_ip = "10.1.1.1"  gateway_mac = "02:00:00:00:01:01" }
  subnet "db"  { vsid = 5002  prefix = "10.1.2.0/24"  gateway_ip = "10.1.2.1"  gateway_mac = "02:00:00:00:02:01" }
}
tenant "fabrikam" {
  id = 2
  subnet "web" { vsid = 6001  prefix = "10.1.1.0/24"  gateway_ip = "10.1.1.1"  gateway_mac = "02:00:00:00:03:01" }
  subnet "db"  { vsid = 6002  prefix = "10.1.2.0/24"  gateway_ip = "10.1.2.1"  gateway_mac = "02:00:00:00:04:01" }
}
EOT
  for vm in "${VM_NAMES[@]}"; do
    echo "lookup_record { ca = \"${VM_IP[$vm]}\"  vsid = ${VM_VSID[$vm]}  pa = \"10.0.0.2\"  mac = \"${VM_MAC[$vm]}\" }"
  done
}

lab_write_configs() {
  # The gateway runs the shipped default config, with only its control socket moved into the lab.
  sed "s|^\(\s*control_socket = \).*|\1\"$LAB_DIR/gw.sock\"|" "$LAB_TOP/conf/hnvgw.conf" >"$LAB_DIR/gw.conf"
  grep -q "$LAB_DIR/gw.sock" "$LAB_DIR/gw.conf" || { echo "# conf/hnvgw.conf has no control_socket line"; return 1; }
  # A test's variant of the shipped file: LAB_GW_CONF_EDIT is a shell function, called with the
  # file's path, or else a sed script applied to it in place.
  if [ -n "${LAB_GW_CONF_EDIT:-}" ]; then
    if declare -F "$LAB_GW_CONF_EDIT" >/dev/null; then
      "$LAB_GW_CONF_EDIT" "$LAB_DIR/gw.conf"
    else
      sed -i -e "$LAB_GW_CONF_EDIT" "$LAB_DIR/gw.conf"
    fi || { echo "# LAB_GW_CONF_EDIT ($LAB_GW_CONF_EDIT) failed"; return 1; }
  fi

  cat >"$LAB_DIR/host.conf" <<EOT
node {
  name = "host1"
  roles = {"host"}
  eal_args = {"--in-memory", "--no-pci", "--log-level=lib.eal:error"}
  workers = ${LAB_HOST_WORKERS:-2}
  control_socket = "$LAB_DIR/host.sock"
  provider_addresses = {"10.0.0.2"}
}
port "pa0" {
  kind = "provider"
  devargs = "net_tap0,iface=hpa0"
  mac = "02:00:0a:00:00:02"
  address = "10.0.0.2/24"
}
EOT
  local i=1
  for vm in "${VM_NAMES[@]}"; do
    cat >>"$LAB_DIR/host.conf" <<EOT
port "$vm" {
  kind = "vm"
  devargs = "net_tap$i,iface=$vm"
  mac = "${VM_MAC[$vm]}"
  vsid = ${VM_VSID[$vm]}
  ca = "${VM_IP[$vm]}"
}
EOT
    i=$((i + 1))
  done
  lab_tenants_conf >>"$LAB_DIR/host.conf"
  # Extra host records, e.g. an independent NVGRE host's VMs (test_ovs.sh).
  [ -n "${LAB_EXTRA_HOST_RECORDS:-}" ] && echo "$LAB_EXTRA_HOST_RECORDS" >>"$LAB_DIR/host.conf"
  for vsid in 5001 5002 6001 6002; do
    echo "lookup_record { ca = \"0.0.0.0\"  vsid = $vsid  pa = \"10.0.0.1\"  mac = \"02:00:0a:00:00:01\"  type = \"gatewaywildcard\" }" >>"$LAB_DIR/host.conf"
  done
}

# Builds the namespaces, starts both daemons and wires their taps.
lab_topology_up() {
  NS_PA=$(lab_netns pa)
  NS_GW=$(lab_netns gw)
  NS_HOST=$(lab_netns host)
  NS_EXT=$(lab_netns ext)
  declare -gA NS_VM
  for vm in "${VM_NAMES[@]}"; do NS_VM[$vm]=$(lab_netns "$vm"); done
  lab_bridge "$NS_PA" br0
  # The PA switch must pass frames unjudged (malformed ones included): no bridge netfilter.
  ip netns exec "$NS_PA" sysctl -qw net.bridge.bridge-nf-call-iptables=0 2>/dev/null || true
  lab_write_configs || return 1

  if [ "${LAB_GW_NODE:-daemon}" = daemon ]; then
    lab_hnvgwd "$NS_GW" "$LAB_DIR/gw.conf" gw || return 1
    lab_tap_move "$NS_GW" hnvpa0 "$NS_PA" auto || return 1
    ip -n "$NS_PA" link set hnvpa0 master br0
    lab_tap_move "$NS_GW" hnvext0 "$NS_EXT" 02:00:0a:63:00:02 10.99.0.2/24 || return 1
    ip -n "$NS_EXT" route add 10.1.0.0/16 via 10.99.0.1
    if [ "${LAB_INTERNET:-0}" = 1 ]; then lab_internet_up || return 1; fi
    # A test's own step once the gateway is wired, before the host starts (e.g. its peers).
    if [ -n "${LAB_GW_UP_HOOK:-}" ]; then "$LAB_GW_UP_HOOK" || { echo "# LAB_GW_UP_HOOK ($LAB_GW_UP_HOOK) failed"; return 1; }; fi
  fi

  lab_hnvgwd "$NS_HOST" "$LAB_DIR/host.conf" host || return 1
  lab_tap_move "$NS_HOST" hpa0 "$NS_PA" auto || return 1
  ip -n "$NS_PA" link set hpa0 master br0
  for vm in "${VM_NAMES[@]}"; do
    lab_tap_move "$NS_HOST" "$vm" "${NS_VM[$vm]}" "${VM_MAC[$vm]}" "${VM_IP[$vm]}/24" || return 1
    ip -n "${NS_VM[$vm]}" link set "$vm" mtu 1458
    ip -n "${NS_VM[$vm]}" route add default via "${VM_GW[$vm]}"
  done
}

# lab_internet_up: the "internet" behind ext (see the top of this file); sets NS_INET.
lab_internet_up() {
  NS_INET=$(lab_netns inet)
  lab_veth "$NS_EXT" inet0 "$NS_INET" eth0 || return 1
  ip -n "$NS_EXT" addr add 198.18.1.1/24 dev inet0 || return 1
  ip -n "$NS_INET" addr add 198.18.1.2/24 dev eth0 || return 1
  ip -n "$NS_INET" route add default via 198.18.1.1 || return 1
  ip -n "$NS_EXT" route add 198.18.0.0/24 via 10.99.0.1 || return 1
  ip netns exec "$NS_EXT" sysctl -qw net.ipv4.ip_forward=1 || return 1
  # Every probe of a traceroute gets its ICMP error: no kernel rate limit on the lab's routers.
  local ns
  for ns in "$NS_EXT" "$NS_INET"; do ip netns exec "$ns" sysctl -qw net.ipv4.icmp_ratelimit=0 || return 1; done
}

# lab_http NS NAME: an HTTP server on port 8080 in NS whose index says NAME.
lab_http() {
  local dir="$LAB_DIR/www-$2"
  mkdir -p "$dir"
  echo "hello from $2" >"$dir/index.html"
  ip netns exec "$1" $LAB_PY -m http.server 8080 --bind 0.0.0.0 --directory "$dir" >/dev/null 2>&1 &
  lab_track_pid $!
  lab_wait_for ip netns exec "$1" curl -s -o /dev/null http://127.0.0.1:8080/
}

# lab_http_peer NS [PORT]: an HTTP server on PORT (8080) in NS whose every page is the address of
# the client it sees, e.g. "198.18.0.10" (what a NAT made of the source).
lab_http_peer() {
  local port=${2:-8080}
  ip netns exec "$1" $LAB_PY -c '
import http.server, sys
class Peer(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = (self.client_address[0] + "\n").encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer(("0.0.0.0", int(sys.argv[1])), Peer).serve_forever()' "$port" >/dev/null 2>&1 &
  lab_track_pid $!
  lab_wait_for ip netns exec "$1" curl -s -o /dev/null "http://127.0.0.1:$port/"
}

# lab_udp_peer NS PORT: a UDP echo server on PORT in NS that answers each datagram with the
# address and port it came from, a space, and the datagram: "198.18.0.10:40123 hello".
lab_udp_peer() {
  ip netns exec "$1" $LAB_PY -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", int(sys.argv[1])))
while True:
    data, peer = s.recvfrom(65535)
    s.sendto(("%s:%d " % peer).encode() + data, peer)' "$2" >/dev/null 2>&1 &
  lab_track_pid $!
  lab_wait_for _lab_udp_bound "$1" "$2"
}

_lab_udp_bound() { ip netns exec "$1" ss -Hlun "sport = :$2" | grep -q .; }
