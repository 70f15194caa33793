#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Lab: the pair's election (VRRPv3, RFC 5798) against stock keepalived 2.2.7 as the peer.
#
# The standard lab, with the gateway made one node of a pair: its provider port's own address is
# 10.0.0.11 and the PA 10.0.0.1 is virtual (node cluster: vrid 51, priority 100, adverts every
# 100 ms). The other "node" is keepalived in a namespace of its own on the PA switch (10.0.0.20,
# MAC 02:00:0a:00:00:14), owning 10.0.0.1 as its virtual_ipaddress, version 3, advert_int 0.1.
# A probe namespace on the switch (10.0.0.250) asks who answers ARP and sends crafted frames.
#
# In turn: hnvgwd alone elects itself and forwards; keepalived (150) preempts it: hnvgwd turns
# passive (answers no ARP for the PA, forwards nothing, counts what it drops); keepalived is
# SIGKILLed: hnvgwd takes over within ~0.4 s (figures from show cluster and from a capture),
# with gratuitous ARPs, and forwards; keepalived back at 200 preempts it; a reload to 250 makes
# hnvgwd preempt keepalived; "cluster switchover" hands over to keepalived and is not undone
# during switchover_hold; bad adverts are counted and ignored; SIGTERM on the master hands over
# with priority 0. A SIGKILLed keepalived leaves its VIP in its namespace's kernel (it would go on
# answering ARP): the test deletes it, as a dead node's addresses would be gone.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topology.sh"
lab_init vrrp
lab_plan 43

PROBE="$LAB_PY $(dirname "$0")/vrrp_probe.py"
GW_MAC=02:00:0a:00:00:01
KA_MAC=02:00:0a:00:00:14
KA_IP=10.0.0.20
GW_IP=10.0.0.11

# The gateway's copy of conf/hnvgw.conf as one node of a pair.
pair_conf() {
  sed -i -e 's|^\(\s*\)address = "10.0.0.1/24"|\1address = "10.0.0.11/24"|' \
    -e 's|^\(\s*\)provider_addresses = .*|&\n\1cluster {\n\1  vrid = 51\n\1  priority = 100\n\1  advert_interval_ms = 100\n\1  sync_address = "10.20.0.11"\n\1  peer = "10.20.0.12"\n\1  secret = "lab-only-secret-0123456789"\n\1}|' "$1" &&
    grep -q 'address = "10.0.0.11/24"' "$1" && grep -q 'vrid = 51' "$1" &&
    # The sync channel binds its address before the daemon is up; keepalived has no sync peer,
    # so the channel just goes on saying HELLO to nobody.
    ip -n "$NS_GW" addr add 10.20.0.11/32 dev lo
}
LAB_GW_CONF_EDIT=pair_conf
lab_topology_up || { echo "# topology failed"; exit 1; }
vm() { local n=$1; shift; ip netns exec "${NS_VM[$n]}" "$@"; }

# keepalived's namespace and the probe's, both on the PA switch.
NS_KA=$(lab_netns ka)
lab_veth "$NS_PA" kav0 "$NS_KA" eth0 && ip -n "$NS_PA" link set kav0 master br0
ip -n "$NS_KA" link set eth0 address $KA_MAC
ip -n "$NS_KA" addr add $KA_IP/24 dev eth0
NS_PROBE=$(lab_netns probe)
lab_veth "$NS_PA" prv0 "$NS_PROBE" eth0 && ip -n "$NS_PA" link set prv0 master br0
ip -n "$NS_PROBE" link set eth0 address 02:00:0a:00:00:fa
ip -n "$NS_PROBE" addr add 10.0.0.250/24 dev eth0
probe() { ip netns exec "$NS_PROBE" $PROBE "$@"; }

