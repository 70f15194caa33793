#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Lab: multi-tenant NAT44. The standard lab with the "internet" behind ext (LAB_INTERNET=1): two
# tenants with identical CAs leave the gateway as their own public addresses (198.18.0.10 contoso,
# 198.18.0.20 fabrikam, from conf/hnvgw.conf). Real kernel stacks and tools on both sides: curl,
# ping, traceroute, UDP echo, a static inbound mapping and its hairpin, fragments, quotas, session
# expiry, the mapping log, the CLI, and inbound packets crafted with scapy that must be dropped.
#
# The gateway runs the shipped config with a few test values: two workers (sessions belong to one
# of them, and packets that arrive on the other are handed over), contoso's UDP and ICMP sessions
# expire after 5 s of idleness, fabrikam may hold 8 sessions at once.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topology.sh"
lab_init nat
# The inbound drop cases come from the script that crafts them: an empty or failing list fails.
ok "nat_bad.py lists its cases" lab_list CASES $LAB_PY "$(dirname "$0")/nat_bad.py" --list
lab_plan $((35 + ${#CASES[@]}))

nat_lab_conf() {
  sed -i -e 's|^\(\s*\)public_addresses = {"198.18.0.10"}$|&\n\1udp_timeout = 5\n\1icmp_timeout = 5|' \
    -e 's|^\(\s*\)public_addresses = {"198.18.0.20"}$|&\n\1max_sessions = 8|' \
    -e 's|^\(\s*workers = \)1$|\12|' "$1" &&
    grep -q '^\s*workers = 2$' "$1" &&
    grep -q '^\s*udp_timeout = 5$' "$1" && grep -q '^\s*max_sessions = 8$' "$1"
}
LAB_GW_CONF_EDIT=nat_lab_conf
LAB_INTERNET=1
lab_topology_up || { echo "# topology failed"; exit 1; }

vm() { local n=$1; shift; ip netns exec "${NS_VM[$n]}" "$@"; }
INET=198.18.1.2
ECHO_PORT=7777
# The UDP flow whose session, mapping and expiry are followed from start to end.
UDP_SPORT=40123

lab_http_peer "$NS_INET" 8080      # tells who it sees: the public address of each tenant
lab_udp_peer "$NS_INET" $ECHO_PORT # echoes "ADDR:PORT DATA"
lab_http_peer "${NS_VM[vma1]}" 8080 # behind the static mapping 198.18.0.10:8080
lab_wait_for vm vma1 ping -c 1 -W 1 $INET
lab_wait_for vm vmb1 ping -c 1 -W 1 $INET

# udp_ask NS SPORT HOST PORT MSG: sends MSG from local port SPORT (up to 3 tries) and prints the
# answer.
udp_ask() {
  ip netns exec "$1" $LAB_PY -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[1])))
s.settimeout(2)
for _ in range(3):
    s.sendto(sys.argv[4].encode(), (sys.argv[2], int(sys.argv[3])))
    try:
        print(s.recv(2048).decode())
        sys.exit(0)
    except socket.timeout:
        pass
sys.exit(1)' "$2" "$3" "$4" "$5"
}

# udp_flows NS N HOST PORT: N new UDP flows, one datagram each from a port of its own; prints how
# many were answered.
udp_flows() {
  ip netns exec "$1" $LAB_PY -c '
import select, socket, sys, time
n, host, port = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
socks = []
for i in range(n):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", 0))
    s.sendto(b"flow %d" % i, (host, port))
    socks.append(s)
answered, end = set(), time.time() + 2
while len(answered) < n and time.time() < end:
    for s in select.select([s for s in socks if s not in answered], [], [], 0.2)[0]:
        s.recv(2048)
        answered.add(s)
print("%d of %d flows answered" % (len(answered), n))' "$2" "$3" "$4"
}

# nat_find TENANT PROTO INSIDE REMOTE: prints the public endpoint of that session of TENANT, from
# `show nat sessions`; returns 0 when it is listed, 1 when not, 2 when the listing failed.
nat_find() {
  local j
  j=$(ctl gw --json show nat sessions tenant="$1") || return 2
  echo "$j" | $LAB_PY -c '
import json, sys
try:
    d = json.load(sys.stdin)
    m = [s["public"] for s in d["sessions"]
         if s["proto"] == sys.argv[1] and s["inside"] == sys.argv[2] and s["remote"] == sys.argv[3]]
except (ValueError, KeyError, TypeError) as e:
    print("bad listing: %r" % e)
    sys.exit(2)
if not m:
    sys.exit(1)
print(m[0])' "$2" "$3" "$4"
}

# nat_total TENANT: the number of NAT sessions of TENANT.
nat_total() {
  ctl gw --json show nat sessions tenant="$1" | $LAB_PY -c '
import json, sys
print(json.load(sys.stdin)["total"])'
}

