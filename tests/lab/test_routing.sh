#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Lab: a tenant's FRR feeds the data plane over FPM. The gateway runs the shipped config plus a
# routing section for contoso; hnvgwd makes contoso's compartment (a netns), starts zebra (with
# dplane_fpm_nl), staticd (contoso has a static route) and bgpd in it, and takes the routes zebra
# selects into contoso's FIB. fabrikam, without static routes, gets no staticd.
# A static route in FRR (extra_config) to 192.168.77.0/24 via the external router 10.99.0.2
# steers a VM's ping; a route added at run time is swept after zebra and staticd are killed and
# restarted (their replay does not renew it); malformed FPM frames are counted and survived.
# The compartments reach the world through one shared exception port, the TAP hnvxc0: each has
# a VLAN device of it (hnvx1 in contoso's), whose default route leads into its routing domain.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topology.sh"
lab_init routing
lab_plan 37

routing_conf() {
  sed -i 's|^\(\s*\)forward_prefixes = {"10.1.0.0/16"}$|&\n\1routing {\n\1  asn = 65001\n\1  router_id = "10.1.1.1"\n\1  extra_config = "ip route 192.168.77.0/24 10.99.0.2"\n\1  neighbor "10.99.0.2" {\n\1    remote_as = 65002\n\1    keepalive = 3\n\1    hold = 9\n\1    ebgp_multihop = true\n\1  }\n\1}|' "$1" &&
    sed -i 's|^\(\s*\)id = 2$|&\n\1routing {\n\1  asn = 65001\n\1  router_id = "10.1.1.1"\n\1  neighbor "10.1.2.10" {\n\1    remote_as = 65003\n\1    keepalive = 3\n\1    hold = 9\n\1  }\n\1}|' "$1" &&
    [ "$(grep -c 'asn = 65001' "$1")" -eq 2 ] &&
    # Without NAT's default route, a withdrawn prefix has no route at all (ICMP unreachable).
    sed -i '/^  nat {$/,/^  }$/d' "$1" && ! grep -q '^  nat {' "$1"
}
LAB_GW_CONF_EDIT=routing_conf
lab_topology_up || { echo "# topology failed"; exit 1; }
FRR_DIR=/run/hnvgw/frr/contoso
vm() { local n=$1; shift; ip netns exec "${NS_VM[$n]}" "$@"; }

# The FRR daemons hnvgwd started, tracked so that the lab's cleanup stops them even if the
# daemon does not.
frr_pid() { cat "$FRR_DIR/$1.pid" 2>/dev/null; }
track_frr() { local d p; for d in zebra staticd bgpd; do p=$(frr_pid $d) && [ -n "$p" ] && lab_track_pid "$p"; done; return 0; }
frr_up() { local d; for d in zebra staticd bgpd; do [ -n "$(frr_pid $d)" ] && kill -0 "$(frr_pid $d)" 2>/dev/null || return 1; done; }
ok "hnvgwd started zebra, staticd and bgpd for contoso" lab_wait_for frr_up
track_frr
in_compartment() { nsenter --net="/proc/$(frr_pid zebra)/ns/net" "$@"; }

ip -n "$NS_EXT" addr add 192.168.77.1/32 dev lo
ip -n "$NS_EXT" addr add 192.168.78.1/32 dev lo

# The tenant's on-premises router: bird2 in the ext netns, peering with contoso's gateway
# address 10.1.1.1 through the forwarding gateway, announcing 192.168.90.0/24.
ip -n "$NS_EXT" addr add 192.168.90.1/32 dev lo
cat >"$LAB_DIR/bird.conf" <<EOT
router id 10.99.0.2;
protocol device {}
protocol static onprem { ipv4; route 192.168.90.0/24 blackhole; }
protocol bgp contoso {
  local 10.99.0.2 as 65002;
  neighbor 10.1.1.1 as 65001;
  multihop;
  hold time 9;
  keepalive time 3;
  ipv4 { import all; export where proto = "onprem"; };
}
EOT
ip netns exec "$NS_EXT" bird -f -c "$LAB_DIR/bird.conf" -s "$LAB_DIR/bird.ctl" >"$LAB_DIR/bird.log" 2>&1 &
lab_track_pid $!
birdc_() { birdc -s "$LAB_DIR/bird.ctl" "$@"; }

