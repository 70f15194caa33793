#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Lab: NVGRE end to end. A host-role hnvgwd carries VMs of two tenants with identical CAs; a
# gateway-role hnvgwd routes between virtual subnets and to an external network. Real kernel
# stacks in namespaces, real ping and curl, tshark on the PA switch.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topology.sh"
lab_init nvgre
lab_plan 36
# Fabrikam keeps no way out of its routing domain: no external route and, here, no NAT (the shipped
# config gives it one; test_nat.sh tests NAT). The isolation checks below rely on it.
no_fabrikam_nat() {
  awk '/^tenant "fabrikam"/ {t = 1}
       t && d == 0 && /^[ \t]*nat[ \t]*\{/ {d = 1; next}
       d > 0 {d += gsub(/\{/, "{") - gsub(/\}/, "}"); next}
       /^}/ {t = 0}
       {print}' "$1" >"$1.new" && mv "$1.new" "$1" &&
    ! sed -n '/^tenant "fabrikam"/,/^}/p' "$1" | grep -Eq '^\s*nat\s*\{'
}
LAB_GW_CONF_EDIT=no_fabrikam_nat
lab_topology_up || { echo "# topology failed"; exit 1; }

vm() { local n=$1; shift; ip netns exec "${NS_VM[$n]}" "$@"; }
lab_http "${NS_VM[vma2]}" contoso-db
lab_http "${NS_VM[vmb2]}" fabrikam-db
lab_http "$NS_EXT" external

# ARP is answered from policy by the host; the first ping may wait for the gateway's ARP.
lab_wait_for vm vma1 ping -c 1 -W 1 10.1.2.10
ok "contoso: ping across virtual subnets through the gateway" vm vma1 ping -c 3 -W 2 10.1.2.10
ok "contoso: TCP (curl) across virtual subnets" \
  curl_is "${NS_VM[vma1]}" http://10.1.2.10:8080/ "hello from contoso-db"
ok "fabrikam: the same CAs reach fabrikam's own VM, never contoso's" \
  curl_is "${NS_VM[vmb1]}" http://10.1.2.10:8080/ "hello from fabrikam-db"
trace_shows_path() {
  # Room for stray packets still in flight from earlier tests (TCP closing, ARP).
  ctl gw trace start count=50 >/dev/null || return 1
  vm vma1 ping -c 1 -W 2 10.1.2.10 >/dev/null || return 1
  ctl gw show trace | tee "$LAB_DIR/trace.txt"
  grep -q 'decap: NVGRE VSID 5001' "$LAB_DIR/trace.txt" &&
    grep -q 'route: domain 1, 10.1.2.10 -> connected VSID 5002' "$LAB_DIR/trace.txt" &&
    grep -q 'encap: NVGRE VSID 5002 .* to PA 10.0.0.2' "$LAB_DIR/trace.txt"
}
ok "packet trace shows a routed packet stage by stage" trace_shows_path
ok "contoso: ping the subnet gateway CA" vm vma1 ping -c 1 -W 2 10.1.1.1
ok "PA ping (ping -p) to the gateway's provider address" ip netns exec "$NS_PA" bash -c \
  "ip addr add 10.0.0.250/24 dev br0 && ping -c 1 -W 2 10.0.0.1; rc=\$?; ip addr del 10.0.0.250/24 dev br0; exit \$rc"

# Forwarding gateway: contoso has the external route and forwards 10.1.0.0/16; fabrikam has neither.
ok "forwarding gateway: VM pings the external host" vm vma1 ping -c 2 -W 2 10.99.0.2
ok "forwarding gateway: VM fetches a page from the external host" \
  curl_is "${NS_VM[vma1]}" http://10.99.0.2:8080/ "hello from external"
ok "forwarding gateway: external host reaches the VM" ip netns exec "$NS_EXT" ping -c 2 -W 2 10.1.2.10
fragmented=$(stat_of gw route.fragmented)
ok "a 1500-byte packet without DF is fragmented to fit NVGRE (1458)" \
  ip netns exec "$NS_EXT" ping -M dont -s 1472 -c 2 -W 2 10.1.2.10
# The requests only: the VM's 1458-byte MTU makes its own replies fit.
ok "fragmentation was counted for the 2 requests" stat_rose gw route.fragmented "$fragmented" 2
pmtu_reported() {
  local out
  out=$(ip netns exec "$NS_EXT" ping -M do -s 1472 -c 2 -W 2 10.1.2.10 2>&1)
  echo "$out"
  echo "$out" | grep -Eq 'mtu ?= ?1458'
}
ok "with DF it gets fragmentation-needed with MTU 1458" pmtu_reported
nok_counted "isolation: fabrikam has no route to the external network" gw route.no_route 2 \
  vm vmb1 ping -c 2 -W 1 10.99.0.2

# Wire format, seen by tshark on the PA switch.
cap="$LAB_DIR/pa.pcap"
ip netns exec "$NS_PA" tshark -q -i br0 -f "ip proto 47" -w "$cap" -a duration:6 >/dev/null \
  2>"$LAB_DIR/tshark.err" &
tpid=$!; lab_track_pid $tpid
# tshark says when it captures; a fixed sleep lost the race on a busy machine.
ok "tshark is capturing on the PA switch" lab_wait_for grep -q "Capturing on" "$LAB_DIR/tshark.err"
vm vma1 ping -c 2 -W 1 10.1.2.10 >/dev/null
wait $tpid
tshark -r "$cap" -Y gre -T fields -e gre.flags_and_version -e gre.proto -e gre.key 2>/dev/null |
  sort -u >"$LAB_DIR/gre.txt"
