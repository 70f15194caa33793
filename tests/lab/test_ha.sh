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
# contoso has a routing section: its FRR runs on both nodes, and a bird2 in ext (the tenant's
# on-premises router, graceful restart on) peers with it through whichever node is active and
# learns contoso's subnets. Through each failover bird2's routes to contoso are polled (birdc,
# every ~20 ms): none may disappear (graceful restart), and the session must be Established again
# with the new active.
# Prints a BENCH line for the kill and one for the switchover.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topology.sh"
. "$(dirname "$0")/pair.sh"
. "$(dirname "$0")/ipsec_site.sh"
lab_init ha
lab_plan 37

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
# contoso gets a routing section with one BGP neighbor: bird2 at ext's 10.99.0.2, a few hops
# away through the forwarding gateway (the pair's external address).
ha_bgp_conf() {
  sed -i 's|^\(\s*\)forward_prefixes = {"10.1.0.0/16"}$|&\n\1routing {\n\1  asn = 65001\n\1  router_id = "10.1.1.1"\n\1  neighbor "10.99.0.2" {\n\1    remote_as = 65002\n\1    keepalive = 3\n\1    hold = 9\n\1    ebgp_multihop = true\n\1  }\n\1}|' "$1" &&
    [ "$(grep -c 'asn = 65001' "$1")" -eq 1 ]
}
ha_conf() { ha_ipsec_conf "$1" && ha_bgp_conf "$1"; }
LAB_GW_CONF_EDIT=ha_conf

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

