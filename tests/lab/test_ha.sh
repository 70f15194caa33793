#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# An active/passive gateway pair (pair.sh): election, takeover and handover under traffic.
# gwa (priority 200) and gwb (100) run the shipped config with its shared addresses virtual.
# An IPsec site (stock charon, ipsec_site.sh) holds a tunnel to contoso: its IKE and CHILD_SAs are
# synced between the nodes by strongSwan's ha plugin over the sync channel, so that the node that
# takes over keeps the tunnel without renegotiating; a 100 pps ping through it measures the ESP
# outage (ping_gaps.py).
# A 1,000 pps UDP probe through NAT measures each outage (udp_probe.py):
#   1. kill -9 of the active node's hnvgwd: gwb takes over;
#   2. gwa rejoins and, with preempt, takes back;
#   3. a graceful `cluster switchover`;
#   4. the sync link cut alone: nothing moves.
# Prints a BENCH line for the kill and one for the switchover.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topology.sh"
. "$(dirname "$0")/pair.sh"
. "$(dirname "$0")/ipsec_site.sh"
lab_init ha
lab_plan 28

PSK_A="contoso-site-a-0123456789"
GW_A=198.18.0.100 # contoso's tunnel address, virtual like the rest
HOST=172.16.1.10  # the host behind site A
# ha_ipsec_conf CONF: contoso gets a tunnel to site A; the sites are beyond the uplink's router.
ha_ipsec_conf() {
  $LAB_PY - "$1" "$PSK_A" <<'PYEOF2'
import re, sys
path, psk = sys.argv[1], sys.argv[2]
s = open(path).read()
block = """  vpn {
    local_address = "198.18.0.100"
    tunnel "siteA" {
      remote_address = "198.18.2.2"
      auth = "psk"
      psk = "%s"
      remote_ts = {"172.16.1.0/24"}
    }
  }
""" % psk
s = s.replace('  address = "10.99.0.1/24"\n', '  address = "10.99.0.1/24"\n  gateway = "10.99.0.2"\n', 1)
assert 'gateway = "10.99.0.2"' in s
s, n = re.subn(r'(tenant "contoso" \{\n)', lambda m: m.group(1) + block, s)
assert n == 1
open(path, "w").write(s)
PYEOF2
}
LAB_GW_CONF_EDIT=ha_ipsec_conf