# ka_start PRIORITY: keepalived as the peer, in the foreground of its own process (-n), its VRRP
# child tracked too.
ka_start() {
  cat >"$LAB_DIR/ka.conf" <<EOF
vrrp_instance pa {
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority $1
  advert_int 0.1
  version 3
  virtual_ipaddress {
    10.0.0.1/24
  }
}
EOF
  rm -f "$LAB_DIR"/ka*.pid
  ip netns exec "$NS_KA" keepalived -n -l -D -f "$LAB_DIR/ka.conf" -p "$LAB_DIR/ka.pid" \
    -r "$LAB_DIR/ka-vrrp.pid" -c "$LAB_DIR/ka-check.pid" >>"$LAB_DIR/ka.log" 2>&1 &
  KA_PID=$!
  lab_track_pid $KA_PID
  lab_wait_for test -s "$LAB_DIR/ka-vrrp.pid" || { echo "# keepalived did not start"; tail "$LAB_DIR/ka.log"; return 1; }
  lab_track_pid "$(cat "$LAB_DIR/ka-vrrp.pid")"
}
# ka_crash: keepalived dies at once, no priority 0: its parent is stopped first so that it
# neither restarts its VRRP child nor lets it leave gracefully. Its VIP stays in the kernel:
# deleted, as a dead node's would be gone.
ka_crash() {
  kill -STOP "$KA_PID"
  kill -KILL "$(cat "$LAB_DIR/ka-vrrp.pid")" "$KA_PID"
  wait "$KA_PID" 2>/dev/null
  ip -n "$NS_KA" addr del 10.0.0.1/24 dev eth0 2>/dev/null
  return 0
}
ka_master() { ip -n "$NS_KA" -4 addr show dev eth0 | grep -q 'inet 10.0.0.1/'; }
ka_backup() { ! ka_master; }

# cl PATH: a field of "show cluster" ("peer.state", "last_failover.reason").
cl() {
  ctl gw --json show cluster | $LAB_PY -c '
import json, sys
v = json.load(sys.stdin)
for k in sys.argv[1].split("."):
    v = v[k]
print(v)' "$1"
}
cl_is() { local v; v=$(cl "$1") && echo "$1 = $v" && [ "$v" = "$2" ]; }
cl_gt() { local v; v=$(cl "$1") && [ "$v" -gt "$2" ]; }
# all CMD...: every command (a string each) holds.
all() { local c; for c in "$@"; do eval "$c" || return 1; done; }
cl_lt() { local v; v=$(cl "$1") && echo "$1 = $v" && $LAB_PY -c 'import sys; sys.exit(not float(sys.argv[1]) < float(sys.argv[2]))' "$v" "$2"; }
role_is() { cl_is role "$1"; }
ping_across() { vm vma1 ping -c 2 -W 1 10.1.2.10; }
arp_only() { local m; m=$(probe arp eth0 "$1" | tr '\n' ' '); echo "ARP $1 answered by: $m"; [ "$m" = "$2 " ]; }
# capture NAME: VRRP and ARP on the PA switch into $LAB_DIR/NAME.pcap.
# --immediate-mode: libpcap's block timeout would otherwise hold the last packets back when the
# capture stops.
capture() { CAP="$LAB_DIR/$1.pcap"; lab_capture_start "$NS_PA" br0 "$CAP" --immediate-mode 'ip proto 112 or arp'; }
gap() { probe takeover "$CAP" "$1" "$2"; }

# ---- Alone, hnvgwd elects itself after Master_Down_Interval and forwards ----
LAB_WAIT_TRIES=100 lab_wait_for role_is active
ok "alone, hnvgwd becomes active" role_is active
ok "show cluster: vrrp master, as no master was heard" cl_is last_failover.reason "no master heard"
lab_wait_for ping_across
ok "contoso pings across subnets through the active hnvgwd" ping_across

# ---- keepalived (150) preempts hnvgwd (100) ----
ka_start 150 || exit 1
lab_wait_for role_is passive
ok "keepalived (priority 150) preempts: hnvgwd is passive" role_is passive
ok "show cluster: vrrp backup" cl_is vrrp_state backup
ok "show cluster: the peer is keepalived, master, priority 150" \
  all "cl_is peer.address $KA_IP" "cl_is peer.state master" "cl_is peer.priority 150"
