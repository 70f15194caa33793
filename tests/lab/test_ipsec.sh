#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Lab: site-to-site IPsec per tenant. The standard lab with the "internet" behind ext
# (LAB_INTERNET=1), plus two on-premises sites on it, each a *stock* strongSwan charon with
# kernel-libipsec and a host behind it. Both sites use the same LAN, 172.16.1.0/24, with the same
# host address 172.16.1.10: contoso's tunnel (PSK) goes to site A, fabrikam's (X.509) to site B.
#
#   vma1 (contoso 10.1.1.10) --+                              +-- site A 198.18.2.2 -- hostA 172.16.1.10
#                              gateway 198.18.0.100/.101 -- ext
#   vmb1 (fabrikam 10.1.1.10) -+                              +-- site B 198.18.3.2 -- hostB 172.16.1.10
#
# The gateway's IKE daemon (hnvgw-iked, charon on libcharon) runs in the IKE compartment; its SAs
# go to the DPDK ESP stage. Nothing but IKE and ESP-in-UDP may cross the internet.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topology.sh"
. "$(dirname "$0")/ipsec_site.sh"
lab_init ipsec
lab_plan 39

PSK_A="contoso-site-a-0123456789"
GW_A=198.18.0.100 # contoso's tunnel address
GW_B=198.18.0.101 # fabrikam's
HOST=172.16.1.10  # the host behind either site

# The certificates of fabrikam's tunnel: one CA, a gateway certificate and a site certificate.
make_pki() {
  local d=$LAB_DIR/pki
  mkdir -p "$d"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj "/CN=hnvgw lab CA" -keyout "$d/ca.key" -out "$d/ca.pem" 2>/dev/null || return 1
  local who
  for who in gw siteB; do
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
      -subj "/CN=$who.fabrikam.example" -keyout "$d/$who.key" -out "$d/$who.csr" 2>/dev/null || return 1
    printf 'subjectAltName=DNS:%s.fabrikam.example\n' "$who" >"$d/$who.ext"
    openssl x509 -req -in "$d/$who.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial \
      -days 2 -extfile "$d/$who.ext" -out "$d/$who.pem" 2>/dev/null || return 1
  done
}
make_pki || { echo "# openssl failed"; exit 1; }

# The gateway's tunnels, added to the shipped config's two tenants.
ipsec_lab_conf() {
  $LAB_PY - "$1" "$LAB_DIR/pki" <<'EOF'
import re, sys
path, pki = sys.argv[1], sys.argv[2]
s = open(path).read()
vpn = {
"contoso": '''  vpn {
    local_address = "198.18.0.100"
    tunnel "siteA" {
      remote_address = "198.18.2.2"
      auth = "psk"
      psk = "contoso-site-a-0123456789"
      remote_ts = {"172.16.1.0/24"}
    }
  }
''',
"fabrikam": '''  vpn {
    local_address = "198.18.0.101"
    tunnel "siteB" {
      remote_address = "198.18.3.2"
      local_id = "gw.fabrikam.example"
      remote_id = "siteB.fabrikam.example"
      auth = "pubkey"
      certificate = "%s/gw.pem"
      private_key = "%s/gw.key"
      ca_certificate = "%s/ca.pem"
      remote_ts = {"172.16.1.0/24"}
      child_life_bytes = 1048576
    }
  }
''' % (pki, pki, pki)}
# The peers are beyond the uplink's router.
s = s.replace('  address = "10.99.0.1/24"\n', '  address = "10.99.0.1/24"\n  gateway = "10.99.0.2"\n', 1)
assert 'gateway = "10.99.0.2"' in s
for t, block in vpn.items():
    s, n = re.subn(r'(tenant "%s" \{\n)' % t, lambda m: m.group(1) + block, s)
    assert n == 1, t
open(path, "w").write(s)
EOF
}
LAB_GW_CONF_EDIT=ipsec_lab_conf
LAB_INTERNET=1
lab_topology_up || { echo "# topology failed"; exit 1; }

# The sites hang off ext, the internet's router.
lab_site_up A "$NS_EXT" 198.18.2.2/24 198.18.2.1 172.16.1.1/24 $HOST/24 || exit 1
ip -n "$NS_EXT" addr add 198.18.2.1/24 dev s-A
lab_site_up B "$NS_EXT" 198.18.3.2/24 198.18.3.1 172.16.1.1/24 $HOST/24 || exit 1
ip -n "$NS_EXT" addr add 198.18.3.1/24 dev s-B

