#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Lab: the pair's neighbor sync (gateway/cluster/neigh_sync_glue.c). A gateway pair (pair.sh):
# traffic through gwa (active) makes it learn the host node's PA 10.0.0.2 and the ext router
# 10.99.0.2; gwb (passive, which never asked for them) gets both from the sync channel, with
# gwa's MACs and about gwa's ages. After a switchover, gwb forwards to both at once: no packet
# waits for ARP (tx.neigh_punted stays), while a next hop it never heard of (10.99.0.3) does.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topology.sh"
. "$(dirname "$0")/pair.sh"
lab_init neigh
lab_plan 12

lab_pair_up || { echo "# pair failed"; exit 1; }
vm() { local n=$1; shift; ip netns exec "${NS_VM[$n]}" "$@"; }

# neigh NODE IP: "MAC AGE" of IP in gwNODE's neighbor cache; fails when it is not there.
neigh() {
  ctl "gw$1" --json show neighbors | $LAB_PY -c '
import json, sys
rows = [r for r in json.load(sys.stdin) if r["ip"] == sys.argv[1]]
if not rows:
    sys.exit("no neighbor " + sys.argv[1])
print(rows[0]["mac"], rows[0]["age"])' "$2"
}
# neigh_copied IP: gwb has IP with gwa's MAC, its age within 2 s of gwa's.
neigh_copied() {
  local a b
  a=$(neigh a "$1") && b=$(neigh b "$1") || return 1
  echo "gwa: $a; gwb: $b"
  [ "${a% *}" = "${b% *}" ] && [ "${b#* }" != static ] && [ $((${a#* } - ${b#* })) -le 2 ] &&
    [ $((${b#* } - ${a#* })) -le 2 ]
}
# neigh_count NAME: gwb's "show cluster" sync.neigh counter NAME.
neigh_count() {
  ctl gwb --json show cluster | $LAB_PY -c 'import json, sys; print(json.load(sys.stdin)["sync"]["neigh"][sys.argv[1]])' "$1"
}
imported_ge() { local v; v=$(neigh_count imported) && echo "imported: $v" && [ "$v" -ge "$1" ]; }

ok "gwa (priority 200) is active, gwb passive" lab_pair_active_is a
ok "vma1 pings vma2 through gwa (NVGRE back to the host node's PA 10.0.0.2)" \
  vm vma1 ping -c 3 -w 10 10.1.2.10
ok "vma1 pings the ext router 10.99.0.2 through gwa" vm vma1 ping -c 3 -w 10 10.99.0.2
learned_both() { neigh a 10.0.0.2 && neigh a 10.99.0.2; }
ok "gwa learned 10.0.0.2 and 10.99.0.2" learned_both
LAB_WAIT_TRIES=50 ok "gwb has the host node's PA with gwa's MAC and age (within 5 s)" \
  lab_wait_for neigh_copied 10.0.0.2
ok "and the ext router's" neigh_copied 10.99.0.2
ok "gwb counted them imported" imported_ge 2
refused() {
  local n v total=0
  for n in decode_errors refused_port refused_address refused_static refused_stale refused_full; do
    v=$(neigh_count $n) || return 1
    echo "$n: $v"
    total=$((total + v))
  done
  [ "$total" = 0 ]
}
ok "and refused none as malformed, foreign, static, stale or for want of room" refused

# ---- After a switchover, gwb forwards to them without ARP ----
switch_to_b() { ctl gwa cluster switchover && lab_wait_for lab_pair_active_is b; }
ok "cluster switchover: gwb takes over" switch_to_b
held=$(stat_of gwb tx.neigh_punted)
ping_both() {
  vm vma1 ping -c 3 -w 10 10.1.2.10 && vm vma1 ping -c 3 -w 10 10.99.0.2
}
ok "vma1 reaches vma2 and 10.99.0.2 through gwb" ping_both
ok "with no packet held for ARP on gwb (tx.neigh_punted +0)" stat_rose gwb tx.neigh_punted "$held" 0
# The positive control: a next hop gwb never heard of waits for ARP (nobody answers it).
vm vma1 ping -c 1 -W 1 10.99.0.3 >/dev/null 2>&1
ok "while a packet to a next hop it never heard of (10.99.0.3) is held (tx.neigh_punted +1)" \
  stat_rose gwb tx.neigh_punted "$held" 1

lab_done