fpm_field() { ctl gw --json show fpm | $LAB_PY -c "import json,sys; print(json.load(sys.stdin)[0]['$1'])"; }
route_is() { # route_is PREFIX WANT: the route's next hop in contoso, "" when absent
  ctl gw --json show routes tenant=contoso | $LAB_PY -c '
import json, sys
r = [x for x in json.load(sys.stdin) if x["prefix"] == sys.argv[1] and x["source"] == "frr"]
want = sys.argv[2]
sys.exit(0 if (r and r[0]["installed"] and r[0]["next_hop"] == want) or (not r and want == "") else 1)' "$1" "$2"
}

fpm_connected() { [ "$(fpm_field connected)" = True ]; }
ok "zebra connected to the FPM listener in the compartment" lab_wait_for fpm_connected
ok "the FRR static route arrived over FPM: 192.168.77.0/24 via 10.99.0.2" \
  lab_wait_for route_is 192.168.77.0/24 "external 10.99.0.2"
ok "and steers a VM's traffic: vma1 pings 192.168.77.1 behind the external router" \
  lab_wait_for vm vma1 ping -c 1 -W 1 192.168.77.1
nok_counted "fabrikam has no such route" gw route.no_route 1 vm vmb1 ping -c 1 -W 1 192.168.77.1

bgp_up() { birdc_ show protocols contoso | grep -q Established; }
LAB_WAIT_TRIES=600 ok "BGP between bird2 and contoso's FRR is established, through the data plane" lab_wait_for bgp_up
bgp_shown() {
  ctl gw --json show bgp tenant=contoso | $LAB_PY -c '
import json, sys
rows = [r for r in json.load(sys.stdin) if r["neighbor"] == "10.99.0.2"]
sys.exit(0 if rows and rows[0]["state"] == "Established" and rows[0]["remote_as"] == 65002 else 1)'
}
ok "hnvgwctl show bgp reads the neighbor's state from FRR" lab_wait_for bgp_shown
ok "bird2 learned contoso's virtual subnets" lab_wait_for sh -c "birdc -s '$LAB_DIR/bird.ctl' show route 10.1.2.0/24 | grep -q 10.1.2.0/24"
LAB_WAIT_TRIES=300 ok "contoso learned 192.168.90.0/24 from bird2, installed via 10.99.0.2" \
  lab_wait_for route_is 192.168.90.0/24 "external 10.99.0.2"
ok "and a VM reaches a host behind bird2" lab_wait_for vm vma1 ping -c 1 -W 1 192.168.90.1
lab_http "$NS_EXT" behind-bird
ok "TCP too: vma1 fetches a page from 192.168.90.1" curl_is "${NS_VM[vma1]}" http://192.168.90.1:8080/ "hello from behind-bird"

# fabrikam learns the very same prefix from its own peer: a bird2 inside its VM vmb2
# (10.1.2.10), a CA of its virtual network, peering with the subnet gateway 10.1.2.1 over NVGRE.
ip -n "${NS_VM[vmb2]}" addr add 192.168.90.1/32 dev lo
sed -e 's/router id 10.99.0.2/router id 10.1.2.10/' -e 's/protocol bgp contoso/protocol bgp fabrikam/' \
  -e 's/local 10.99.0.2 as 65002/local 10.1.2.10 as 65003/' -e 's/neighbor 10.1.1.1 as 65001/neighbor 10.1.2.1 as 65001/' \
  -e '/multihop;/d' "$LAB_DIR/bird.conf" >"$LAB_DIR/bird-vmb2.conf"
ip netns exec "${NS_VM[vmb2]}" bird -f -c "$LAB_DIR/bird-vmb2.conf" -s "$LAB_DIR/bird-vmb2.ctl" \
  >"$LAB_DIR/bird-vmb2.log" 2>&1 &