# site_conf NAME: the site's swanctl.conf (ARGS: its side of the tunnel).
cat >"${SITE_DIR[A]}/swanctl/swanctl.conf" <<EOT
connections {
  gw {
    version = 2
    local_addrs = 198.18.2.2
    remote_addrs = $GW_A
    proposals = aes256gcm16-prfsha384-ecp384
    dpd_delay = 5
    local { auth = psk
      id = 198.18.2.2 }
    remote { auth = psk
      id = $GW_A }
    children {
      gw {
        local_ts = 172.16.1.0/24
        remote_ts = 10.1.1.0/24, 10.1.2.0/24
        esp_proposals = aes128gcm16-ecp256
        start_action = none
        dpd_action = clear
      }
    }
  }
}
secrets { ike-gw { id = $GW_A
  secret = "$PSK_A" } }
EOT
cp "$LAB_DIR/pki/siteB.pem" "${SITE_DIR[B]}/swanctl/x509/"
cp "$LAB_DIR/pki/siteB.key" "${SITE_DIR[B]}/swanctl/private/"
cp "$LAB_DIR/pki/ca.pem" "${SITE_DIR[B]}/swanctl/x509ca/"
cat >"${SITE_DIR[B]}/swanctl/swanctl.conf" <<EOT
connections {
  gw {
    version = 2
    local_addrs = 198.18.3.2
    remote_addrs = $GW_B
    proposals = aes256gcm16-prfsha384-ecp384
    local { auth = pubkey
      certs = siteB.pem
      id = siteB.fabrikam.example }
    remote { auth = pubkey
      id = gw.fabrikam.example }
    children {
      gw {
        local_ts = 172.16.1.0/24
        remote_ts = 10.1.1.0/24, 10.1.2.0/24
        esp_proposals = aes256gcm16-ecp384
        start_action = none
      }
    }
  }
}
EOT
lab_site_load A >/dev/null 2>&1 || { echo "# site A config refused"; lab_site_load A; exit 1; }
lab_site_load B >/dev/null 2>&1 || { echo "# site B config refused"; lab_site_load B; exit 1; }
lab_http "${SITE_HOST_NS[A]}" siteA
lab_http "${SITE_HOST_NS[B]}" siteB

vm() { local n=$1; shift; ip netns exec "${NS_VM[$n]}" "$@"; }
contoso_sas() { # Data-plane SAs of contoso.
  ctl gw show vpn sas --json | $LAB_PY -c "import json,sys; print(sum(1 for s in json.load(sys.stdin) if s['tenant'] == 'contoso'))"
}
site_up() { lab_site_swanctl "$1" --list-sas 2>/dev/null | grep -q INSTALLED; }

# The gateway initiates (start_action defaults to initiate): both tunnels come up by themselves.
ok "contoso's tunnel to site A comes up (PSK)" lab_wait_for site_up A
ok "fabrikam's tunnel to site B comes up (X.509)" lab_wait_for site_up B
vpn_field() { # vpn_field TENANT FIELD: a field of the tenant's tunnel in "show vpn"
  ctl gw show vpn --json | $LAB_PY -c "import json,sys; print([t for t in json.load(sys.stdin) if t['tenant'] == '$1'][0]['$2'])"
}
child_installed() { [ "$(vpn_field "$1" child)" = INSTALLED ]; }
child_down() { [ "$(vpn_field "$1" child)" = DOWN ]; }
# counted_both_ways TENANT IN OUT N: the tenant's SA counted at least N more packets each way than
# IN and OUT.
counted_both_ways() {
  local i o
  i=$(vpn_field "$1" packets_in) && o=$(vpn_field "$1" packets_out) || return 1
  echo "packets in: $2 -> $i, out: $3 -> $o, want +$4 each"
  [ "$i" -ge $(($2 + $4)) ] && [ "$o" -ge $(($3 + $4)) ]
}
rekeyed() { [ "$(vpn_field contoso spi_in)" != "$1" ] && [ "$(vpn_field contoso child_rekeys)" -ge 2 ]; }
# The site installs its CHILD_SA before the gateway's daemon has reported its own: wait for both.
both_shown() { [ "$(ctl gw show vpn | grep -c 'ESTABLISHED.*INSTALLED')" = 2 ]; }
ok "hnvgwctl shows both tunnels established and installed" lab_wait_for both_shown