ok "show cluster: the failover is 'preempted by a higher priority'" cl_is last_failover.reason "preempted by a higher priority"
lab_wait_for ka_master
ok "keepalived holds the virtual PA 10.0.0.1" ka_master
ok "the passive node answers no ARP for the virtual PA: only keepalived does" arp_only 10.0.0.1 $KA_MAC
ok "the passive node still answers ARP for its own address 10.0.0.11" arp_only $GW_IP $GW_MAC
nok "no ping across subnets while keepalived holds the PA" ping_across
before=$(stat_of gw provider.ha_passive) || before=x
probe nvgre eth0 $GW_MAC
ok "NVGRE sent to the passive node is dropped and counted (provider.ha_passive)" stat_rose gw provider.ha_passive "$before" ">=1"

# ---- keepalived dies (SIGKILL): hnvgwd takes over ----
capture kill
# The capture must hold keepalived's last advert: wait for one before the kill.
ka_in_capture() { [ "$(pcap_count "$CAP" "src $KA_IP")" -ge 1 ]; }
lab_wait_for ka_in_capture
t_kill=$(date +%s.%N)
ka_crash
LAB_WAIT_INTERVAL=0.02 LAB_WAIT_TRIES=500 lab_wait_for role_is active
t_seen=$(date +%s.%N)
ok "after keepalived's SIGKILL, hnvgwd is active" role_is active
ok "show cluster: the failover is 'master down', from peer $KA_IP" \
  all "cl_is last_failover.reason 'master down'" "cl_is last_failover.peer $KA_IP"
detect=$(cl last_failover.detect_ms); switch=$(cl last_failover.switch_ms); total=$(cl last_failover.total_ms)
ok "show cluster: from keepalived's last advert to the data plane's switch under 450 ms" cl_lt last_failover.total_ms 450
sleep 1.3 # The three GARP bursts: at once, +100 ms, +1 s.
lab_capture_stop
read -r _ gap_kill < <(gap $KA_IP $GW_IP) || gap_kill=x
ok "capture: hnvgwd's first advert came under 450 ms after keepalived's last ($gap_kill ms)" \
  $LAB_PY -c "import sys; sys.exit(not $gap_kill < 450)"
garps=$(pcap_count "$CAP" "arp and ether src $GW_MAC and arp[14:4] = 0x0a000001 and arp[24:4] = 0x0a000001")
ok "capture: gratuitous ARPs for 10.0.0.1 from hnvgwd's MAC, three bursts ($garps)" test "$garps" -ge 3
lab_wait_for ping_across
ok "contoso pings across subnets through hnvgwd again" ping_across
ok "and hnvgwd answers ARP for the virtual PA" arp_only 10.0.0.1 $GW_MAC
ctl gw show cluster | sed 's/^/#   /'
echo "# takeover after SIGKILL: show cluster detect_ms=$detect switch_ms=$switch total_ms=$total;" \
  "capture: keepalived's last advert -> hnvgwd's first $gap_kill ms;" \
  "kill -> show cluster active (polled every 20 ms) $($LAB_PY -c "print(round(($t_seen - $t_kill) * 1000))") ms"

# ---- keepalived back with priority 200 preempts ----
ka_start 200 || exit 1
lab_wait_for role_is passive
ok "keepalived back with priority 200 preempts: hnvgwd passive" role_is passive
ok "show cluster: 'preempted by a higher priority', peer priority 200" \
  all "cl_is last_failover.reason 'preempted by a higher priority'" "cl_is peer.priority 200"

# ---- A reload to priority 250 (live) makes hnvgwd preempt keepalived ----
sed -i 's|^\(\s*\)priority = 100$|\1priority = 250|' "$LAB_DIR/gw.conf"
ok "reload with cluster priority 250 is taken live" ctl gw reload
# A node that starts with preemption waits for the peer's state before it preempts, at most
# CLUSTER_SYNC_WAIT_MAX_S (30 s): keepalived syncs nothing, so the wait runs out. Whether it
# still runs here depends on how long the steps above took.
waiting=$(cl waiting_for_sync); role=$(cl role)
echo "# right after the reload: waiting_for_sync=$waiting role=$role"
ok "no preemption while waiting for the peer's state" test "$waiting" = False -o "$role" = passive
LAB_WAIT_TRIES=70 lab_wait_for cl_is waiting_for_sync False
lab_wait_for role_is active
ok "hnvgwd (250) preempts keepalived (200)" role_is active
ok "show cluster: 'preempted a lower master', priority 250" \
  all "cl_is last_failover.reason 'preempted a lower master'" "cl_is priority 250"
