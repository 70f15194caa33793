#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Lab: a route-based tunnel (0.0.0.0/0 selectors both ways) whose routes come from BGP. contoso's
# FRR (in its compartment) peers through the tunnel with bird2 on the on-premises site's router
# (stock charon with kernel-libipsec); the tunnel's only configured route is the peer's address,
# 172.16.255.1/32. bird announces 192.168.91.0/24 (a host behind the site); the route reaches
# contoso's FIB through FPM, pointing into the tunnel, and a VM's traffic follows it; withdrawn,
# it is gone.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topology.sh"
. "$(dirname "$0")/ipsec_site.sh"
lab_init ipsecroute
lab_plan 11

PSK="contoso-route-based-0123456789"
PEER=172.16.255.1
HOST=192.168.91.10

route_lab_conf() {
  $LAB_PY - "$1" <<'EOF'
import re, sys
path = sys.argv[1]
s = open(path).read()
block = '''  routing {
    asn = 65001
    router_id = "10.1.1.1"
    neighbor "172.16.255.1" {
      remote_as = 65010
      keepalive = 3
      hold = 9
      ebgp_multihop = true
    }
  }
  vpn {
    local_address = "198.18.0.100"
    tunnel "onprem" {
      remote_address = "198.18.2.2"
      auth = "psk"
      psk = "contoso-route-based-0123456789"
      mode = "route"
      routes = {"172.16.255.1/32"}
    }
  }
'''
s, n = re.subn(r'(tenant "contoso" \{\n)', lambda m: m.group(1) + block, s)
assert n == 1
s = s.replace('  address = "10.99.0.1/24"\n', '  address = "10.99.0.1/24"\n  gateway = "10.99.0.2"\n', 1)
assert 'gateway = "10.99.0.2"' in s
open(path, "w").write(s)
EOF
}
LAB_GW_CONF_EDIT=route_lab_conf
LAB_INTERNET=1
lab_topology_up || { echo "# topology failed"; exit 1; }
vm() { local n=$1; shift; ip netns exec "${NS_VM[$n]}" "$@"; }

# The site: its router runs charon and bird (BGP from 172.16.255.1 on its loopback); the host
# behind it also answers on 192.168.91.10.
lab_site_up A "$NS_EXT" 198.18.2.2/24 198.18.2.1 172.16.1.1/24 172.16.1.10/24 || exit 1
ip -n "$NS_EXT" addr add 198.18.2.1/24 dev s-A
ip -n "${SITE_NS[A]}" addr add $PEER/32 dev lo
ip -n "${SITE_HOST_NS[A]}" addr add $HOST/32 dev lo
ip -n "${SITE_NS[A]}" route add 192.168.91.0/24 via 172.16.1.10
# charon routes 0.0.0.0/0 into its TUN (table 220, ahead of main): the site's own networks must
# stay local, as on any route-based site.
ip -n "${SITE_NS[A]}" rule add to 192.168.91.0/24 lookup main priority 200
ip -n "${SITE_NS[A]}" rule add to 172.16.0.0/16 lookup main priority 200
cat >"${SITE_DIR[A]}/swanctl/swanctl.conf" <<EOT
connections {
  gw {
    version = 2
    local_addrs = 198.18.2.2
    remote_addrs = 198.18.0.100
    proposals = aes256gcm16-prfsha384-ecp384
    local { auth = psk
      id = 198.18.2.2 }
    remote { auth = psk
      id = 198.18.0.100 }
    children {
      gw {
        local_ts = 0.0.0.0/0
        remote_ts = 0.0.0.0/0
        esp_proposals = aes256gcm16-ecp384
        start_action = none
      }
    }
  }
}
secrets { ike-gw { id = 198.18.0.100
  secret = "$PSK" } }
EOT
lab_site_load A >/dev/null 2>&1 || { echo "# site config refused"; lab_site_load A; exit 1; }
lab_http "${SITE_HOST_NS[A]}" onprem
cat >"$LAB_DIR/bird.conf" <<EOT
router id $PEER;
protocol device {}
protocol static onprem { ipv4; route 192.168.91.0/24 via 172.16.1.10; }
protocol bgp contoso {
  local $PEER as 65010;
  neighbor 10.1.1.1 as 65001;
  multihop;
  hold time 9;
  keepalive time 3;
  ipv4 { import all; export where proto = "onprem"; };
}
EOT
ip netns exec "${SITE_NS[A]}" bird -f -c "$LAB_DIR/bird.conf" -s "$LAB_DIR/bird.ctl" >"$LAB_DIR/bird.log" 2>&1 &
lab_track_pid $!
birdc_() { birdc -s "$LAB_DIR/bird.ctl" "$@"; }
FRR_DIR=/run/hnvgw/frr/contoso
track_frr() { local d p; for d in zebra staticd bgpd; do p=$(cat "$FRR_DIR/$d.pid" 2>/dev/null) && [ -n "$p" ] && lab_track_pid "$p"; done; return 0; }
lab_wait_for test -s "$FRR_DIR/bgpd.pid"
track_frr

vpn_field() { ctl gw show vpn --json | $LAB_PY -c "import json,sys; print(json.load(sys.stdin)[0]['$1'])"; }
child_installed() { [ "$(vpn_field child)" = INSTALLED ]; }
bgp_up() { birdc_ show protocols contoso | grep -q Established; }
route_via_tunnel() { # route_via_tunnel PREFIX: contoso's FIB sends PREFIX into the tunnel
  ctl gw --json show routes tenant=contoso | $LAB_PY -c "
import json, sys
rows = [r for r in json.load(sys.stdin) if r.get('prefix') == '$1']
sys.exit(0 if rows and 'tunnel' in json.dumps(rows[0]) else 1)"
}
route_absent() { ! ctl gw --json show routes tenant=contoso | grep -q "\"$1\""; }

ok "the route-based tunnel comes up with 0.0.0.0/0 selectors" lab_wait_for child_installed
ok "the site's charon installed 0.0.0.0/0 both ways" sh -c "[ \$(swanctl --list-sas --uri unix://${SITE_DIR[A]}/charon.vici | grep -cE '^ *(local|remote) +0.0.0.0/0\$') = 2 ]"
LAB_WAIT_TRIES=300 lab_wait_for bgp_up
ok "contoso's bgpd and the site's bird2 are Established through the tunnel" bgp_up
bird_has() { birdc_ show route protocol contoso | grep -q "$1"; }
ok "bird learned contoso's subnets from it" lab_wait_for bird_has 10.1.1.0/24
ok "contoso's FIB has the on-premises prefix, into the tunnel" lab_wait_for route_via_tunnel 192.168.91.0/24
ok "a contoso VM reaches the host behind the site along it" lab_wait_for vm vma1 ping -c 1 -W 1 $HOST
ok "and fetches a page from it over TCP" sh -c "ip netns exec ${NS_VM[vma1]} curl -s -m 5 http://$HOST:8080/ | grep -qx 'hello from onprem'"
birdc_ disable onprem >/dev/null
ok "withdrawn by bird, the prefix leaves contoso's FIB" lab_wait_for route_absent 192.168.91.0/24
# The echo request takes contoso's default route, NAT to the internet, whose router has no route
# to the site: it is translated once, and never enters the tunnel.
nok_counted "and the host is out of reach" gw nat.in2out 1 vm vma1 ping -c 1 -W 1 $HOST
birdc_ enable onprem >/dev/null
ok "announced again, traffic follows it again" lab_wait_for vm vma1 ping -c 1 -W 1 $HOST

lab_done
