#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Lab: the gateway's Prometheus metrics. The standard lab, with the gateway's metrics_listen on a
# management address (mgmt0, 10.20.0.5, beside a second address 10.20.0.6; the scraper is on the
# other end, 10.20.0.1), and
# fabrikam running FRR with two BGP neighbors: a bird2 inside its VM vmb2 (10.1.2.10, over
# NVGRE) and 10.1.2.99, where nobody answers. curl scrapes; prometheus_client's parser
# (tests/lab/prom.py) reads every line and finds the families: every counter and drop reason of
# `show stats`, per worker; ports; NAT usage per tenant; FRR and BGP per tenant and neighbor;
# table sizes; the build; the node's pair role (standalone: no election, no sync). A ping across subnets moves the counters by at least its packets. Only
# GET /metrics answers, and only on the address configured; a reload that moves it is refused.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topology.sh"
lab_init metrics
lab_plan 28

MGMT=10.20.0.5
OTHER=10.20.0.6
PORT=9469
URL="http://$MGMT:$PORT/metrics"
PROM="$LAB_PY $(dirname "$0")/prom.py"

# The management network, made here, when the gateway's namespace exists and before hnvgwd
# binds its address: a veth from the gateway (mgmt0: 10.20.0.5 and 10.20.0.6) to a namespace
# "mgmt" (10.20.0.1), where the scraper runs.
metrics_conf() {
  NS_MGMT=$(lab_netns mgmt) && lab_veth "$NS_GW" mgmt0 "$NS_MGMT" eth0 &&
    ip -n "$NS_GW" addr add $MGMT/24 dev mgmt0 && ip -n "$NS_GW" addr add $OTHER/24 dev mgmt0 &&
    ip -n "$NS_MGMT" addr add 10.20.0.1/24 dev eth0 &&
    sed -i -e "s|^\(\s*\)control_socket = .*|&\n\1metrics_listen = \"$MGMT:$PORT\"|" \
      -e 's|^\(\s*\)id = 2$|&\n\1routing {\n\1  asn = 65001\n\1  router_id = "10.1.2.1"\n\1  neighbor "10.1.2.10" {\n\1    remote_as = 65003\n\1    keepalive = 3\n\1    hold = 9\n\1  }\n\1  neighbor "10.1.2.99" {\n\1    remote_as = 65009\n\1  }\n\1}|' "$1" &&
    grep -q "metrics_listen = \"$MGMT:$PORT\"" "$1" && grep -q 'neighbor "10.1.2.99"' "$1"
}
LAB_GW_CONF_EDIT=metrics_conf
lab_topology_up || { echo "# topology failed"; exit 1; }
vm() { local n=$1; shift; ip netns exec "${NS_VM[$n]}" "$@"; }
gw() { ip netns exec "$NS_GW" "$@"; }
mgmt() { ip netns exec "$NS_MGMT" "$@"; }

# fabrikam's FRR, tracked so that the lab's cleanup stops it even if hnvgwd does not.
FRR_FAB=/run/hnvgw/frr/fabrikam
frr_pid() { cat "$FRR_FAB/$1.pid" 2>/dev/null; }
# (fabrikam has no static route: no staticd.)
frr_up() { local d; for d in zebra bgpd; do [ -n "$(frr_pid $d)" ] && kill -0 "$(frr_pid $d)" 2>/dev/null || return 1; done; }
lab_wait_for frr_up
for d in zebra staticd bgpd; do p=$(frr_pid $d) && [ -n "$p" ] && lab_track_pid "$p"; done

# scrape FILE: GET /metrics from the management network into FILE; prints the status, the content type, the time and size.
scrape() { mgmt curl -s --max-time 10 -o "$1" -w '%{http_code} %{content_type} %{time_total} %{size_download}\n' "$URL"; }
S="$LAB_DIR/scrape"

