#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Split brain in a gateway pair (pair.sh: gwa priority 200, gwb 100, adverts every 100 ms).
#
#   1. The sync link alone goes down: the adverts still decide, nothing moves.
#   2. The sync link and gwb's PA link (bpa0 out of the PA switch) are both down: gwb hears no
#      advert any more and becomes active too. Both are active, each on its side; the external
#      network is still shared, so both answer there.
#   3. The links heal. RFC 5798: the higher priority keeps the role, the other steps down. The lab
#      measures how long the loser goes on claiming a virtual address after the heal, which
#      must be under one advert interval, and checks that traffic goes on at once.
#   4. The same with equal priorities (gwb reloaded to 200): the higher primary address wins,
#      gwb (10.0.0.12), the node that was cut off.
#
# How the overlap is measured. A probe namespace asks ARP for the virtual PA 10.0.0.1 and the
# external address 10.99.0.1 (and for the nodes' own addresses) every 10 ms, on both switches.
# tcpdump records what each node sends, on its own tap (apa0, bpa0 on the PA switch; aext0,
# bext0 on the external one: one bridge port each). A claim is an ARP frame with a virtual
# address as its sender (a reply, a gratuitous ARP) or a VRRP advert (the loser's last one too,
# though it leaves once the loser is passive). The heal time t0 is read
# (bash's $EPOCHREALTIME, the clock of the capture timestamps) just before the command that puts
# bpa0 back into the switch is written to an ip already running; the loser's last claim is
# timestamped by the kernel after the node sent it. So "last claim - t0" is an upper bound of
# the overlap: it counts the heal command's own run time (t1 - t0, printed, ip's exit included)
# and the loser's step-down as late as the capture saw it. The loser's own
# record of its step-down (show cluster's last_failover.time, CLOCK_REALTIME in ms, taken after
# its data plane went passive, plus 1 ms for the truncation) gives a second upper bound.
# Each "none after" rests on a positive control: the same capture holds the loser's claims
# before the heal and its answers for its own address after it.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topology.sh"
. "$(dirname "$0")/pair.sh"
lab_init ha_split
lab_plan 33

LAB_INTERNET=1
LAB_HOST_WORKERS=1
lab_pair_up || { echo "# pair failed"; exit 1; }
INET=198.18.1.2
ECHO_PORT=7777
lab_udp_peer "$NS_INET" $ECHO_PORT
ADVERT_MS=100
declare -A PA_MAC=([a]=02:00:0a:00:00:11 [b]=02:00:0a:00:00:12)
declare -A EXT_MAC=([a]=02:00:0a:63:00:11 [b]=02:00:0a:63:00:12)
declare -A OWN=([a]=10.0.0.11 [b]=10.0.0.12)

# The probe: one namespace on both switches.
NS_PROBE=$(lab_netns probe)
lab_veth "$NS_PA" prv0 "$NS_PROBE" eth0 && ip -n "$NS_PA" link set prv0 master br0
lab_veth "$NS_EXT" prv1 "$NS_PROBE" eth1 && ip -n "$NS_EXT" link set prv1 master br1
ip -n "$NS_PROBE" link set eth0 address 02:00:0a:00:00:fa
ip -n "$NS_PROBE" link set eth1 address 02:00:0a:63:00:fa
ip -n "$NS_PROBE" addr add 10.0.0.250/24 dev eth0
ip -n "$NS_PROBE" addr add 10.99.0.250/24 dev eth1

# arp_prober.py SECONDS INTERVAL IFACE,MAC,IP,TARGET[,TARGET...]...: ARP requests from MAC/IP
# for each TARGET on IFACE, every INTERVAL seconds, for SECONDS. Prints the rounds sent.
cat >"$LAB_DIR/arp_prober.py" <<'EOF'
import socket, struct, sys, time

def frame(sha, spa, tpa):
    f = (b"\xff" * 6 + sha + b"\x08\x06" + struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + sha +
         socket.inet_aton(spa) + b"\0" * 6 + socket.inet_aton(tpa))
    return f + b"\0" * (60 - len(f))