# ---- BGP: bird2 in ext, contoso's on-premises router ----
# Each node's FRR lives in its private /run: seen through its hnvgwd's mount namespace. Its
# daemons (children of that hnvgwd) are tracked too, so that the cleanup stops them whatever
# happens to it.
gw_run() { local n=$1; shift; nsenter -t "$(cat "$LAB_DIR/gw$n.pid")" -m "$@"; }
track_frr() {
  local d p
  for d in zebra staticd bgpd; do
    p=$(gw_run "$1" cat "/run/hnvgw/frr/contoso/$d.pid" 2>/dev/null) && [ -n "$p" ] && lab_track_pid "$p"
  done
  return 0
}
# (contoso has no static route: no staticd.)
frr_up() { local d; for d in zebra bgpd; do gw_run "$1" test -s "/run/hnvgw/frr/contoso/$d.pid" || return 1; done; }
# bgpd's own log on node NODE, the last lines (for a failure's diagnosis).
bgpd_log() { echo "# gw$1 bgpd.log:"; gw_run "$1" tail -n "${2:-15}" /run/hnvgw/frr/contoso/bgpd.log 2>&1 | sed 's/^/#   /'; }
cat >"$LAB_DIR/bird.conf" <<EOT
log "$LAB_DIR/bird-events.log" all;
timeformat log "%s.%3f";
router id 10.99.0.2;
protocol device {}
protocol bgp contoso {
  debug { states, events };
  local 10.99.0.2 as 65002;
  neighbor 10.1.1.1 as 65001;
  multihop;
  hold time 9;
  keepalive time 3;
  graceful restart on;
  ipv4 { import all; export none; };
}
EOT
ip netns exec "$NS_EXT" bird -f -c "$LAB_DIR/bird.conf" -s "$LAB_DIR/bird.ctl" >"$LAB_DIR/bird.log" 2>&1 &
lab_track_pid $!
lab_wait_for frr_up a && lab_wait_for frr_up b
track_frr a
track_frr b
birdc_() { birdc -s "$LAB_DIR/bird.ctl" "$@"; }
BGP_ROUTES=2 # contoso's two subnets, which its FRR announces.
bird_routes() { birdc_ show route protocol contoso count | awk '/ routes for / { print $1; exit }'; }
bird_established() { birdc_ show protocols contoso | grep -q Established; }
# bgp_state NODE: the state of contoso's neighbor 10.99.0.2 as `hnvgwctl show bgp` on NODE says.
bgp_state() {
  ctl "gw$1" --json show bgp tenant=contoso | $LAB_PY -c '
import json, sys
rows = [r for r in json.load(sys.stdin) if r["neighbor"] == "10.99.0.2"]
print(rows[0]["state"] if rows else "none")'
}
# bgp_with NODE: bird2's session is Established, NODE's bgpd says so too, and bird2 has all of
# contoso's routes.
bgp_with() {
  bird_established && [ "$(bgp_state "$1")" = Established ] && [ "$(bird_routes)" = $BGP_ROUTES ]
}
# bgp_with_verbose NODE: bgp_with, saying what it saw when it does not hold.
bgp_with_verbose() {
  LAB_WAIT_TRIES=300 lab_wait_for bgp_with "$1" && return 0
  echo "bird: $(birdc_ show protocols contoso | tail -1); routes: $(bird_routes); gw$1 says: $(bgp_state "$1")"
  bgpd_log "$1"
  return 1
}
# bgp_poll_start NAME / bgp_poll_stop NAME: bird2's count of contoso's routes, sampled through
# birdc every ~20 ms in between (birdc's own few ms and a 10 ms pause), and its session's state
# every fourth sample, into $LAB_DIR/bgp-poll.NAME ("ms count E|-" lines; a failed birdc is no
# sample). bgp_poll_stop sets BGP_LOST (expected minus the fewest seen) and BGP_SAMPLES, and says
# for how long bird2 had no session (the graceful restart).
bgp_poll_start() {
  rm -f "$LAB_DIR/bgp-poll.stop"
  (
    i=0
    e=E
    while [ ! -e "$LAB_DIR/bgp-poll.stop" ]; do
      n=$(bird_routes 2>/dev/null)
      if [ $((i++ % 4)) = 0 ]; then
        e=-
        bird_established 2>/dev/null && e=E
      fi
      [ -n "$n" ] && echo "$((${EPOCHREALTIME/./} / 1000)) $n $e"
      sleep 0.01
    done >"$LAB_DIR/bgp-poll.$1"
  ) &
  BGP_POLL_PID=$!
  lab_track_pid $BGP_POLL_PID
}
bgp_poll_stop() {
  local min down
  touch "$LAB_DIR/bgp-poll.stop"
  wait "$BGP_POLL_PID"
  BGP_SAMPLES=$(wc -l <"$LAB_DIR/bgp-poll.$1")
  min=$(awk 'NR == 1 || $2 < m { m = $2 } END { print m }' "$LAB_DIR/bgp-poll.$1")
  BGP_LOST=$((BGP_ROUTES - ${min:-0}))
  down=$(awk '$3 == "-" { if (!f) f = $1; l = $1 } END { print f ? l - f : "none" }' "$LAB_DIR/bgp-poll.$1")
  echo "# BGP across the $1: $BGP_SAMPLES samples of bird2's routes to contoso, fewest ${min:-none} of $BGP_ROUTES; bird2 without a session for ${down} ms (first to last sample)"
}
# bgp_told NAME T_MS: when bird2 saw its session up again after T_MS (a failover's start), and
# whether it took the drop as the neighbor's graceful restart.
bgp_told() {
  local up gr
  up=$(awk -v t="$2" '/contoso: State changed to up/ { ms = int($1 * 1000); if (ms >= t) { printf "%d", ms - t; exit } }' "$LAB_DIR/bird-events.log")
  gr=$(awk -v t="$2" '/contoso: Neighbor graceful restart detected/ && int($1 * 1000) >= t { n++ } END { print n + 0 }' "$LAB_DIR/bird-events.log")
  echo "# BGP across the $1: bird2's session up again ${up:-?} ms after it began; graceful restarts bird2 detected: $gr"
}
# not_established NODE: NODE's bgpd does not claim the session.
not_established() { [ "$(bgp_state "$1")" != Established ]; }

ok "gwa (priority 200) is active, gwb passive" lab_pair_active_is a
ok "BGP: bird2 and contoso's FRR on gwa, the active node, are Established; bird2 has contoso's $BGP_ROUTES subnets" \
  bgp_with_verbose a