sed 's/^/# tshark: /' "$LAB_DIR/gre.txt"
gre_words() { [ -s "$LAB_DIR/gre.txt" ] && ! awk '{print $1}' "$LAB_DIR/gre.txt" | grep -vqx 0x2000; }
gre_protos() { [ -s "$LAB_DIR/gre.txt" ] && ! awk '{print $2}' "$LAB_DIR/gre.txt" | grep -vqx 0x6558; }
gre_vsids() {
  local v=" "
  while read -r _ _ key; do v+="$(( 16#${key#0x} >> 8 )) "; done <"$LAB_DIR/gre.txt"
  echo "vsids seen:$v"
  [[ "$v" == *" 5001 "* && "$v" == *" 5002 "* ]]
}
ok "wire: GRE word is 0x2000 (key bit only)" gre_words
ok "wire: GRE protocol is 0x6558" gre_protos
ok "wire: key = VSID<<8 | FlowID carries VSIDs 5001 and 5002" gre_vsids

# Run-time policy: removing the lookup record of vma2 on the gateway stops traffic; adding it
# back restores it.
ok "remove lookup record at run time" ctl gw remove lookup vsid=5002 ca=10.1.2.10
nok_counted "traffic to the removed CA stops" gw route.no_lookup_record 2 vm vma1 ping -c 2 -W 1 10.1.2.10
ok "add lookup record at run time" ctl gw add lookup vsid=5002 ca=10.1.2.10 pa=10.0.0.2 mac=02:00:00:00:20:10
ok "traffic to the re-added CA flows" vm vma1 ping -c 2 -W 2 10.1.2.10
nok "a bad record is refused with a clear error" ctl gw add lookup vsid=5002 ca=10.7.7.7 pa=10.0.0.2 mac=02:00:00:00:20:11

# Reload: a broken file changes nothing; a good one applies only the difference.
cp "$LAB_DIR/gw.conf" "$LAB_DIR/gw.conf.orig"
echo 'bogus_key = 1' >>"$LAB_DIR/gw.conf"
nok "reload of a broken config is refused" ctl gw reload
ok "traffic unaffected by the refused reload" vm vma1 ping -c 1 -W 2 10.1.2.10
cp "$LAB_DIR/gw.conf.orig" "$LAB_DIR/gw.conf"
ok "reload of the good config" ctl gw reload
ok "traffic after reload" vm vma1 ping -c 1 -W 2 10.1.2.10

# SIGHUP does what "hnvgwctl reload" does: a new record in the file appears, and only it.
echo 'lookup_record { ca = "10.1.2.77"  vsid = 5002  pa = "10.0.0.2"  mac = "02:00:00:00:20:77" }' >>"$LAB_DIR/gw.conf"
kill -HUP "$(cat "$LAB_DIR/gw.pid")"
has_record() { ctl gw show lookup vsid=5002 ca=10.1.2.77 | grep -q 02:00:00:00:20:77; }
ok "SIGHUP reload applies a record added to the file" lab_wait_for has_record
ok "and leaves the others in place" vm vma1 ping -c 1 -W 2 10.1.2.10

# Traffic keeps flowing while the policy changes: a steady ping across subnets loses nothing
# while records and routes come and go and the file is reloaded.
churn() {
  for i in $(seq 20 39); do
    ctl gw add lookup vsid=5002 ca=10.1.2.$i pa=10.0.0.2 mac=02:00:00:00:21:$i >/dev/null || return 1
    ctl gw add route tenant=contoso vsid=5002 prefix=172.16.$i.0/24 next_hop=10.1.2.$i >/dev/null || return 1
  done
  ctl gw reload >/dev/null || return 1
  for i in $(seq 20 39); do ctl gw add lookup vsid=5002 ca=10.1.2.$i pa=10.0.0.2 mac=02:00:00:00:21:$i >/dev/null; done
  for i in $(seq 20 39); do ctl gw remove lookup vsid=5002 ca=10.1.2.$i >/dev/null || return 1; done
}
no_loss_during_churn() {
  vm vma1 ping -q -i 0.02 -c 150 -W 2 10.1.2.10 >"$LAB_DIR/churn-ping.out" &
  local p=$!
  churn || { echo "a policy change failed"; return 1; }
  wait $p
  cat "$LAB_DIR/churn-ping.out"
  grep -q ' 0% packet loss' "$LAB_DIR/churn-ping.out"
}
ok "no packet lost while records and routes change and the config reloads" no_loss_during_churn

ok "idle gateway uses under 5% of a CPU (adaptive polling)" idle_cpu_below gw 5 3
ok "idle host node (2 workers) uses under 5% of a CPU" idle_cpu_below host 5 3

# Counters are kept per worker; the host's two workers add up to its total.
worker_stat() {
  ctl host --json show stats worker="$1" | $LAB_PY -c '
import json, sys
d = json.load(sys.stdin)
print(next((c["value"] for c in d["counters"] if c["counter"] == "vm.rx"), 0))'
}
workers_add_up() {
  local w0 w1 total
  w0=$(worker_stat 0); w1=$(worker_stat 1); total=$(stat_of host vm.rx)
  echo "worker 0: $w0, worker 1: $w1, total: $total"
  [ $((w0 + w1)) -eq "$total" ] && [ "$total" -gt 0 ]
}
# Three reads are not one snapshot while a VM still sends (neighbor discovery): ask until a quiet
# moment gives a consistent one.
ok "per-worker counters of the two host workers add up to the total" lab_wait_for workers_add_up
nok "a worker that does not exist is refused" ctl host show stats worker=2

both_alive() { ctl gw show status && ctl host show status; }
ok "both daemons still running" both_alive
lab_done