seconds, interval = float(sys.argv[1]), float(sys.argv[2])
jobs = []
for spec in sys.argv[3:]:
    ifc, mac, ip, *targets = spec.split(",")
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((ifc, 0))
    jobs.append((s, [frame(bytes.fromhex(mac.replace(":", "")), ip, t) for t in targets]))
start = time.monotonic()
rounds = 0
while time.monotonic() < start + seconds:
    for s, frames in jobs:
        for f in frames:
            s.send(f)
    rounds += 1
    time.sleep(max(0.0, start + rounds * interval - time.monotonic()))
print(rounds)
EOF

# split_analyze.py T0 T1 LOSER_PA LOSER_EXT WINNER_PA WINNER_EXT LOSER_OWN: the captures of the
# heal at T0 (T1 after the heal command), as JSON. Times in ms from T0.
cat >"$LAB_DIR/split_analyze.py" <<'EOF'
import json, sys
from scapy.all import ARP, IP, rdpcap

t0, t1 = float(sys.argv[1]), float(sys.argv[2])
loser_pa, loser_ext, winner_pa, winner_ext, loser_own = sys.argv[3:8]
PA, EXT = "10.0.0.1", "10.99.0.1"

def frames(path):
    return [(float(p.time), p) for p in rdpcap(path)]

def claims(fr, vip):
    """When the node claimed 'vip': ARP with it as the sender (reply or gratuitous) or, for the
    PA, a VRRP advert."""
    return [t for t, p in fr if (ARP in p and p[ARP].psrc == vip) or
            (vip == PA and IP in p and p[IP].proto == 112)]

def garps(fr, vip):
    return [t for t, p in fr if ARP in p and p[ARP].op == 1 and p[ARP].psrc == vip and
            p[ARP].pdst == vip]

def ms(t):
    return None if t is None else round((t - t0) * 1000, 1)

lp, le, wp, we = (frames(f) for f in (loser_pa, loser_ext, winner_pa, winner_ext))
lpc, lec = claims(lp, PA), claims(le, EXT)
last = max(lpc + lec, default=None)
own_after = [t for t, p in lp if ARP in p and p[ARP].op == 2 and p[ARP].psrc == loser_own and
             last is not None and t > last]
adverts = sorted([(t, "loser") for t, p in lp if IP in p and p[IP].proto == 112 and t >= t0] +
                 [(t, "winner") for t, p in wp if IP in p and p[IP].proto == 112 and t >= t0])
print(json.dumps({
    "heal_cmd_ms": ms(t1),
    "loser_pa_claims_before": len([t for t in lpc if t < t0]),
    "loser_ext_claims_before": len([t for t in lec if t < t0]),
    "winner_ext_claims_before": len([t for t in claims(we, EXT) if t < t0]),
    "loser_pa_last_ms": ms(max(lpc, default=None)),
    "loser_ext_last_ms": ms(max(lec, default=None)),
    "loser_last_ms": ms(last),
    "loser_own_replies_after": len(own_after),
    "winner_pa_claims_after": len([t for t in claims(wp, PA) if last is not None and t > last]),
    "winner_pa_garp_ms": ms(min([t for t in garps(wp, PA) if t >= t0], default=None)),
    "winner_ext_garp_ms": ms(min([t for t in garps(we, EXT) if t >= t0], default=None)),
    "first_advert_after_heal": [ms(adverts[0][0]), adverts[0][1]] if adverts else None,
}))
EOF