# rose COUNTER BEFORE [BY]: the gateway's COUNTER is at least BEFORE + BY (1).
rose() {
  local now; now=$(stat_of gw "$1")
  echo "$1: $2 -> $now"
  [ "$now" -ge $(($2 + ${3:-1})) ]
}

# wait_polls N CMD...: lab_wait_for with room for N polls instead of LAB_WAIT_TRIES.
wait_polls() { local LAB_WAIT_TRIES=$1; shift; lab_wait_for "$@"; }

# log_has ERE: a line of the gateway's log matches ERE (the log is drained asynchronously).
log_has() { lab_wait_for grep -Eq "$1" "$LAB_DIR/gw.log" || { echo "no log line matches: $1"; return 1; }; }
re() { printf '%s' "$1" | sed 's/[].[*^$()+?{}|\\]/\\&/g'; }

# ---- Two tenants, identical CAs, different public addresses ----
in2out=$(stat_of gw nat.in2out); out2in=$(stat_of gw nat.out2in)
ok "contoso 10.1.1.10 is seen on the internet as 198.18.0.10" \
  curl_is "${NS_VM[vma1]}" "http://$INET:8080/" 198.18.0.10
ok "fabrikam 10.1.1.10 (the same CA) is seen as 198.18.0.20" \
  curl_is "${NS_VM[vmb1]}" "http://$INET:8080/" 198.18.0.20
ok "translations were counted inside to outside" rose nat.in2out "$in2out"
ok "and outside to inside" rose nat.out2in "$out2in"

# ---- UDP and ICMP; the UDP session of UDP_SPORT is followed to its expiry below ----
expired=$(stat_of gw nat.sessions_expired)
udp_echo() {
  local a
  a=$(udp_ask "${NS_VM[vma1]}" $UDP_SPORT $INET $ECHO_PORT hello) || { echo "no echo"; return 1; }
  echo "echo: $a"
  [[ $a =~ ^198\.18\.0\.10:[0-9]+\ hello$ ]]
}
ok "UDP through NAT: vma1 gets its echo, sent from 198.18.0.10" udp_echo
ok "ping through NAT from contoso" vm vma1 ping -c 2 -W 2 $INET
ok "ping through NAT from fabrikam" vm vmb1 ping -c 2 -W 2 $INET

PUB=""
udp_session_listed() {
  PUB=$(nat_find contoso udp 10.1.1.10:$UDP_SPORT $INET:$ECHO_PORT) || { echo "not listed"; PUB=""; return 1; }
  echo "public $PUB"
  [[ $PUB =~ ^198\.18\.0\.10:[0-9]+$ ]]
}
ok "show nat sessions tenant=contoso lists the UDP session on 198.18.0.10" udp_session_listed
pub_re='198\.18\.0\.10:[0-9]+'
[ -n "$PUB" ] && pub_re=$(re "$PUB")
ok "mapping log: nat mapping add for the UDP flow" log_has \
  "nat mapping add tenant=contoso\(1\) proto=udp inside=10\.1\.1\.10:$UDP_SPORT public=$pub_re time=[0-9][^ ]*Z$"
ok "mapping log: nat block alloc for contoso on 198.18.0.10" log_has \
  "nat block alloc tenant=contoso\(1\) public=198\.18\.0\.10:[0-9]+-[0-9]+ time=[0-9][^ ]*Z$"

# ---- traceroute: the ext router's time-exceeded goes to 198.18.0.10 and is translated back ----
icmp_xl=$(stat_of gw nat.icmp_errors_translated)
trace_via_ext() {
  local out
  out=$(vm vma1 traceroute -n -q 1 -w 2 -m 6 "$@" $INET 2>&1)
  echo "$out"
  [ "$(echo "$out" | awk '$1 == 2 {print $2}')" = 10.99.0.2 ] &&
    echo "$out" | awk 'NR > 1 {print $2}' | grep -qx "$INET"
}
ok "traceroute (UDP): hop 2 is the ext router 10.99.0.2, and it reaches $INET" trace_via_ext
ok "traceroute -I (ICMP echo): the same path" trace_via_ext -I
ok "the ICMP errors' quoted packets were translated (RFC 5508)" rose nat.icmp_errors_translated "$icmp_xl" 2

# ---- Static inbound mapping and hairpinning ----
hairpin=$(stat_of gw nat.hairpinned); static=$(stat_of gw nat.static_hits)
ok "hairpin: vma2 reaches vma1 through 198.18.0.10:8080, seen as 198.18.0.10 (RFC 4787 REQ-9)" \
  curl_is "${NS_VM[vma2]}" http://198.18.0.10:8080/ 198.18.0.10
ok "hairpinning was counted" rose nat.hairpinned "$hairpin"
ok "static mapping: the internet reaches vma1 at 198.18.0.10:8080" \
  curl_is "$NS_INET" http://198.18.0.10:8080/ $INET
ok "static mapping hits were counted" rose nat.static_hits "$static"