ok "hnvgwd logs where the metrics are" grep -q "metrics on $URL\$" "$LAB_DIR/gw.log"
first_scrape() {
  local out; out=$(scrape "$S.1") || return 1
  echo "$out"
  [[ $out == "200 text/plain; version=0.0.4; charset=utf-8 "* ]]
}
ok "GET $URL answers 200, in the text exposition format" first_scrape
ok "the whole exposition parses with prometheus_client, each family once" $PROM parse "$S.1"
ctl gw --json show stats all=yes >"$LAB_DIR/stats.json"
ok "every counter and drop reason of show stats is exported" $PROM stats "$S.1" "$LAB_DIR/stats.json"
ok "per worker: route.routed of worker 0" $PROM has "$S.1" hnvgw_route_routed_total worker=0
ok "and of the control thread" $PROM has "$S.1" hnvgw_tx_sent_total worker=control
ok "drops by stage, reason and worker" $PROM has "$S.1" hnvgw_drops_total stage=route reason=no_route worker=0
ok "ports: the provider port's counters" $PROM has "$S.1" hnvgw_port_rx_packets_total port=pa0 kind=provider
ok "ports: the external port's link" $PROM has "$S.1" hnvgw_port_link_up port=ext0 kind=external
nat_max() { local v; v=$($PROM value "$S.1" hnvgw_nat_sessions_max tenant="$1") && echo "$1: $v" && [ "$v" = "$2" ]; }
ok "NAT usage per tenant: contoso's session quota" nat_max contoso 65536
ok "and fabrikam's sessions in use" $PROM has "$S.1" hnvgw_nat_sessions tenant=fabrikam
ok "NAT ports per public address" $PROM has "$S.1" hnvgw_nat_address_port_blocks tenant=contoso address=198.18.0.10
lookups=$(ctl gw --json show status | $LAB_PY -c 'import json,sys; print(json.load(sys.stdin)["lookup_records"])')
entries_match() { local v; v=$($PROM value "$S.1" hnvgw_table_entries table=lookup_records) && echo "$v, show status $lookups" && [ "$v" = "$lookups" ]; }
ok "table sizes: lookup records as show status counts them" entries_match
ok "the build: hnvgw_build_info with its version" $PROM has "$S.1" hnvgw_build_info version="$(sed -n '1s/^[^(]*(\([^)-]*\).*/\1/p' "$LAB_TOP/packaging/debian/changelog")"
ok "FRR: fabrikam's bgpd runs" $PROM has "$S.1" hnvgw_frr_daemon_up tenant=fabrikam daemon=bgpd
standalone() {
  local alone active
  alone=$($PROM value "$S.1" hnvgw_cluster_role role=standalone) &&
    active=$($PROM value "$S.1" hnvgw_cluster_role role=active) || return 1
  echo "standalone=$alone active=$active"
  [ "$alone" = 1 ] && [ "$active" = 0 ] && ! grep -q '^hnvgw_cluster_sync_' "$S.1"
}
ok "the pair: a node without a cluster section reads role standalone, and no sync channel" standalone

# ---- Traffic moves the counters ----
N=20
routed=$($PROM value "$S.1" hnvgw_route_routed_total)
pa_rx=$($PROM value "$S.1" hnvgw_port_rx_packets_total port=pa0)
lab_wait_for vm vma1 ping -c 1 -W 1 10.1.2.10
ping_n() { vm vma1 ping -c $N -i 0.05 -W 2 10.1.2.10 | tail -2; }
ok "vma1 pings vma2 across subnets, $N times" ping_n
rose_by() { # rose_by NAME BEFORE MIN [LABEL=VALUE...]: a new scrape's NAME rose by MIN or more
  local name=$1 before=$2 min=$3 now; shift 3
  scrape "$S.2" >/dev/null && now=$($PROM value "$S.2" "$name" "$@") || return 1
  echo "$name $*: $before -> $now, want +$min or more"
  [ "$now" -ge $((before + min)) ]
}
ok "hnvgw_route_routed_total rose by the $((2 * N)) packets routed (requests and replies)" \
  lab_wait_for rose_by hnvgw_route_routed_total "$routed" $((2 * N))
ok "hnvgw_port_rx_packets_total of pa0 rose by them too" \
  lab_wait_for rose_by hnvgw_port_rx_packets_total "$pa_rx" $((2 * N)) port=pa0