lab_track_pid $!
FRR_FAB=/run/hnvgw/frr/fabrikam
track_fab() { local d p; for d in zebra staticd bgpd; do p=$(cat "$FRR_FAB/$d.pid" 2>/dev/null) && [ -n "$p" ] && lab_track_pid "$p"; done; return 0; }
track_fab
# No staticd in its compartment, and no file saying one runs (an earlier run's are removed; its
# log stays).
# The compartment is found through zebra: its name is mounted in hnvgwd's mount namespace only.
fab_frr() {
  local p f ns comms=""
  p=$(cat "$FRR_FAB/zebra.pid" 2>/dev/null) && ns=$(readlink "/proc/$p/ns/net") || { echo "no zebra"; return 1; }
  for p in /proc/[0-9]*; do
    [ "$(readlink "$p/ns/net" 2>/dev/null)" = "$ns" ] && comms+="$(cat "$p/comm" 2>/dev/null) "
  done
  echo "in fabrikam's compartment ($ns): $comms"
  for f in conf pid vty; do [ ! -e "$FRR_FAB/staticd.$f" ] || { echo "$FRR_FAB/staticd.$f is there"; return 1; }; done
  [[ " $comms" == *" zebra "* && " $comms" == *" bgpd "* && " $comms" != *" staticd "* ]]
}
# Says why when it fails (lab_wait_for keeps quiet).
fab_frr_said() { lab_wait_for fab_frr || fab_frr; }
ok "fabrikam, without static routes, runs zebra and bgpd but no staticd" fab_frr_said
fab_bgp_up() { birdc -s "$LAB_DIR/bird-vmb2.ctl" show protocols fabrikam | grep -q Established; }
LAB_WAIT_TRIES=600 ok "fabrikam's FRR peers with the bird2 inside its VM vmb2, through NVGRE" lab_wait_for fab_bgp_up
fab_route_is() {
  ctl gw --json show routes tenant=fabrikam | $LAB_PY -c '
import json, sys
r = [x for x in json.load(sys.stdin) if x["prefix"] == "192.168.90.0/24" and x["source"] == "frr"]
sys.exit(0 if r and r[0]["installed"] and r[0]["next_hop"] == "10.1.2.10 vsid 6002" else 1)'
}
LAB_WAIT_TRIES=300 ok "fabrikam learned 192.168.90.0/24 too, with a CA of its network as next hop" lab_wait_for fab_route_is
ok "contoso's route is still its own: via the external router" route_is 192.168.90.0/24 "external 10.99.0.2"
# vmb2 cannot answer from 192.168.90.1 (its host's anti-spoofing allows only its CA), so the
# echo requests are counted where they arrive.
in_echos() { ip netns exec "$1" awk '/^Icmp:/ {if (!h) {for (i = 1; i <= NF; i++) if ($i == "InEchos") c = i; h = 1} else print $c}' /proc/net/snmp; }
steered() {
  local vmb2_before ext_before
  vmb2_before=$(in_echos "${NS_VM[vmb2]}"); ext_before=$(in_echos "$NS_EXT")
  vm vmb1 ping -c 3 -i 0.2 -W 1 192.168.90.1 >/dev/null 2>&1
  [ "$(in_echos "${NS_VM[vmb2]}")" -ge $((vmb2_before + 3)) ] && [ "$(in_echos "$NS_EXT")" -eq "$ext_before" ]
}
ok "fabrikam's vmb1 pinging 192.168.90.1 reaches ITS peer vmb2, not contoso's" lab_wait_for steered
# The session lives on: keepalives (every 3 s) keep crossing the exception port, both ways.
punted=$(stat_of gw exception.punted); routed=$(stat_of gw exception.routed)
bgp_through_exception() {
  stat_rose gw exception.punted "$punted" '>=1' && stat_rose gw exception.routed "$routed" '>=1'
}
ok "BGP goes through the exception port both ways" bgp_through_exception
# compartment NAME FIELD: a field of "show compartments".
compartment() {
  ctl gw --json show compartments | $LAB_PY -c '
import json, sys
print([c for c in json.load(sys.stdin) if c["tenant"] == sys.argv[1]][0][sys.argv[2]])' "$1" "$2"
}
ctl gw show compartments | sed 's/^/# /'
own_tags() {
  [ "$(compartment contoso port)" = compartments0 ] && [ "$(compartment fabrikam port)" = compartments0 ] &&
    [ "$(compartment contoso punted)" -gt 0 ] && [ "$(compartment contoso injected)" -gt 0 ] &&
    [ "$(compartment fabrikam punted)" -gt 0 ] && [ "$(compartment fabrikam injected)" -gt 0 ]
}
ok "contoso and fabrikam share port compartments0, each with its own counters" own_tags
birdc_ disable onprem >"$LAB_DIR/birdc.out" 2>&1
withdrawn() { route_is 192.168.90.0/24 "" || { ctl gw --json show routes tenant=contoso | grep -o '"prefix": "192.168.90[^}]*'; cat "$LAB_DIR/birdc.out"; return 1; }; }
LAB_WAIT_TRIES=300 ok "a withdraw by bird2 removes the route" lab_wait_for withdrawn
unreachable() { { vm vma1 ping -c 1 -W 2 192.168.90.1 2>&1 || true; } | grep -q "Unreachable"; }
ok "and traffic to it now gets ICMP unreachable from the gateway" lab_wait_for unreachable
birdc_ enable onprem >/dev/null
ok "and an announcement brings it back" lab_wait_for route_is 192.168.90.0/24 "external 10.99.0.2"