# ---- Inbound packets the NAT must drop (scapy, from the internet) ----
delivered() { echo $(( $(stat_of gw encap.nvgre) + $(stat_of gw nat.out2in) )); }
# Sends 3 packets of case $1 and checks that counter $1 rose by exactly 3 and nothing went in.
check_drop() {
  local counter=$1 n=3 before fwd_before
  before=$(stat_of gw "$counter") || return 1
  fwd_before=$(delivered)
  ip netns exec "$NS_INET" $LAB_PY "$(dirname "$0")/nat_bad.py" "$counter" $n || return 1
  stat_rose gw "$counter" "$before" $n || return 1
  [ "$(delivered)" -eq "$fwd_before" ] || { echo "something reached the inside"; return 1; }
}
for case in "${CASES[@]}"; do
  ok "inbound $case: dropped as $case, nothing reaches a VM" check_drop "$case"
done

# ---- Fragments: reassembled for translation, both ways ----
frags=$(stat_of gw nat.fragments); reasm=$(stat_of gw nat.reassembled)
ok "a 3000-byte ping (fragments, no DF) through NAT" vm vma1 ping -c 2 -W 2 -s 3000 -M dont $INET
ok "NAT received fragments" rose nat.fragments "$frags" 2
ok "and reassembled datagrams" rose nat.reassembled "$reasm"

# ---- Quota isolation: fabrikam (max_sessions 8) cannot hurt contoso ----
quota=$(stat_of gw nat.session_quota)
over_quota() {
  udp_flows "${NS_VM[vmb1]}" 20 $INET $ECHO_PORT
  # At most 8 of the 20 new flows fit, fewer as fabrikam holds sessions already.
  rose nat.session_quota "$quota" 12
}
ok "fabrikam opens 20 UDP flows: those beyond its quota of 8 sessions are refused" over_quota
fab_within_quota() { local t; t=$(nat_total fabrikam) || return 1; echo "fabrikam sessions: $t"; [ "$t" -ge 1 ] && [ "$t" -le 8 ]; }
ok "fabrikam holds at most its 8 sessions" fab_within_quota
ok "contoso is unaffected: still curls through NAT" \
  curl_is "${NS_VM[vma1]}" "http://$INET:8080/" 198.18.0.10

# ---- Clearing sessions from the CLI ----
cleared() {
  local n
  n=$(ctl gw --json clear nat sessions tenant=fabrikam | $LAB_PY -c '
import json, sys
print(json.load(sys.stdin)["cleared"])') || return 1
  echo "cleared $n"
  [ "$n" -gt 0 ]
}
ok "clear nat sessions tenant=fabrikam clears some" cleared
fab_empty() { local t; t=$(nat_total fabrikam) || return 1; echo "fabrikam sessions: $t"; [ "$t" -eq 0 ]; }
ok "fabrikam has no session left" fab_empty
ok "and opens new ones again" curl_is "${NS_VM[vmb1]}" "http://$INET:8080/" 198.18.0.20

# NAT settings are fixed while running: a reload that changes them is refused, and the sessions
# and the translation go on as they were.
sessions_before=$(nat_total fabrikam)
sed -i 's|^\(\s*\)max_sessions = 8$|\1max_sessions = 9|' "$LAB_DIR/gw.conf"
refused_for_nat() {
  local out
  out=$(ctl gw reload 2>&1) && { echo "reload accepted: $out"; return 1; }
  echo "$out" | grep -q "nat section.*needs a restart" || { echo "unexpected: $out"; return 1; }
}
ok "a reload that changes a nat section is refused as needing a restart" refused_for_nat
same_sessions() { local t; t=$(nat_total fabrikam) || return 1; [ "$t" -eq "$sessions_before" ] || { echo "$t, was $sessions_before"; return 1; }; }
ok "and fabrikam's sessions are all still there" same_sessions
ok "and NAT still translates" curl_is "${NS_VM[vmb1]}" "http://$INET:8080/" 198.18.0.20
sed -i 's|^\(\s*\)max_sessions = 9$|\1max_sessions = 8|' "$LAB_DIR/gw.conf"
ok "the unchanged file reloads" ctl gw reload

# ---- Expiry of the UDP session (contoso udp_timeout = 5) ----
udp_session_gone() {
  nat_find contoso udp 10.1.1.10:$UDP_SPORT $INET:$ECHO_PORT
  [ $? -eq 1 ]
}
ok "the idle UDP session expires" wait_polls 600 udp_session_gone
ok "expiry was counted" rose nat.sessions_expired "$expired"
ok "mapping log: nat mapping del for the UDP flow" log_has \
  "nat mapping del tenant=contoso\(1\) proto=udp inside=10\.1\.1\.10:$UDP_SPORT public=$pub_re time=[0-9][^ ]*Z$"

alive() { ctl gw show status; }
ok "the gateway is still running" alive
# Which worker a packet lands on is the tap's choice, so hand-offs are reported, not required
# (tests/dataplane/test_nat.c proves them).
echo "# nat.handoffs=$(stat_of gw nat.handoffs) between the gateway's 2 workers"
lab_done
