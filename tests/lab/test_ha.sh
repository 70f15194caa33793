#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# An active/passive gateway pair (pair.sh): election, takeover and handover under traffic.
# gwa (priority 200) and gwb (100) run the shipped config with its shared addresses virtual.
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
lab_init ha
lab_plan 18

LAB_INTERNET=1
LAB_HOST_WORKERS=1
lab_pair_up || { echo "# pair failed"; exit 1; }
INET=198.18.1.2
ECHO_PORT=7777
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
tcp_start
sleep 2 # The streams are established, their sessions synced.
probe_during 6 2 kill_active
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
echo "BENCH name=ha_failover outage_ms=$kill_outage tcp_kept=$tcp_ok/$N_TCP"

# ---- 2. gwa rejoins; preempt on: it takes back ----
probe_during 8 1 lab_pair_start a
rejoin_outage=$(probe_field outage_ms)
echo "# rejoin with preempt: outage ${rejoin_outage} ms"
ok "gwa rejoined and, with preempt, is active again; gwb passive" lab_wait_for lab_pair_active_is a
ok "the preemption cost under 1 s of the probe (${rejoin_outage} ms)" test "$rejoin_outage" -lt 1000

# ---- 3. graceful switchover ----
switchover() { ctl gwa cluster switchover >"$LAB_DIR/switchover.out" 2>&1; }
tcp_start
sleep 2
probe_during 5 2 switchover
sw_outage=$(probe_field outage_ms)
tcp_kept
sw_tcp_ok=$TCP_KEPT
echo "# TCP streams through NAT kept across the switchover: $sw_tcp_ok/$N_TCP"
ok "every TCP stream through NAT went on across the switchover ($sw_tcp_ok/$N_TCP whole)" \
  test "$sw_tcp_ok" = $N_TCP
echo "# switchover: outage ${sw_outage} ms"
ok "cluster switchover on gwa: gwb active, gwa passive" lab_wait_for lab_pair_active_is b
ok "the switchover cost under 200 ms of the probe (${sw_outage} ms)" test "$sw_outage" -lt 200
echo "BENCH name=ha_switchover outage_ms=$sw_outage tcp_kept=$sw_tcp_ok/$N_TCP"
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