# Traffic: each tenant reaches its own site's host, though both hosts are 172.16.1.10.
sa_in=$(vpn_field contoso packets_in); sa_out=$(vpn_field contoso packets_out)
ok "contoso VM pings the host behind site A" vm vma1 ping -c 3 -i 0.2 -W 2 $HOST
ok "fabrikam VM pings the host behind site B" vm vmb1 ping -c 3 -i 0.2 -W 2 $HOST
ok "contoso's HTTP request reaches site A (not B)" sh -c "ip netns exec ${NS_VM[vma1]} curl -s -m 5 http://$HOST:8080/ | grep -qx 'hello from siteA'"
ok "fabrikam's HTTP request reaches site B (not A)" sh -c "ip netns exec ${NS_VM[vmb1]} curl -s -m 5 http://$HOST:8080/ | grep -qx 'hello from siteB'"
ok "site A's host reaches contoso's VM through the tunnel" ip netns exec "${SITE_HOST_NS[A]}" ping -c 2 -i 0.2 -W 2 10.1.1.10
# 3 echo requests and 2 replies out, 3 replies and 2 requests in (and the TCP exchange besides).
ok "the data plane counted packets both ways on contoso's SA" \
  lab_wait_for counted_both_ways contoso "$sa_in" "$sa_out" 5

# On the internet side, tenant traffic is only ESP in UDP 4500: never the clear packets.
# The ESP packets are the capture's positive control: it ran while the clear ones would have passed.
ok "a capture runs on site A's link" lab_capture_start "$NS_EXT" s-A "$LAB_DIR/wire.pcap"
vm vma1 ping -c 5 -i 0.1 -W 2 $HOST >"$LAB_DIR/wire-ping.txt" 2>&1
esp_seen() { [ "$(pcap_count "$LAB_DIR/wire.pcap" "udp port 4500 and host $GW_A and host 198.18.2.2 and udp[8:4] != 0")" -ge 10 ]; }
lab_wait_for esp_seen
lab_capture_stop
ok "site A's link carries ESP in UDP 4500 between the tunnel addresses (5 pings: 10 packets)" esp_seen
ok "and no clear tenant packet" test "$(pcap_count "$LAB_DIR/wire.pcap" 'icmp or net 10.1.0.0/16 or net 172.16.0.0/16')" = 0
ok "tshark decodes them as ESP with contoso's outbound SPI" \
  sh -c "tshark -r $LAB_DIR/wire.pcap -Y 'esp.spi == 0x$(vpn_field contoso spi_out)' 2>/dev/null | grep -q ESP"

# A captured ESP packet sent again is dropped as a replay.
ok "a capture of site A's ESP runs" lab_capture_start "$NS_EXT" s-A "$LAB_DIR/replay.pcap" -c 1 \
  "udp dst port 4500 and src host 198.18.2.2 and udp[8:4] != 0"
ip netns exec "${SITE_HOST_NS[A]}" ping -c 2 -i 0.2 -W 1 10.1.1.10 >/dev/null
replay_captured() { [ "$(pcap_count "$LAB_DIR/replay.pcap")" -ge 1 ]; }
lab_wait_for replay_captured
lab_capture_stop
replays=$(stat_of gw esp.replay)
ip netns exec "${SITE_NS[A]}" $LAB_PY -c "
from scapy.all import rdpcap, sendp
sendp(rdpcap('$LAB_DIR/replay.pcap')[0], iface='wan', verbose=False)"
ok "a replayed ESP packet is dropped and counted (esp.replay +1)" stat_rose gw esp.replay "$replays" 1

# Rekey under continuous traffic, from site A and then from the gateway: count what is lost.
spi_before=$(vpn_field contoso spi_in)
vm vma1 ping -c 400 -i 0.02 -W 1 $HOST >"$LAB_DIR/rekey-ping.txt" 2>&1 &
PING=$!
sleep 2
lab_site_swanctl A --rekey --child gw >/dev/null 2>&1
sleep 3
swanctl --rekey --child contoso-siteA --uri unix:///run/hnvgw/ike/charon.vici >/dev/null 2>&1
wait $PING
received=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$LAB_DIR/rekey-ping.txt")
echo "# rekey under traffic: $received of 400 pings answered across two rekeys"
ok "two rekeys (site A's, then the gateway's) under 50 pps lose at most 1% (got $received/400)" \
  test "${received:-0}" -ge 396
ok "the tunnel has new SPIs and counted its rekeys" rekeyed "$spi_before"
contoso_sas_are() { [ "$(contoso_sas)" = "$1" ]; }
ok "the old SAs are removed from the data plane" lab_wait_for contoso_sas_are 2

# Rekey by volume: fabrikam's CHILD_SA is good for 1 MiB; hnvgw-iked reads the data plane's
# counters (query_sa) and raises the soft expiry, and charon rekeys.
fab_rekeys=$(vpn_field fabrikam child_rekeys)
ok "1 MiB through fabrikam's tunnel" vm vmb1 ping -q -c 1000 -s 1300 -i 0.005 -W 1 $HOST
fab_rekeyed() { [ "$(vpn_field fabrikam child_rekeys)" -gt "$fab_rekeys" ]; }
ok "fabrikam's CHILD_SA was rekeyed by volume" lab_wait_for fab_rekeyed
ok "the journal says which SA reached its limit" lab_wait_for grep -q 'reached its soft volume limit' "$LAB_DIR/gw.log"
ok "fabrikam's tunnel carries traffic after the volume rekey" vm vmb1 ping -c 2 -i 0.2 -W 2 $HOST