LAB_INTERNET=1
LAB_HOST_WORKERS=1
lab_pair_up || { echo "# pair failed"; exit 1; }
INET=198.18.1.2
ECHO_PORT=7777
lab_site_up A "$NS_EXT" 198.18.2.2/24 198.18.2.1 172.16.1.1/24 $HOST/24 || exit 1
ip -n "$NS_EXT" addr add 198.18.2.1/24 dev s-A
cat >"${SITE_DIR[A]}/swanctl/swanctl.conf" <<EOT
connections {
  gw {
    version = 2
    local_addrs = 198.18.2.2
    remote_addrs = $GW_A
    proposals = aes256gcm16-prfsha384-ecp384
    dpd_delay = 2
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
lab_site_load A >/dev/null 2>&1 || { echo "# site A config refused"; lab_site_load A; exit 1; }
# The site's config came after gwa's first try: do not wait for its keep-up back-off.
ctl gwa vpn initiate tenant=contoso tunnel=siteA >/dev/null 2>&1
site_up() { lab_site_swanctl A --list-sas 2>/dev/null | grep -q INSTALLED; }
# site_ike: the site's IKE_SA as "unique-id spi_i spi_r" (a renegotiation changes all three).
site_ike() {
  lab_site_swanctl A --list-sas 2>/dev/null |
    sed -n 's/^gw: #\([0-9]*\), ESTABLISHED, IKEv2, \([0-9a-f]*\)_i\*\? \([0-9a-f]*\)_r.*/\1 \2 \3/p' | head -1
}
lab_udp_peer "$NS_INET" $ECHO_PORT
# 20 long-lived TCP streams through NAT: 1 MiB each from the internet at 100 KiB/s (about 10 s).
mkdir -p "$LAB_DIR/www-big"
head -c 1048576 /dev/urandom >"$LAB_DIR/www-big/big"
ip netns exec "$NS_INET" $LAB_PY -m http.server 8081 --bind 0.0.0.0 --directory "$LAB_DIR/www-big" \
  >/dev/null 2>&1 &
lab_track_pid $!
lab_wait_for ip netns exec "$NS_INET" curl -s -o /dev/null http://127.0.0.1:8081/big
N_TCP=20
# tcp_start: the streams, in the background; tcp_kept: how many completed whole and intact.
tcp_start() {
  local i
  TCP_PIDS=()
  for i in $(seq 1 $N_TCP); do
    ip netns exec "${NS_VM[vma1]}" curl -s --limit-rate 100K -o "$LAB_DIR/tcp.$i" \
      "http://$INET:8081/big" &
    TCP_PIDS+=($!)
  done
}
# (Not in a $(...) subshell: only this shell can wait for its children.) Sets TCP_KEPT.
tcp_kept() {
  local i want
  TCP_KEPT=0
  want=$(md5sum <"$LAB_DIR/www-big/big")
  for i in $(seq 1 $N_TCP); do
    if wait "${TCP_PIDS[$((i - 1))]}" && [ "$(md5sum <"$LAB_DIR/tcp.$i")" = "$want" ]; then
      TCP_KEPT=$((TCP_KEPT + 1))
    else
      echo "# stream $i: $(stat -c %s "$LAB_DIR/tcp.$i" 2>/dev/null || echo no) bytes"
    fi
  done
}

vm() { local n=$1; shift; ip netns exec "${NS_VM[$n]}" "$@"; }
role_is() { [ "$(lab_pair_role "$1")" = "$2" ]; }
ok "gwa (priority 200) is active, gwb passive" lab_pair_active_is a
ok "traffic across subnets goes through the pair" vm vma1 ping -c 3 -w 10 10.1.2.10
ok "NAT through the pair: vma1's UDP is echoed from the internet" \
  sh -c "ip netns exec '${NS_VM[vma1]}' $LAB_PY '$LAB_TOP/tests/lab/udp_probe.py' $INET $ECHO_PORT 100 1 | grep -q '\"received\": [1-9]'"
ok "gwa brought contoso's tunnel to site A up" lab_wait_for site_up
ok "vma1 reaches the host behind site A through the tunnel" vm vma1 ping -c 3 -w 10 $HOST
ike_sa_synced() { ctl gwb show vpn --json | $LAB_PY -c 'import json,sys; t=json.load(sys.stdin)[0]; sys.exit(not (t["ike"] == "PASSIVE" and t["child"] == "INSTALLED"))'; }
ok "gwb holds the tunnel's SAs passively, synced by the ha plugin" lab_wait_for ike_sa_synced

# esp_start SECONDS: a 100 pps ping from vma1 through the tunnel, in the background;
# esp_outage: its longest gap, in ms (ping_gaps.py), once it ended.
esp_start() {
  ip netns exec "${NS_VM[vma1]}" ping -D -n -i 0.01 -W 1 -w "$1" $HOST >"$LAB_DIR/esp.ping" 2>&1 &
  ESP_PID=$!
}
esp_outage() {
  wait "$ESP_PID"
  $LAB_PY "$LAB_TOP/tests/lab/ping_gaps.py" 0.01 <"$LAB_DIR/esp.ping" >"$LAB_DIR/esp.json" || return 1
  $LAB_PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["outage_ms"])' "$LAB_DIR/esp.json"
}

# probe_during SECONDS DELAY CMD...: runs the probe for SECONDS from vma1, and CMD after DELAY
# seconds; leaves the probe's JSON in $LAB_DIR/probe.json.
probe_during() {
  local secs=$1 delay=$2 pid
  shift 2
  ip netns exec "${NS_VM[vma1]}" $LAB_PY "$LAB_TOP/tests/lab/udp_probe.py" $INET $ECHO_PORT 1000 "$secs" \
    >"$LAB_DIR/probe.json" &
  pid=$!
  sleep "$delay"
  "$@"
  wait $pid
  cat "$LAB_DIR/probe.json"
}
probe_field() { $LAB_PY -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$LAB_DIR/probe.json" "$1"; }
kill_active() { kill -KILL "$(cat "$LAB_DIR/gwa.pid")"; }

# ---- 1. kill -9 the active node ----
ike_before=$(site_ike)
echo "# site A's IKE_SA before: $ike_before"
tcp_start
esp_start 7
sleep 2 # The streams are established, their sessions synced.
# tcp_sessions NODE: the established TCP sessions of NODE to the streams' server, one "inside
# public remote" a line, sorted.
tcp_sessions() {
  ctl "gw$1" show nat sessions tenant=contoso address=$INET limit=100000 |
    awk '$2 == "tcp" && $6 == "established" { print $3, $4, $5 }' | sort
}
# Without them, gwb would drop the server's packets (nat.tcp_no_syn) until each client spoke
# again, and a stream whose client has nothing to say stalls or breaks (issue 12).
tcp_synced() { [ "$(tcp_sessions a | wc -l)" -ge $N_TCP ] && [ "$(tcp_sessions a)" = "$(tcp_sessions b)" ]; }
ok "gwb holds every stream's NAT session, as gwa has it, before the kill" lab_wait_for tcp_synced
probe_during 6 2 kill_active
esp_kill=$(esp_outage)
echo "# kill -9: ESP through the tunnel: outage ${esp_kill} ms"
kill_outage=$(probe_field outage_ms)
kill_seen=$(probe_field seen_as)
echo "# kill -9: outage ${kill_outage} ms, $(probe_field lost) of $(probe_field sent) lost, seen as $kill_seen"
ok "after kill -9 of gwa, gwb is active" lab_wait_for role_is b active
ok "the UDP probe through NAT came back within 1 s (outage ${kill_outage} ms)" \
  test "$kill_outage" -lt 1000
ok "the probe's NAT mapping survived: one public address and port throughout ($kill_seen)" \
  test "$($LAB_PY -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["seen_as"]))' "$LAB_DIR/probe.json")" = 1
tcp_kept
tcp_ok=$TCP_KEPT
echo "# TCP streams through NAT kept across the kill: $tcp_ok/$N_TCP"
ok "every TCP stream through NAT went on after the kill ($tcp_ok/$N_TCP whole)" test "$tcp_ok" = $N_TCP
ok "traffic across subnets goes on through gwb" vm vma1 ping -c 3 -w 10 10.1.2.10
ok "gwb's show cluster tells the takeover and the sync counters" \
  sh -c "'$HNVGWCTL' -s '$LAB_DIR/gwb.sock' --json show cluster | tee '$LAB_DIR/cluster-b.json' | grep -q '\"sync\"'"
ok "ESP through the tunnel came back within 1 s of the kill (${esp_kill} ms)" test "${esp_kill:-99999}" -lt 1000
# A DPD round of the site (every 2 s) goes to gwb now: it must answer within the same IKE_SA.
sleep 4
ike_after=$(site_ike)
echo "# site A's IKE_SA after the kill and a DPD round: $ike_after"
ike_kill_reneg=1
[ -n "$ike_before" ] && [ "$ike_before" = "$ike_after" ] && ike_kill_reneg=0
ok "the site's IKE_SA survived the kill, DPD answered by gwb: not renegotiated ($ike_after)" test $ike_kill_reneg = 0
echo "BENCH name=ha_failover outage_ms=$kill_outage tcp_kept=$tcp_ok/$N_TCP esp_outage_ms=$esp_kill ike_renegotiated=$ike_kill_reneg"

# ---- 2. gwa rejoins; preempt on: it takes back, once it has gwb's state ----
rejoin() { lab_pair_start a && LAB_WAIT_TRIES=300 lab_wait_for lab_pair_active_is a; }
probe_during 12 1 rejoin
rejoin_outage=$(probe_field outage_ms)
echo "# rejoin with preempt: outage ${rejoin_outage} ms"
ok "gwa rejoined and, with preempt, is active again; gwb passive" lab_wait_for lab_pair_active_is a
ok "the preemption cost under 1 s of the probe (${rejoin_outage} ms)" test "$rejoin_outage" -lt 1000
# synced_then_active: in gwa's log (this run's), the sync came before the takeover.
synced_then_active() {
  local synced active
  synced=$(grep -n "peer's state is synced here" "$LAB_DIR/gwa.log" | head -1 | cut -d: -f1)
  active=$(grep -n "cluster: ACTIVE" "$LAB_DIR/gwa.log" | head -1 | cut -d: -f1)
  echo "# gwa's log: synced at line ${synced:-none}, active at line ${active:-none}"
  [ -n "$synced" ] && [ -n "$active" ] && [ "$synced" -lt "$active" ]
}
ok "gwa preempted only once gwb's sessions and SAs were synced to it" synced_then_active

# ---- 3. graceful switchover ----
switchover() { ctl gwa cluster switchover >"$LAB_DIR/switchover.out" 2>&1; }
ok "gwa got the tunnel's SAs back from gwb and owns them again" lab_wait_for sh -c "'$HNVGWCTL' -s '$LAB_DIR/gwa.sock' show vpn | grep -q ESTABLISHED"
ike_before=$(site_ike)
tcp_start
esp_start 6
sleep 2
probe_during 5 2 switchover
sw_outage=$(probe_field outage_ms)
esp_sw=$(esp_outage)
echo "# switchover: ESP through the tunnel: outage ${esp_sw} ms"
tcp_kept
sw_tcp_ok=$TCP_KEPT
echo "# TCP streams through NAT kept across the switchover: $sw_tcp_ok/$N_TCP"
ok "every TCP stream through NAT went on across the switchover ($sw_tcp_ok/$N_TCP whole)" \
  test "$sw_tcp_ok" = $N_TCP
echo "# switchover: outage ${sw_outage} ms"
ok "cluster switchover on gwa: gwb active, gwa passive" lab_wait_for lab_pair_active_is b
ok "the switchover cost under 200 ms of the probe (${sw_outage} ms)" test "$sw_outage" -lt 200
ok "ESP through the tunnel went on across the switchover (${esp_sw} ms)" test "${esp_sw:-99999}" -lt 200
sleep 4
ike_after=$(site_ike)
ike_sw_reneg=1
[ -n "$ike_before" ] && [ "$ike_before" = "$ike_after" ] && ike_sw_reneg=0
ok "the site's IKE_SA survived the switchover: not renegotiated ($ike_after)" test $ike_sw_reneg = 0
echo "BENCH name=ha_switchover outage_ms=$sw_outage tcp_kept=$sw_tcp_ok/$N_TCP esp_outage_ms=$esp_sw ike_renegotiated=$ike_sw_reneg"
ok "show cluster on gwb tells the last failover: a switchover" \
  sh -c "'$HNVGWCTL' -s '$LAB_DIR/gwb.sock' show cluster | grep -i -q switchover"

# ---- 4. the sync link alone dies: nothing moves ----
ip -n "$NS_GWA" link set sync0 down
sleep 2
ok "with the sync link down, the adverts still decide: gwb stays active" lab_pair_active_is b
ok "and traffic goes on" vm vma1 ping -c 3 -w 10 10.1.2.10
ip -n "$NS_GWA" link set sync0 up

ok "no hnvgwd died on the way" sh -c "kill -0 $(cat "$LAB_DIR/gwa.pid") && kill -0 $(cat "$LAB_DIR/gwb.pid")"
lab_done