vm() { local n=$1; shift; ip netns exec "${NS_VM[$n]}" "$@"; }
# cl NODE PATH: a field of NODE's "show cluster" ("role", "last_failover.reason").
cl() {
  ctl "gw$1" --json show cluster | $LAB_PY -c '
import json, sys
v = json.load(sys.stdin)
for k in sys.argv[1].split("."):
    v = v[k]
print(v)' "$2"
}
cl_is() { local v; v=$(cl "$1" "$2") && echo "gw$1 $2 = $v" && [ "$v" = "$3" ]; }
both_active() { cl_is a role active && cl_is b role active && cl_is a vrrp_state master && cl_is b vrrp_state master; }
# jf FILE KEY: a field of a JSON file; below MAX (a number) with lt.
jf() { $LAB_PY -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }
lt() { $LAB_PY -c 'import sys; sys.exit(not (sys.argv[1] != "None" and float(sys.argv[1]) < float(sys.argv[2])))' "$1" "$2"; }
# all_ge MIN VALUE...: every VALUE is a number, at least MIN.
all_ge() { $LAB_PY -c 'import sys; m = float(sys.argv[1]); v = sys.argv[2:]; print(v); sys.exit(not all(x != "None" and float(x) >= m for x in v))' "$@"; }
# within VALUE MAX: VALUE is a number, 0 <= VALUE < MAX.
within() { $LAB_PY -c 'import sys; sys.exit(not (sys.argv[1] != "None" and 0 <= float(sys.argv[1]) < float(sys.argv[2])))' "$1" "$2"; }
# ext_neigh_is NODE: the external network's router (ext) has 10.99.0.1 at NODE's MAC.
ext_neigh_is() {
  local n
  n=$(ip -n "$NS_EXT" neigh show 10.99.0.1 dev br1)
  echo "ext: $n"
  [[ $n == *"lladdr ${EXT_MAC[$1]} "* ]]
}
ping_across() { vm vma1 ping -c 5 -i 0.2 -w 4 10.1.2.10; }
nat_probe() {
  local out
  out=$(ip netns exec "${NS_VM[vma1]}" $LAB_PY "$LAB_TOP/tests/lab/udp_probe.py" $INET $ECHO_PORT 100 1)
  echo "$out"
  [ "$($LAB_PY -c 'import json,sys; d=json.loads(sys.argv[1]); print(int(d["received"] >= 0.9 * d["sent"]))' "$out")" = 1 ]
}
# cl_summary NODE: the lines of show cluster that tell the split.
cl_summary() {
  ctl "gw$1" --json show cluster | $LAB_PY -c '
import json, sys
v = json.load(sys.stdin)
f = v["last_failover"]
print("role %s, vrrp %s, priority %s; peer %s: %s; last failover: %s" % (v["role"], v["vrrp_state"],
      v["priority"], v["peer"].get("address"), v["peer"]["state"],
      f if isinstance(f, str) else "%s, %s" % (f["change"], f["reason"])))'
}
# failovers_of NODE: NODE's count of changes between master and backup.
failovers_of() { cl "$1" counters.failovers; }
# iso_ms ISO: an ISO time of show cluster ("...T22:41:07.123Z") as epoch seconds.
iso_ms() { $LAB_PY -c 'import datetime,sys; print(datetime.datetime.strptime(sys.argv[1], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc).timestamp())' "$1"; }

ok "gwa (priority 200) is active, gwb (100) passive" lab_pair_active_is a

# ---- 1. The sync link alone dies: nothing moves ----
fa=$(failovers_of a) fb=$(failovers_of b)
ip -n "$NS_GWA" link set sync0 down
sleep 1.5 # Four Master_Down_Intervals.
nothing_moved() { lab_pair_active_is a && cl_is a counters.failovers "$fa" && cl_is b counters.failovers "$fb"; }
ok "sync link down, adverts flowing: gwa still active, gwb passive, no failover on either" nothing_moved
ok "traffic across subnets goes on" ping_across