# Tunnel down: contoso's traffic to site A is dropped and counted, never sent in clear (though
# contoso's default route is NAT to the internet).
ok "hnvgwctl vpn terminate takes contoso's tunnel down" ctl gw vpn terminate tenant=contoso tunnel=siteA
ok "its CHILD_SA is gone, and its SAs from the data plane" lab_wait_for contoso_sas_are 0
ok "show vpn says so" child_down contoso
# Everything ext forwards or receives for the tenant and site networks is captured; ext's own ping
# of a contoso VM (through the forwarding gateway) afterwards proves the capture was running.
ok "a capture of tenant and site addresses runs on ext" \
  lab_capture_start "$NS_EXT" any "$LAB_DIR/down.pcap" 'net 172.16.0.0/16 or net 10.1.0.0/16'
nok_counted "contoso cannot reach site A's host while the tunnel is down" gw esp.no_sa 3 \
  vm vma1 ping -c 3 -i 0.2 -W 1 $HOST
ip netns exec "$NS_EXT" ping -c 1 -W 1 10.1.1.10 >/dev/null 2>&1
control_seen() { [ "$(pcap_count "$LAB_DIR/down.pcap" 'icmp and src host 10.99.0.2 and dst host 10.1.1.10')" -ge 1 ]; }
lab_wait_for control_seen
lab_capture_stop
ok "the capture saw ext's own ping of 10.1.1.10 (it was running)" control_seen
ok "none of contoso's packets left in clear" test "$(pcap_count "$LAB_DIR/down.pcap" 'not host 10.99.0.2')" = 0
ok "fabrikam's tunnel is unaffected" vm vmb1 ping -c 2 -i 0.2 -W 2 $HOST
held_down() { [ "$(vpn_field contoso held_down)" = True ] && child_down contoso; }
ok "a tunnel the operator terminated is held down (the keep-up leaves it alone)" held_down

# A wrong PSK: IKE fails with a clear log line and installs no SA.
sed -i "s/secret = \"$PSK_A\"/secret = \"wrong-wrong-wrong-0123\"/" "${SITE_DIR[A]}/swanctl/swanctl.conf"
lab_site_load A >/dev/null 2>&1
sas_before=$(contoso_sas)
ok "hnvgwctl vpn initiate starts the tunnel again" ctl gw vpn initiate tenant=contoso tunnel=siteA
ok "with a wrong PSK, the journal says authentication failed" \
  lab_wait_for grep -qiE 'vpn: .*(AUTHENTICATION_FAILED|authentication of .* failed)' "$LAB_DIR/gw.log"
ok "and no SA was installed for contoso" test "$sas_before" = 0 -a "$(contoso_sas)" = 0
# The site is fixed; nobody tells the gateway: its keep-up initiates the tunnel again (5 s after
# the failure, then backing off) and it comes back by itself.
sed -i "s/secret = \"wrong-wrong-wrong-0123\"/secret = \"$PSK_A\"/" "${SITE_DIR[A]}/swanctl/swanctl.conf"
lab_site_load A >/dev/null 2>&1
# Up to 90 one-second pings: the keep-up's back-off reaches 10 s, then 20 s, before the 60 s cap.
back_by_itself() {
  local i
  for ((i = 0; i < 90; i++)); do vm vma1 ping -c 1 -W 1 $HOST >/dev/null 2>&1 && return 0; done
  return 1
}
ok "with the right PSK again, the tunnel comes back by itself and carries traffic" back_by_itself
ok "show vpn counts the keep-up's initiations" test "$(vpn_field contoso retries)" -ge 1

# hnvgwd killed outright: its IKE daemon goes with it, leaving no charon to hold the IKE ports of
# the next one.
GW_PID=$(cat "$LAB_DIR/gw.pid")
IKED_PID=$(ps -o pid=,comm= --ppid "$GW_PID" | awk '$2 == "hnvgw-iked" {print $1}')
ok "hnvgwd runs the IKE daemon" test -n "$IKED_PID"
[ -n "$IKED_PID" ] && lab_track_pid "$IKED_PID"
kill -KILL "$GW_PID"
iked_gone() { ! kill -0 "$IKED_PID" 2>/dev/null; }
ok "killed with hnvgwd (SIGKILL), the IKE daemon exits too" lab_wait_for iked_gone

lab_done