# ---- BGP neighbor state, per tenant and neighbor ----
cat >"$LAB_DIR/bird-vmb2.conf" <<EOT
router id 10.1.2.10;
protocol device {}
protocol static onprem { ipv4; route 192.168.90.0/24 blackhole; }
protocol bgp fabrikam {
  local 10.1.2.10 as 65003;
  neighbor 10.1.2.1 as 65001;
  hold time 9;
  keepalive time 3;
  ipv4 { import all; export where proto = "onprem"; };
}
EOT
ip netns exec "${NS_VM[vmb2]}" bird -f -c "$LAB_DIR/bird-vmb2.conf" -s "$LAB_DIR/bird-vmb2.ctl" \
  >"$LAB_DIR/bird-vmb2.log" 2>&1 &
lab_track_pid $!
bgp_is() { # bgp_is NEIGHBOR UP: its hnvgw_bgp_neighbor_up in a new scrape
  local v
  scrape "$S.3" >/dev/null && v=$($PROM value "$S.3" hnvgw_bgp_neighbor_up tenant=fabrikam neighbor="$1" family=ipv4Unicast) || return 1
  echo "fabrikam $1 up=$v"
  [ "$v" = "$2" ]
}
LAB_WAIT_TRIES=600 ok "BGP: fabrikam's session with the bird2 in vmb2 reads up" lab_wait_for bgp_is 10.1.2.10 1
ok "and the neighbor nobody answers reads down" bgp_is 10.1.2.99 0
not_established() {
  $PROM has "$S.3" hnvgw_bgp_neighbor_info tenant=fabrikam neighbor=10.1.2.99 remote_as=65009 &&
    ! $PROM has "$S.3" hnvgw_bgp_neighbor_info tenant=fabrikam neighbor=10.1.2.99 state=Established
}
ok "its state is bgpd's, not Established" not_established
received() {
  local v
  scrape "$S.3" >/dev/null && v=$($PROM value "$S.3" hnvgw_bgp_neighbor_prefixes_received tenant=fabrikam neighbor=10.1.2.10) || return 1
  echo "received: $v"
  [ "$v" -ge 1 ]
}
LAB_WAIT_TRIES=300 ok "the prefix bird2 announces is counted as received" lab_wait_for received

# ---- Only GET /metrics, only on the address configured ----
status_of() { mgmt curl -s -o /dev/null -w '%{http_code}' "${@:2}" | grep -qx "$1"; }
ok "another path is 404" status_of 404 "http://$MGMT:$PORT/"
ok "another method on /metrics is 405" status_of 405 -X POST -d x=1 "$URL"
nok "nothing listens on the gateway's other address $OTHER" mgmt curl -s --max-time 3 -o /dev/null "http://$OTHER:$PORT/metrics"
nok "nor on its loopback" gw curl -s --max-time 3 -o /dev/null "http://127.0.0.1:$PORT/metrics"

# ---- A reload cannot move the listener ----
sed -i "s|metrics_listen = \"$MGMT:$PORT\"|metrics_listen = \"$OTHER:$PORT\"|" "$LAB_DIR/gw.conf"
refused() {
  local out
  out=$(ctl gw reload 2>&1) && { echo "reload accepted: $out"; return 1; }
  echo "$out" | grep -q "changing node metrics_listen needs a restart" || { echo "unexpected: $out"; return 1; }
  scrape "$S.4" | grep -q "^200 "
}
ok "a reload that moves metrics_listen is refused, and the metrics stay where they were" refused
sed -i "s|metrics_listen = \"$OTHER:$PORT\"|metrics_listen = \"$MGMT:$PORT\"|" "$LAB_DIR/gw.conf"

# ---- Figures: one scrape of this lab, and its size ----
# Older than METRICS_BGP_FRESH_MS (1 s), fabrikam's BGP state is asked for again (vtysh) during
# the next scrape; the one right after is served from what it read.
sleep 1.2
scrape "$S.5" | awk '{print "# scrape asking bgpd: " $(NF-1) " s, " $NF " bytes"}'
scrape "$S.5" | awk '{print "# scrape right after: " $(NF-1) " s, " $NF " bytes"}'
echo "# $($PROM parse "$S.5")"
lab_done