vtysh_static() { vtysh --vty_socket "$FRR_DIR" -d staticd -c "configure terminal" -c "ip route 192.168.78.0/24 10.99.0.2" >/dev/null; }
ok "a route added at run time through vtysh arrives too" vtysh_static
ok "192.168.78.0/24 is in the FIB" lab_wait_for route_is 192.168.78.0/24 "external 10.99.0.2"

# zebra and staticd die: hnvgwd restarts them; staticd reads its file again, so 192.168.78.0/24
# is not replayed and must be swept.
connects=$(fpm_field connects)
swept=$(fpm_field swept)
old_zebra=$(frr_pid zebra)
kill "$(frr_pid staticd)" "$old_zebra"
restarted() { [ -n "$(frr_pid zebra)" ] && [ "$(frr_pid zebra)" != "$old_zebra" ] && frr_up; }
LAB_WAIT_TRIES=300 ok "hnvgwd restarts the killed daemons" lab_wait_for restarted
track_frr
ok "the restarts are logged" grep -q "frr contoso: zebra (pid $old_zebra)" "$LAB_DIR/gw.log"
reconnected() { [ "$(fpm_field connects)" -gt "$connects" ] && [ "$(fpm_field connected)" = True ]; }
LAB_WAIT_TRIES=300 ok "the new zebra reconnects over FPM" lab_wait_for reconnected
LAB_WAIT_TRIES=300 ok "its replay brings 192.168.77.0/24 back" lab_wait_for route_is 192.168.77.0/24 "external 10.99.0.2"
LAB_WAIT_TRIES=300 ok "and the stale 192.168.78.0/24 is swept" lab_wait_for route_is 192.168.78.0/24 ""
swept_some() { local now; now=$(fpm_field swept); echo "swept: $swept -> $now"; [ "$now" -ge $((swept + 1)) ]; }
ok "the sweep was counted" swept_some
ok "traffic follows the replayed route" lab_wait_for vm vma1 ping -c 1 -W 1 192.168.77.1

# Malformed frames from a client in the compartment: counted, the daemon keeps going, and zebra
# (whose connection the client replaced) comes back with its routes.
refused=$(fpm_field frames_refused)
closed=$(fpm_field closed_bad_stream)
connects=$(fpm_field connects)
in_compartment $LAB_PY - <<'EOF'
import socket, struct
s = socket.create_connection(("127.0.0.1", 2620))
# A route message whose destination length is 40 (impossible for IPv4), then a frame header of
# version 7, which ends the stream.
rtm = struct.pack("=BBBBBBBBI", 2, 40, 0, 0, 254, 186, 0, 1, 0)
nl = struct.pack("=IHHII", 16 + len(rtm), 24, 0, 0, 0) + rtm
s.sendall(struct.pack("!BBH", 1, 1, 4 + len(nl)) + nl)
s.sendall(b"\x07\x01\x00\x04")
s.close()
EOF
more_refused() { [ "$(fpm_field frames_refused)" -gt "$refused" ]; }
ok "a malformed FPM frame is counted as refused" lab_wait_for more_refused
closed_bad() { [ "$(fpm_field closed_bad_stream)" -ge $((closed + 1)) ]; }
ok "a stream with a bad header is closed and counted" lab_wait_for closed_bad
logged() {
  grep -q "fpm tenant 1: [0-9]* malformed frame(s) refused (.*bad_prefix" "$LAB_DIR/gw.log" &&
    grep -q "fpm tenant 1: connection closed, its stream could not be trusted" "$LAB_DIR/gw.log"
}
ok "both are logged" lab_wait_for logged
zebra_back() { [ "$(fpm_field connects)" -ge $((connects + 2)) ] && fpm_connected; }
LAB_WAIT_TRIES=600 ok "zebra, whose connection the client replaced, reconnects" lab_wait_for zebra_back
ok "and its route is still there" lab_wait_for route_is 192.168.77.0/24 "external 10.99.0.2"
ok "the gateway still forwards" lab_wait_for vm vma1 ping -c 1 -W 1 192.168.77.1
lab_done