LAB_WAIT_TRIES=30 lab_wait_for ka_backup
nok "keepalived went backup: it dropped the VIP" ka_master
lab_wait_for ping_across
ok "contoso pings across subnets through hnvgwd" ping_across
sed -i 's|^\(\s*\)vrid = 51$|\1vrid = 52|' "$LAB_DIR/gw.conf"
nok "a reload that changes the vrid is refused (needs a restart)" ctl gw reload
sed -i 's|^\(\s*\)vrid = 52$|\1vrid = 51|' "$LAB_DIR/gw.conf"

# ---- cluster switchover hands over to keepalived ----
capture switchover
ok "cluster switchover on the active hnvgwd" ctl gw cluster switchover
ok "hnvgwd is passive at once, reason switchover" \
  all "cl_is role passive" "cl_is last_failover.reason switchover"
lab_wait_for ka_master
ok "keepalived takes the VIP" ka_master
sleep 0.5
lab_capture_stop
read -r prio0 gap_sw < <(gap $GW_IP $KA_IP) || { prio0=x; gap_sw=x; }
ok "capture: hnvgwd's priority 0, then keepalived's first advert $gap_sw ms later (< 100)" \
  $LAB_PY -c "import sys; sys.exit(not ('$prio0' == '0' and $gap_sw < 100))"
echo "# switchover: hnvgwd's priority-0 advert -> keepalived's first advert $gap_sw ms"
sleep 2
ok "hnvgwd (250, preempt) does not take it back during switchover_hold" role_is passive
nok "cluster switchover on the passive node is refused" ctl gw cluster switchover

# ---- Bad adverts are counted and ignored ----
declare -A BAD=([checksum]="a bad VRRP checksum" [ttl]="TTL 64 (from off the link)" [vrid]="another vrid (52): ignored")
for c in checksum ttl vrid; do
  b=$(cl drops.$c)
  probe bad eth0 $c
  ok "an advert of priority 254 with ${BAD[$c]} is counted under drops.$c" lab_wait_for cl_gt drops.$c "$b"
done
ok "and ignored: the peer is still keepalived, master" \
  all "cl_is peer.address $KA_IP" "cl_is peer.state master" "cl_is role passive"

# ---- SIGTERM on the master: priority 0, keepalived takes over after its Skew_Time ----
sed -i 's|^\(\s*\)vrid = 51$|&\n\1switchover_hold = 0|' "$LAB_DIR/gw.conf"
ok "reload with switchover_hold = 0: preemption resumes" ctl gw reload
lab_wait_for role_is active
ok "hnvgwd (250) preempts keepalived again" role_is active
LAB_WAIT_TRIES=30 lab_wait_for ka_backup
sleep 1 # keepalived settled as backup, having heard hnvgwd's adverts for a while
capture term
kill -TERM "$(cat "$LAB_DIR/gw.pid")"
lab_wait_for ka_master
ok "after hnvgwd's SIGTERM, keepalived holds the VIP" ka_master
sleep 0.3
lab_capture_stop
read -r prio0 gap_term < <(gap $GW_IP $KA_IP) || { prio0=x; gap_term=x; }
# hnvgwd's part is the priority-0 advert. keepalived usually answers it after its Skew_Time
# (about 25 ms), but in about one CI run in six it restarted its whole Master_Down_Interval
# (322 ms) from that advert instead; that is the peer's choice, bounded here by the interval.
ok "capture: hnvgwd's last advert was priority 0; keepalived advertised $gap_term ms later (< 400)" \
  $LAB_PY -c "import sys; sys.exit(not ('$prio0' == '0' and $gap_term < 400))"
ok "hnvgwd logged leaving as master" grep -q "leaving as master: priority 0 sent" "$LAB_DIR/gw.log"
echo "# SIGTERM: hnvgwd's priority-0 advert -> keepalived's first advert $gap_term ms"

lab_done