ok "gwb's bgpd, on the passive node, has no session: its data plane drops everything ($(bgp_state b))" \
  test "$(bgp_state b)" != Established
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
kill_active() { BGP_T0=$(date +%s%3N); kill -KILL "$(cat "$LAB_DIR/gwa.pid")"; }

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
# Every stream session gwa has, gwb has too (a stream may end meanwhile, on both: the count is
# not the point, the copies are).
tcp_synced() {
  tcp_sessions a >"$LAB_DIR/tcp-sessions.a" && tcp_sessions b >"$LAB_DIR/tcp-sessions.b" &&
    [ -s "$LAB_DIR/tcp-sessions.a" ] &&
    [ -z "$(comm -23 "$LAB_DIR/tcp-sessions.a" "$LAB_DIR/tcp-sessions.b")" ]
}
# On failure, what differs ("<" gwa only, ">" gwb only).
tcp_synced_or_diff() {
  if lab_wait_for tcp_synced; then
    echo "# gwa and gwb both hold $(wc -l <"$LAB_DIR/tcp-sessions.a") stream sessions"
    return 0
  fi
  echo "gwa: $(wc -l <"$LAB_DIR/tcp-sessions.a") sessions, gwb: $(wc -l <"$LAB_DIR/tcp-sessions.b")"
  diff "$LAB_DIR/tcp-sessions.a" "$LAB_DIR/tcp-sessions.b"
  return 1
}
ok "gwb holds every stream's NAT session, as gwa has it, before the kill" tcp_synced_or_diff
bgp_poll_start kill
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
ok "after the kill, BGP is Established again, with gwb (its show bgp says so)" bgp_with_verbose b
sleep 1 # Past the new session's End-of-RIB: the stale routes are refreshed or gone by now.
bgp_poll_stop kill
bgp_told kill "$BGP_T0"
kill_bgp_lost=$BGP_LOST
ok "no route to contoso disappeared from bird2 across the kill (bgp_routes_lost=$kill_bgp_lost, $BGP_SAMPLES samples)" \
  test "$kill_bgp_lost" = 0 -a "$BGP_SAMPLES" -gt 0
echo "BENCH name=ha_failover outage_ms=$kill_outage tcp_kept=$tcp_ok/$N_TCP esp_outage_ms=$esp_kill ike_renegotiated=$ike_kill_reneg bgp_routes_lost=$kill_bgp_lost"

# ---- 2. gwa rejoins; preempt on: it takes back, once it has gwb's state ----
rejoin() { BGP_T0=$(date +%s%3N); lab_pair_start a && LAB_WAIT_TRIES=300 lab_wait_for lab_pair_active_is a; }
bgp_poll_start rejoin
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
lab_wait_for frr_up a
track_frr a
ok "after the rejoin, BGP is Established again, with gwa (its show bgp says so)" bgp_with_verbose a
sleep 1
bgp_poll_stop rejoin
bgp_told rejoin "$BGP_T0"
ok "no route to contoso disappeared from bird2 across the rejoin (bgp_routes_lost=$BGP_LOST)" \
  test "$BGP_LOST" = 0 -a "$BGP_SAMPLES" -gt 0

# ---- 3. graceful switchover ----
switchover() { BGP_T0=$(date +%s%3N); ctl gwa cluster switchover >"$LAB_DIR/switchover.out" 2>&1; }
ok "gwa got the tunnel's SAs back from gwb and owns them again" lab_wait_for sh -c "'$HNVGWCTL' -s '$LAB_DIR/gwa.sock' show vpn | grep -q ESTABLISHED"
ike_before=$(site_ike)
tcp_start
esp_start 6
sleep 2
bgp_poll_start switchover
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
ok "after the switchover, BGP is Established again, with gwb (its show bgp says so)" bgp_with_verbose b
sleep 1
bgp_poll_stop switchover
bgp_told switchover "$BGP_T0"
sw_bgp_lost=$BGP_LOST
ok "no route to contoso disappeared from bird2 across the switchover (bgp_routes_lost=$sw_bgp_lost, $BGP_SAMPLES samples)" \
  test "$sw_bgp_lost" = 0 -a "$BGP_SAMPLES" -gt 0
lab_wait_for not_established a
ok "gwa, passive now, reset its session rather than claim it (its show bgp says $(bgp_state a))" \
  not_established a
echo "BENCH name=ha_switchover outage_ms=$sw_outage tcp_kept=$sw_tcp_ok/$N_TCP esp_outage_ms=$esp_sw ike_renegotiated=$ike_sw_reneg bgp_routes_lost=$sw_bgp_lost"
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
