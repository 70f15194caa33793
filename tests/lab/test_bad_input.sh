#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Lab: malformed NVGRE crafted with scapy from a rogue host on the PA network. Each case must raise
# exactly its named drop counter, forward nothing, and leave the gateway running and forwarding.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topology.sh"
lab_init badin
# The cases come from the script that crafts them: an empty or failing list fails the test.
ok "nvgre_bad.py lists its cases" lab_list CASES $LAB_PY "$(dirname "$0")/nvgre_bad.py" --list
lab_plan $((3 + ${#CASES[@]}))
lab_topology_up || { echo "# topology failed"; exit 1; }
NS_ROGUE=$(lab_netns rogue)
lab_veth "$NS_ROGUE" r0 "$NS_PA" rogue0
ip -n "$NS_PA" link set rogue0 master br0
ip -n "$NS_ROGUE" link set r0 address 02:00:0a:00:00:09
ip -n "$NS_ROGUE" addr add 10.0.0.9/24 dev r0
vm() { local n=$1; shift; ip netns exec "${NS_VM[$n]}" "$@"; }
lab_wait_for vm vma1 ping -c 1 -W 1 10.1.2.10

forwarded() { echo $(( $(stat_of gw encap.nvgre) + $(stat_of gw route.routed) + $(stat_of gw route.to_external) )); }

# Sends case $1 and checks that counter $2 rose by exactly one and nothing was forwarded.
check_case() {
  local case=$1 counter=$2 before fwd_before
  before=$(stat_of gw "$counter") || return 1
  fwd_before=$(forwarded)
  ip netns exec "$NS_ROGUE" $LAB_PY "$(dirname "$0")/nvgre_bad.py" r0 "$case" || return 1
  stat_rose gw "$counter" "$before" 1 || return 1
  [ "$(forwarded)" -eq "$fwd_before" ] || { echo "something was forwarded"; return 1; }
}

for case in "${CASES[@]}"; do
  counter=$case
  case $case in
    decap.bad_gre_version) counter=decap.bad_gre_flags ;;
    decap.vsid_reserved) counter=decap.vsid_out_of_range ;;
  esac
  ok "bad input $case is dropped as $counter" check_case "$case" "$counter"
done

alive() { ctl gw show status; }
ok "the gateway is still running" alive
ok "and still forwarding" vm vma1 ping -c 2 -W 2 10.1.2.10
lab_done