# split_case NAME WINNER LOSER REASON: with the sync link down, cuts gwb from the PA switch,
# checks that both become active, heals while probing and capturing, and checks the outcome.
split_case() {
  local name=$1 win=$2 lose=$3 reason=$4 cap t0 t1 pid hpid hw out n f ifc ns mac stepdown bound
  local reannounced
  cap="$LAB_DIR/$name"
  # NAT traffic gives ext an ARP entry for 10.99.0.1 (the active node's), which the split
  # then shows moving.
  ok "$name: before the split, NAT to the internet goes through the active gwa" nat_probe
  ip -n "$NS_GWA" link set sync0 down
  ip -n "$NS_PA" link set bpa0 nomaster
  lab_wait_for both_active
  ok "$name: sync and gwb's PA link cut: both nodes active (show cluster: role active, vrrp master)" both_active
  ok "$name: gwb took over because gwa fell silent ('master down')" cl_is b last_failover.reason "master down"
  for n in a b; do echo "# $name, split: gw$n show cluster: $(cl_summary "$n")"; done

  # Each node's frames on its own tap (a bridge port each): what it sends, nothing else.
  CAPS=()
  for f in "apa0 $NS_PA ${PA_MAC[a]}" "bpa0 $NS_PA ${PA_MAC[b]}" "aext0 $NS_EXT ${EXT_MAC[a]}" "bext0 $NS_EXT ${EXT_MAC[b]}"; do
    read -r ifc ns mac <<<"$f"
    lab_capture_start "$ns" "$ifc" "$cap-$ifc.pcap" --immediate-mode "ether src $mac and (arp or ip proto 112)" ||
      { echo "# no capture on $ifc"; return 1; }
    CAPS+=("$LAB_CAPTURE_PID")
  done
  ip netns exec "$NS_PROBE" $LAB_PY "$LAB_DIR/arp_prober.py" 4.5 0.01 \
    eth0,02:00:0a:00:00:fa,10.0.0.250,10.0.0.1,10.0.0.11,10.0.0.12 \
    eth1,02:00:0a:63:00:fa,10.99.0.250,10.99.0.1 >"$cap-prober.out" 2>&1 &
  pid=$!
  lab_track_pid $pid
  sleep 1.5
  # During the split gwb announced itself on the external network: ext follows it there.
  ok "$name: during the split, ext's ARP entry for 10.99.0.1 is gwb's (its takeover GARPs)" ext_neigh_is b

  # ---- heal ----
  # The heal command runs in an ip started beforehand, waiting on a FIFO: between t0 and the
  # kernel's act there is one write and ip's parsing, not a fork and an exec.
  rm -f "$LAB_DIR/heal.fifo" && mkfifo "$LAB_DIR/heal.fifo"
  ip -n "$NS_PA" -batch - <"$LAB_DIR/heal.fifo" &
  hpid=$!
  lab_track_pid $hpid
  exec {hw}>"$LAB_DIR/heal.fifo"
  reannounced=$(cl "$win" counters.reannounced) || reannounced=-9
  ip -n "$NS_GWA" link set sync0 up
  sleep 0.2 # ip is up and reading.
  t0=$EPOCHREALTIME
  echo "link set bpa0 master br0" >&$hw
  exec {hw}>&-
  wait $hpid || echo "# the heal command failed"
  t1=$EPOCHREALTIME
  LAB_WAIT_INTERVAL=0.02 LAB_WAIT_TRIES=250 lab_wait_for lab_pair_active_is "$win"
  ok "$name: after the heal exactly one is active: gw$win; gw$lose passive" lab_pair_active_is "$win"
  ok "$name: gw$lose stepped down: '$reason'" cl_is "$lose" last_failover.reason "$reason"
  for n in a b; do echo "# $name, healed: gw$n show cluster: $(cl_summary "$n")"; done
  stepdown=$(iso_ms "$(cl "$lose" last_failover.time)") || stepdown=
  ok "$name: traffic across subnets goes on at once (5 pings in 1 s)" ping_across
  ok "$name: NAT to the internet goes on at once (90 % of a 100-datagram probe echoed)" nat_probe
  ok "$name: ext's ARP entry for 10.99.0.1 is the winner's, gw$win" ext_neigh_is "$win"

  wait $pid
  sleep 0.2
  for f in "${CAPS[@]}"; do LAB_CAPTURE_PID=$f lab_capture_stop; done
  out="$cap.json"
  $LAB_PY "$LAB_DIR/split_analyze.py" "${t0/,/.}" "${t1/,/.}" "$cap-${lose}pa0.pcap" "$cap-${lose}ext0.pcap" \
    "$cap-${win}pa0.pcap" "$cap-${win}ext0.pcap" "${OWN[$lose]}" >"$out" 2>"$cap.err" || cat "$cap.err"
  echo "# $name: $(cat "$out")"
  bound=None
  [ -n "$stepdown" ] && bound=$($LAB_PY -c "print(round(($stepdown + 0.001 - ${t0/,/.}) * 1000, 1))")
  ok "$name: positive control: the captures hold gw$lose's claims during the split (PA $(jf "$out" loser_pa_claims_before), external $(jf "$out" loser_ext_claims_before)) and gw$win's on the external network ($(jf "$out" winner_ext_claims_before))" \
    all_ge 1 "$(jf "$out" loser_pa_claims_before)" "$(jf "$out" loser_ext_claims_before)" "$(jf "$out" winner_ext_claims_before)"
  ok "$name: gw$lose's last claim of a virtual address came $(jf "$out" loser_last_ms) ms after the heal (< $ADVERT_MS)" \
    lt "$(jf "$out" loser_last_ms)" $ADVERT_MS
  ok "$name: gw$lose's own record: passive $bound ms after the heal (< $ADVERT_MS)" within "$bound" $ADVERT_MS
  ok "$name: positive control: after its last claim gw$lose still answered ARP for its own address ($(jf "$out" loser_own_replies_after) times), and gw$win for the PA ($(jf "$out" winner_pa_claims_after))" \
    all_ge 10 "$(jf "$out" loser_own_replies_after)" "$(jf "$out" winner_pa_claims_after)"
  n=$(cl "$win" counters.reannounced) || n=-1
  ok "$name: gw$win sent gratuitous ARPs again after the heal (PA at $(jf "$out" winner_pa_garp_ms) ms, external at $(jf "$out" winner_ext_garp_ms) ms; show cluster: reannounced $reannounced -> $n)" \
    all_ge 0 "$(jf "$out" winner_pa_garp_ms)" "$(jf "$out" winner_ext_garp_ms)" "$((n - reannounced - 1))" "$((reannounced + 1 - n))"
  echo "# $name: heal command $(jf "$out" heal_cmd_ms) ms; first advert after the heal at $(jf "$out" first_advert_after_heal) ms;" \
    "loser's last claim at $(jf "$out" loser_last_ms) ms (PA $(jf "$out" loser_pa_last_ms), external $(jf "$out" loser_ext_last_ms));" \
    "loser passive (show cluster) by $bound ms"
  SPLIT_FIGURES+=("$name: loser's last claim $(jf "$out" loser_last_ms) ms, passive by $bound ms, heal command $(jf "$out" heal_cmd_ms) ms")
}
SPLIT_FIGURES=()

# ---- 2, 3. Priorities 200 and 100: gwa keeps the role ----
split_case priority a b "preempted by a higher priority"

# ---- 4. Equal priorities: the higher primary address, gwb, wins ----
sed -i 's|^\(\s*priority = \)100$|\1200|' "$LAB_DIR/gwb.conf"
ctl gwb reload >/dev/null
sleep 1 # The sync's bulk resync after the heal, and gwb's reload.
tie_ready() { cl_is b priority 200 && lab_pair_active_is a; }
ok "gwb reloaded to priority 200, equal to gwa's; gwa stays active" tie_ready
split_case tie b a "same priority, higher peer address"

for f in "${SPLIT_FIGURES[@]}"; do echo "# figures: $f"; done
ok "no hnvgwd died on the way" sh -c "kill -0 $(cat "$LAB_DIR/gwa.pid") && kill -0 $(cat "$LAB_DIR/gwb.pid")"
lab_done
