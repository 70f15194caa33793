#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The gateway VM image (make image) boots under qemu (TCG: there is no KVM here) and does the
# gateway's job in the standard lab (tests/lab/topology.sh), in place of the gateway daemon:
#
#   VMs of contoso/fabrikam -- host-role hnvgwd (PA 10.0.0.2) -- br0 (PA network) --+
#                                                                                   | tap, virtio
#   ext 10.99.0.2 ----------------------------------------- (external network) --+  | (DPDK, uio)
#                                                                                   |
#   this test (ssh, 10.20.0.1) -------- management tap, a kernel NIC (10.20.0.5) --- gateway VM
#
# The VM gets its config from a NoCloud seed the test makes (cloud-init: the SSH key, hnvgw.conf,
# /etc/default/hnvgw). The check: systemd sees hnvgwd READY (Type=notify); traffic across subnets
# and through NAT; hnvgwctl in the VM; a bad reload keeps forwarding; SIGKILL brings it back through
# Restart=; the VM powers off cleanly. Run by `make image-check` (HNVGW_IMAGE names the image).
#
# The shared FRR (node.routing_daemons = "shared"), which needs the VRF devices of the image's
# kernel: contoso and fabrikam have routing sections, and the VM runs one zebra, one bgpd and one
# staticd for both, a VRF each, in compartment hnvgw-routing. contoso peers with a bird2 on the
# external network (10.99.0.2, through the forwarding gateway), fabrikam with a bird2 inside its
# VM vmb2 (through NVGRE); each learns its own prefix over the one FPM connection, and not the
# other's; a withdrawal reaches the data plane; the sessions come back after the SIGKILL. Last,
# hnvgwd restarts with HNVGW_VM_ROUTED (default 100) more routed tenants, each peering with the
# external bird2, and the routing daemons' memory (PSS of zebra, bgpd and staticd, as
# tests/bench/frr_tenant_cost.sh reads it) at both sizes gives the cost of one more routed tenant:
#   # BENCH name=shared_frr_vm tenants=<n> established=<e> startup_s=<x> rss_mib=<pss>
#     mib_per_tenant=<slope> est_1000_mib=<pss for 1,000>   (one line)
set -u
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../lab/lib.sh"
source "$here/../lab/topology.sh"

image=${HNVGW_IMAGE:-$LAB_TOP/build/image/hnvgw-gateway.qcow2}
[ -f "$image" ] || { echo "# no image at $image: run make image"; exit 1; }

lab_init gwvm
lab_plan 31

GUEST=10.20.0.5
PA_PCI=0000:00:04.0
EXT_PCI=0000:00:05.0

# ---- the lab without its gateway daemon ----
LAB_GW_NODE=none LAB_HOST_WORKERS=1 lab_topology_up || { echo "# topology failed"; exit 1; }
NS_Q=$(lab_netns qemu)
for t in tmgmt tpa text; do ip -n "$NS_Q" tuntap add dev "$t" mode tap || exit 1; done
# qemu opens its taps in its own namespace; bridges there join them to the lab's networks.
lab_bridge "$NS_Q" brpa && lab_bridge "$NS_Q" brext || exit 1
lab_veth "$NS_Q" qpa "$NS_PA" gwvm && ip -n "$NS_PA" link set gwvm master br0 || exit 1
lab_veth "$NS_Q" qext "$NS_EXT" ext0 || exit 1
ip -n "$NS_Q" link set qpa master brpa && ip -n "$NS_Q" link set tpa master brpa
ip -n "$NS_Q" link set qext master brext && ip -n "$NS_Q" link set text master brext
for t in tmgmt tpa text; do ip -n "$NS_Q" link set "$t" up; done
ip -n "$NS_Q" addr add 10.20.0.1/24 dev tmgmt
ip -n "$NS_EXT" link set ext0 address 02:00:0a:63:00:02
ip -n "$NS_EXT" addr add 10.99.0.2/24 dev ext0
# ext routes between the external network and the "internet" (inet, 198.18.1.2), and the NAT
# public addresses back to the gateway (topology.sh).
lab_internet_up || exit 1
INET=198.18.1.2
# The tenants' addresses (contoso's 10.1.0.0/16, the scale tenants' 10.128.0.0/9) are forwarded by
# the gateway: the external bird2 reaches them through it.
ip -n "$NS_EXT" route add 10.1.0.0/16 via 10.99.0.1 && ip -n "$NS_EXT" route add 10.128.0.0/9 via 10.99.0.1 ||
  exit 1
lab_http "${NS_VM[vma2]}" vma2
lab_http_peer "$NS_INET" 8080

# ---- the seed: SSH key, the gateway's config (the lab's, on the VM's PCI NICs), hugepages ----
ssh-keygen -q -t ed25519 -N '' -C hnvgw-image-check -f "$LAB_DIR/id" || exit 1
sed -e "s|\"net_tap0,iface=hnvpa0\"|\"$PA_PCI\"|" -e "s|\"net_tap1,iface=hnvext0\"|\"$EXT_PCI\"|" \
  -e "s|^\(\s*eal_args = \).*|\1{\"--in-memory\", \"-a\", \"$PA_PCI\", \"-a\", \"$EXT_PCI\"}|" \
  -e "s|^\(\s*\)control_socket = .*|&\n\1metrics_listen = \"$GUEST:9469\"|" \
  "$LAB_TOP/conf/hnvgw.conf" >"$LAB_DIR/vm.conf"
grep -q "\"$PA_PCI\"" "$LAB_DIR/vm.conf" && grep -q "devargs = \"$EXT_PCI\"" "$LAB_DIR/vm.conf" &&
  grep -q "metrics_listen = \"$GUEST:9469\"" "$LAB_DIR/vm.conf" ||
  { echo "# conf/hnvgw.conf: its devargs lines changed; the VM config could not be made"; exit 1; }
# Routing for both tenants, in the shared FRR: contoso (a static route, so staticd too) peers with
# the external bird2, fabrikam with the bird2 in vmb2.
sed -i -e "s|^\(\s*\)control_socket = .*|&\n\1routing_daemons = \"shared\"|" \
  -e 's|^\(\s*\)forward_prefixes = {"10.1.0.0/16"}$|&\n\1routing {\n\1  asn = 65001\n\1  router_id = "10.1.1.1"\n\1  extra_config = "ip route 192.168.77.0/24 10.99.0.2"\n\1  neighbor "10.99.0.2" {\n\1    remote_as = 65002\n\1    keepalive = 3\n\1    hold = 9\n\1    ebgp_multihop = true\n\1  }\n\1}|' \
  -e 's|^\(\s*\)id = 2$|&\n\1routing {\n\1  asn = 65001\n\1  router_id = "10.1.1.1"\n\1  neighbor "10.1.2.10" {\n\1    remote_as = 65003\n\1    keepalive = 3\n\1    hold = 9\n\1  }\n\1}|' \
  "$LAB_DIR/vm.conf"
[ "$(grep -c 'asn = 65001' "$LAB_DIR/vm.conf")" -eq 2 ] && grep -q 'routing_daemons = "shared"' "$LAB_DIR/vm.conf" ||
  { echo "# conf/hnvgw.conf changed: the routing sections could not be added"; exit 1; }
"$HNVGWD" -c "$LAB_DIR/vm.conf" --check-config >/dev/null || exit 1
cat >"$LAB_DIR/user-data" <<EOT
#cloud-config
ssh_authorized_keys:
  - $(cat "$LAB_DIR/id.pub")
write_files:
  - path: /etc/default/hnvgw
    content: |
      HUGEPAGES=512
      DPDK_DRIVER=uio_pci_generic
  - path: /etc/hnvgw/hnvgw.conf
    permissions: '0640'
    encoding: b64
    content: $(base64 -w0 "$LAB_DIR/vm.conf")
EOT
cat >"$LAB_DIR/meta-data" <<EOT
instance-id: hnvgw-image-check-$$
local-hostname: gw1
EOT
cat >"$LAB_DIR/network-config" <<EOT
version: 2
ethernets:
  mgmt0:
    match:
      macaddress: "52:54:00:14:00:05"
    set-name: mgmt0
    addresses: [$GUEST/24]
EOT
cloud-localds -N "$LAB_DIR/network-config" "$LAB_DIR/seed.img" "$LAB_DIR/user-data" \
  "$LAB_DIR/meta-data" || exit 1
# The built image stays as it is: the VM writes to an overlay.
qemu-img create -q -f qcow2 -b "$image" -F qcow2 "$LAB_DIR/disk.qcow2" || exit 1

# ---- boot ----
boot_start=$(date +%s.%N)
ip netns exec "$NS_Q" qemu-system-x86_64 -machine pc -accel tcg,thread=multi -cpu max -smp 2 -m 3072 \
  -display none -monitor none -serial "file:$LAB_DIR/console.log" \
  -drive if=none,id=disk,file="$LAB_DIR/disk.qcow2",format=qcow2 \
  -device virtio-blk-pci,drive=disk,addr=0x6 \
  -drive if=none,id=seed,file="$LAB_DIR/seed.img",format=raw,readonly=on \
  -device virtio-blk-pci,drive=seed,addr=0x7 \
  -netdev tap,id=mgmt,ifname=tmgmt,script=no,downscript=no \
  -device virtio-net-pci,netdev=mgmt,mac=52:54:00:14:00:05,addr=0x3 \
  -netdev tap,id=pa,ifname=tpa,script=no,downscript=no \
  -device virtio-net-pci,netdev=pa,mac=02:00:0a:00:00:01,addr=0x4 \
  -netdev tap,id=ext,ifname=text,script=no,downscript=no \
  -device virtio-net-pci,netdev=ext,mac=02:00:0a:63:00:01,addr=0x5 \
  >"$LAB_DIR/qemu.log" 2>&1 &
QEMU_PID=$!
lab_track_pid $QEMU_PID
echo "# qemu $QEMU_PID; console: $LAB_DIR/console.log"

vm() {
  ip netns exec "$NS_Q" ssh -q -i "$LAB_DIR/id" -o BatchMode=yes -o StrictHostKeyChecking=no \
    -o UserKnownHostsFile=/dev/null -o ConnectTimeout=10 "root@$GUEST" "$@"
}
hnvgwd_active() { [ "$(vm systemctl is-active hnvgwd)" = active ]; }
hnvgwd_pid() { vm systemctl show -p MainPID --value hnvgwd; }
# Polls a slow guest: every 2 s, up to 300 times (the script's own timeout is the real bound;
# curl_is gives each try 5 s more).
slow_wait() { LAB_WAIT_TRIES=300 LAB_WAIT_INTERVAL=2 lab_wait_for "$@"; }
console_tail() { echo "# console:"; tail -25 "$LAB_DIR/console.log" | sed 's/^/#   /'; }

# Done waiting: active, or restarted over and over (a start that fails is not worth 10 minutes).
ready_or_restarting() { hnvgwd_active || [ "$(vm systemctl show -p NRestarts --value hnvgwd)" -ge 3 ]; }
booted() {
  slow_wait vm true || { echo "no SSH on $GUEST"; console_tail; return 1; }
  slow_wait ready_or_restarting
  hnvgwd_active || { vm systemctl status hnvgwd; vm journalctl -b -u hnvgwd -n 30; return 1; }
  local t
  t=$(awk -v a="$boot_start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
  echo "# boot to READY under TCG: $t s from qemu's start; $(vm systemctl show -p \
    ActiveEnterTimestampMonotonic --value hnvgwd) us after the guest kernel's" | tee "$LAB_DIR/boot.txt"
  # Type=notify: "active" is only reached through READY=1, and the status text is the daemon's.
  [ "$(vm systemctl show -p Type --value hnvgwd)" = notify ] &&
    [ "$(vm systemctl show -p StatusText --value hnvgwd)" = forwarding ]
}
ok "the image boots under TCG; systemd has hnvgwd active through sd_notify READY" booted
cat "$LAB_DIR/boot.txt" 2>/dev/null

status_answers() { local out; out=$(vm hnvgwctl show status) || return 1; echo "$out"; grep -q gw1 <<<"$out"; }
ok "cloud-init applied the seed: hnvgwctl show status answers in the VM, node gw1" status_answers
bound() {
  local d
  for d in $PA_PCI $EXT_PCI; do
    [ "$(vm basename "\$(readlink /sys/bus/pci/devices/$d/driver)")" = uio_pci_generic ] ||
      { echo "$d is not on uio_pci_generic"; return 1; }
  done
  vm ip -br link show mgmt0 | grep -q UP
}
ok "the data NICs are DPDK's (bind-nics put them on uio_pci_generic), management stays a kernel NIC" \
  bound

across() {
  ip netns exec "${NS_VM[vma1]}" ping -c 3 -w 60 10.1.2.10 &&
    curl_is "${NS_VM[vma1]}" http://10.1.2.10:8080/ "hello from vma2"
}
ok "vma1 pings and fetches a page from vma2 across subnets, through the gateway VM" \
  slow_wait across
ok "NAT: vma1 reaches the internet behind the external network as contoso's 198.18.0.10" \
  slow_wait curl_is "${NS_VM[vma1]}" "http://$INET:8080/" 198.18.0.10
ok "NAT: fabrikam's VM with the very same CA is seen as 198.18.0.20" \
  slow_wait curl_is "${NS_VM[vmb1]}" "http://$INET:8080/" 198.18.0.20

# ---- the shared FRR: one zebra and one bgpd, a VRF per routed tenant ----
# The compartment's name is mounted in hnvgwd's mount namespace only: commands reach it from there.
# frr_procs: the routing daemons in the compartment, "NAME PID" a line (the FRR package's own
# frr.service is off in the image; its daemons would not be counted anyway).
IN_ROUTING='nsenter -t "$(systemctl show -p MainPID --value hnvgwd)" -m ip netns exec hnvgw-routing'
FRR_PROCS='for p in $(nsenter -t "$(systemctl show -p MainPID --value hnvgwd)" -m ip netns pids hnvgw-routing); do
  c=$(cat /proc/$p/comm 2>/dev/null); case $c in zebra|bgpd|staticd) echo "$c $p";; esac; done'
frr_count() { vm "$FRR_PROCS" | awk -v d="$1" '$1 == d {n++} END {print n + 0}'; }
shared_chosen() {
  vm "journalctl -u hnvgwd -o cat | grep -q 'one FRR for 2 routed tenant(s), a VRF each, in compartment /run/netns/hnvgw-routing'" || return 1
  local out
  out=$(vm "$IN_ROUTING ip -d link show type vrf; $IN_ROUTING ip route show vrf vrf1; $IN_ROUTING ip route show vrf vrf2") ||
    return 1
  echo "$out"
  echo "procs: zebra $(frr_count zebra) bgpd $(frr_count bgpd) staticd $(frr_count staticd)"
  grep -q 'vrf table 65537' <<<"$out" && grep -q 'vrf table 65538' <<<"$out" &&
    [ "$(grep -c '^default dev hnvx1' <<<"$out")" = 1 ] && [ "$(grep -c '^default dev hnvx2' <<<"$out")" = 1 ] &&
    [ "$(frr_count zebra) $(frr_count bgpd) $(frr_count staticd)" = "1 1 1" ] && [ "$(vm systemctl is-enabled frr)" = disabled ]
}
ok "shared FRR: one zebra, bgpd and staticd; VRFs vrf1 and vrf2 (tables 65537, 65538) with the tenants' veths and default routes; no frr.service" \
  slow_wait shared_chosen

# contoso's peer on the external network, fabrikam's in its VM: each exports a prefix of its own.
ip -n "$NS_EXT" addr add 192.168.90.1/32 dev lo
ip -n "$NS_EXT" addr add 192.168.77.1/32 dev lo
bird_conf() { # bird_conf ROUTER_ID LOCAL_AS NEIGHBOR PREFIX NAME [multihop]
  cat <<EOT
router id $1;
protocol device {}
protocol static onprem { ipv4; route $4 blackhole; }
protocol bgp $5 {
  local $1 as $2;
  neighbor $3 as 65001;
  ${6:-}
  hold time 9;
  keepalive time 3;
  ipv4 { import all; export where proto = "onprem"; };
}
EOT
}
bird_conf 10.99.0.2 65002 10.1.1.1 192.168.90.0/24 contoso "multihop;" >"$LAB_DIR/bird.conf"
bird_conf 10.1.2.10 65003 10.1.2.1 192.168.91.0/24 fabrikam >"$LAB_DIR/bird-vmb2.conf"
ip netns exec "$NS_EXT" bird -f -c "$LAB_DIR/bird.conf" -s "$LAB_DIR/bird.ctl" >"$LAB_DIR/bird.log" 2>&1 &
lab_track_pid $!
ip netns exec "${NS_VM[vmb2]}" bird -f -c "$LAB_DIR/bird-vmb2.conf" -s "$LAB_DIR/bird-vmb2.ctl" \
  >"$LAB_DIR/bird-vmb2.log" 2>&1 &
lab_track_pid $!
vm_ping() { ip netns exec "${NS_VM[$1]}" ping -c 1 -W 2 "$2"; }
established() { birdc -s "$LAB_DIR/$1.ctl" show protocols "$2" | grep -q Established; }
both_up() { established bird contoso && established bird-vmb2 fabrikam; }
ok "BGP Established: contoso (VRF vrf1) with bird2 outside, fabrikam (vrf2) with bird2 in its VM" slow_wait both_up
bgp_shown() { # bgp_shown TENANT NEIGHBOR AS: hnvgwctl show bgp reads the tenant's VRF in the shared bgpd
  vm hnvgwctl --json show bgp tenant="$1" | $LAB_PY -c '
import json, sys
rows = [r for r in json.load(sys.stdin) if r["neighbor"] == sys.argv[1]]
print(rows)
sys.exit(0 if len(rows) == 1 and rows[0]["state"] == "Established" and rows[0]["remote_as"] == int(sys.argv[2]) else 1)' "$2" "$3"
}
shown_both() { bgp_shown contoso 10.99.0.2 65002 && bgp_shown fabrikam 10.1.2.10 65003; }
ok "hnvgwctl show bgp tenant=... reads each tenant's VRF from the one bgpd" slow_wait shown_both
route_is() { # route_is TENANT PREFIX WANT: the learned route's next hop, "" when absent
  vm hnvgwctl --json show routes tenant="$1" | $LAB_PY -c '
import json, sys
r = [x for x in json.load(sys.stdin) if x["prefix"] == sys.argv[1] and x["source"] == "frr"]
want = sys.argv[2]
sys.exit(0 if (r and r[0]["installed"] and r[0]["next_hop"] == want) or (not r and want == "") else 1)' "$2" "$3"
}
own_prefixes() {
  route_is contoso 192.168.90.0/24 "external 10.99.0.2" && route_is fabrikam 192.168.91.0/24 "10.1.2.10 vsid 6002" &&
    route_is contoso 192.168.91.0/24 "" && route_is fabrikam 192.168.90.0/24 ""
}
ok "over the one FPM connection each tenant learned its own prefix, and not the other's" slow_wait own_prefixes
ok "contoso's static route (staticd, in its VRF) arrived too: 192.168.77.0/24 via 10.99.0.2" \
  slow_wait route_is contoso 192.168.77.0/24 "external 10.99.0.2"
ok "a VM of contoso reaches a host behind its BGP peer" slow_wait vm_ping vma1 192.168.90.1
fpm_shared() {
  vm hnvgwctl --json show fpm | $LAB_PY -c '
import json, sys
l = json.load(sys.stdin)
print(l)
sys.exit(0 if len(l) == 1 and l[0]["shared"] and l[0]["tenants"] == 2 and l[0]["connected"] and l[0]["connects"] >= 1 else 1)'
}
ok "show fpm: one shared listener for both tenants, zebra connected to it" fpm_shared
birdc -s "$LAB_DIR/bird.ctl" disable onprem >/dev/null
ok "a withdrawal reaches contoso's FIB (zebra's delete names the VRF's table)" \
  slow_wait route_is contoso 192.168.90.0/24 ""
birdc -s "$LAB_DIR/bird.ctl" enable onprem >/dev/null
ok "and the prefix comes back" slow_wait route_is contoso 192.168.90.0/24 "external 10.99.0.2"
# The routing daemons' memory, as tests/bench/frr_tenant_cost.sh reads it: PSS in KiB, summed.
frr_pss() { # "NAME PID PSS_KIB" per routing daemon of the compartment
  vm "$FRR_PROCS"' | while read -r c p; do echo "$c $p $(awk "/^Pss:/ {print \$2}" /proc/$p/smaps_rollup)"; done'
}
frr_pss_kib() { frr_pss | awk '{s += $3} END {print s + 0}'; }
PSS_SMALL=$(frr_pss_kib)
echo "# shared FRR with 2 routed tenants: zebra + bgpd + staticd PSS $((PSS_SMALL / 1024)) MiB"

# Metrics on the management address: they parse, and routed packets are counted as they pass.
scrape() { ip netns exec "$NS_Q" curl -s --max-time 10 -o "$1" "http://$GUEST:9469/metrics"; }
metrics_move() {
  local before after
  scrape "$LAB_DIR/m1.prom" && $LAB_PY "$LAB_TOP/tests/lab/prom.py" parse "$LAB_DIR/m1.prom" &&
    before=$($LAB_PY "$LAB_TOP/tests/lab/prom.py" value "$LAB_DIR/m1.prom" hnvgw_route_routed_total) ||
    return 1
  ip netns exec "${NS_VM[vma1]}" ping -c 10 -i 0.2 -w 60 10.1.2.10 >/dev/null || return 1
  scrape "$LAB_DIR/m2.prom" &&
    after=$($LAB_PY "$LAB_TOP/tests/lab/prom.py" value "$LAB_DIR/m2.prom" hnvgw_route_routed_total) ||
    return 1
  echo "hnvgw_route_routed_total: $before -> $after"
  awk -v a="$before" -v b="$after" 'BEGIN { exit !(b - a >= 20) }'
}
ok "metrics on the management address parse, and hnvgw_route_routed_total rose by 20 pings' worth" \
  metrics_move

# ---- a reload with a bad config ----
pid_before=$(hnvgwd_pid)
vm "cp /etc/hnvgw/hnvgw.conf /root/good.conf && echo 'tenant \"broken\" { id = 99999 }' >>/etc/hnvgw/hnvgw.conf"
rejected_count() { vm "journalctl -u hnvgwd -p err -o cat | grep -c 'reload rejected.*hnvgw.conf:[0-9]*:'"; }
rejected_before=$(rejected_count)
reload_error_logged() { [ "$(rejected_count)" -eq $((rejected_before + 1)) ]; }
bad_reload_logged() {
  vm systemctl reload hnvgwd
  LAB_WAIT_TRIES=30 LAB_WAIT_INTERVAL=1 lab_wait_for reload_error_logged ||
    { vm journalctl -u hnvgwd -n 20; return 1; }
  vm journalctl -u hnvgwd -p err -n 1
  hnvgwd_active && [ "$(hnvgwd_pid)" = "$pid_before" ]
}
ok "systemctl reload with a bad file: the error goes to the journal at priority err; same hnvgwd" \
  bad_reload_logged
ctl_refuses() {
  local out
  out=$(vm hnvgwctl reload 2>&1) && { echo "reload succeeded: $out"; return 1; }
  echo "$out"
  echo "$out" | grep -q 'hnvgw.conf:[0-9]*:'
}
ok "hnvgwctl reload refuses the same file, with its line" ctl_refuses
ok "forwarding goes on under the old config" slow_wait across
vm "cp /root/good.conf /etc/hnvgw/hnvgw.conf"

# ---- SIGKILL: systemd restarts it ----
vm systemctl kill -s KILL hnvgwd
restarted() { local p; p=$(hnvgwd_pid); hnvgwd_active && [ -n "$p" ] && [ "$p" != 0 ] && [ "$p" != "$pid_before" ]; }
came_back() {
  slow_wait restarted || return 1
  [ "$(vm systemctl show -p NRestarts --value hnvgwd)" = 1 ]
}
ok "systemctl kill -s KILL: Restart= brings hnvgwd back to READY with a new PID" came_back
ok "traffic resumes after the restart: across subnets" slow_wait across
ok "traffic resumes after the restart: through NAT" \
  slow_wait curl_is "${NS_VM[vma1]}" "http://$INET:8080/" 198.18.0.10
ok "BGP comes back after the restart, in the new hnvgwd's shared FRR" slow_wait shown_both

# ---- clean shutdown ----
stopped_clean() {
  vm systemctl stop hnvgwd || return 1
  [ "$(vm systemctl show -p Result --value hnvgwd)" = success ] || { vm journalctl -u hnvgwd -n 20; return 1; }
  [ "$(vm systemctl is-active hnvgwd)" = inactive ]
}
ok "hnvgwd stops cleanly on SIGTERM (systemd Result=success)" stopped_clean
journal_priorities() {
  # -p err shows err and worse only: the rejected reload, not the "node gw1 up" of each start
  # (info); -p info shows both.
  local err info
  err=$(vm "journalctl -u hnvgwd -p err -o cat") && info=$(vm "journalctl -u hnvgwd -p info -o cat") ||
    return 1
  grep -q 'reload rejected' <<<"$err" && ! grep -q 'node gw1 up' <<<"$err" &&
    [ "$(grep -c 'node gw1 up' <<<"$info")" -eq 2 ] && grep -q 'reload rejected' <<<"$info"
}
ok "the journal has hnvgwd's messages with their priorities (err apart from info)" journal_priorities
no_failed_units() { local f; f=$(vm systemctl list-units --failed --plain --no-legend) || return 1; echo "$f"; [ -z "$f" ]; }
ok "no unit failed in the VM's life" no_failed_units

# ---- the shared FRR at scale: the cost of one more routed tenant ----
# HNVGW_VM_ROUTED more tenants s1..sN (ids 101.., subnet 10.(128 + k/250).(k%250).0/24 forwarded
# from the external network, and a route to it), each with one BGP neighbor: the external bird2,
# one protocol each.
N_MORE=${HNVGW_VM_ROUTED:-100}
cp "$LAB_DIR/vm.conf" "$LAB_DIR/vm-scale.conf"
cp "$LAB_DIR/bird.conf" "$LAB_DIR/bird-scale.conf"
for k in $(seq 1 "$N_MORE"); do
  net="10.$((128 + k / 250)).$((k % 250))"
  cat >>"$LAB_DIR/vm-scale.conf" <<EOT
tenant "s$k" {
  id = $((100 + k))
  subnet "s" { vsid = $((7000 + k)) prefix = "$net.0/24" gateway_ip = "$net.1" gateway_mac = "02:00:00:ab:$(printf %02x:%02x $((k / 256)) $((k % 256)))" }
  forward_prefixes = {"$net.0/24"}
  external_route { prefix = "10.99.0.0/24" next_hop = "0.0.0.0" }
  routing {
    asn = 65001
    router_id = "$net.1"
    neighbor "10.99.0.2" { remote_as = 65002 keepalive = 10 hold = 30 ebgp_multihop = true }
  }
}
EOT
  cat >>"$LAB_DIR/bird-scale.conf" <<EOT
protocol bgp s$k { local 10.99.0.2 as 65002; neighbor $net.1 as 65001; multihop; hold time 30; keepalive time 10;
  ipv4 { import all; export where proto = "onprem"; }; }
EOT
done
scale_started() {
  "$HNVGWD" -c "$LAB_DIR/vm-scale.conf" --check-config >/dev/null || return 1
  birdc -s "$LAB_DIR/bird.ctl" configure \"$LAB_DIR/bird-scale.conf\" | grep -q Reconfigur || return 1
  vm "cat >/etc/hnvgw/hnvgw.conf" <"$LAB_DIR/vm-scale.conf" || return 1
  SCALE_T0=$(date +%s.%N)
  vm systemctl start hnvgwd && slow_wait hnvgwd_active
}
ok "hnvgwd starts again with $N_MORE more routed tenants ($((N_MORE + 2)) in the shared FRR)" scale_started
n_established() { birdc -s "$LAB_DIR/bird.ctl" show protocols | grep -c '^s[0-9].*Established'; }
all_established() { [ "$(n_established)" -eq "$N_MORE" ]; }
scale_up() {
  LAB_WAIT_TRIES=600 LAB_WAIT_INTERVAL=2 lab_wait_for all_established
  SCALE_T1=$(date +%s.%N)
  echo "# $(n_established) of $N_MORE sessions Established"
  all_established && [ "$(frr_count zebra) $(frr_count bgpd)" = "1 1" ]
}
ok "every one of the $N_MORE sessions is Established, with one zebra and one bgpd" scale_up
scale_routes() { route_is "s$N_MORE" 192.168.90.0/24 "external 10.99.0.2" && route_is s1 192.168.90.0/24 "external 10.99.0.2"; }
ok "the first and the last of them learned the peer's prefix over the one FPM connection" slow_wait scale_routes
sleep 10 # settled: the daemons' memory after the sessions came up, not while they do
PSS_BIG=$(frr_pss_kib)
frr_pss | awk '{printf "#   %s (pid %s): %d kB PSS\n", $1, $2, $3}'
awk -v n1=2 -v p1="$PSS_SMALL" -v n2=$((N_MORE + 2)) -v p2="$PSS_BIG" -v e="$(n_established)" \
  -v a="${SCALE_T0:-0}" -v b="${SCALE_T1:-0}" 'BEGIN {
  slope = (p2 - p1) / (n2 - n1) / 1024
  printf "# BENCH name=shared_frr_vm tenants=%d established=%d startup_s=%.1f rss_mib=%.1f mib_per_tenant=%.3f est_1000_mib=%.0f (TCG; PSS of zebra+bgpd+staticd; %d tenants: %.1f MiB)\n",
    n2, e, b - a, p2 / 1024, slope, p1 / 1024 + (1000 - n1) * slope, n1, p1 / 1024 }' | tee "$LAB_DIR/bench.txt"
frr_measured() { [ "$PSS_SMALL" -gt 0 ] && [ "$PSS_BIG" -gt "$PSS_SMALL" ] && grep -q '^# BENCH name=shared_frr_vm' "$LAB_DIR/bench.txt"; }
ok "the routing daemons' memory was measured at 2 and $((N_MORE + 2)) routed tenants" frr_measured

vm systemctl poweroff 2>/dev/null # the SSH session may end with it
qemu_gone() { ! kill -0 "$QEMU_PID" 2>/dev/null; }
powered_off() {
  slow_wait qemu_gone || { console_tail; return 1; }
  wait "$QEMU_PID"; local rc=$?
  echo "qemu exited $rc"
  [ $rc -eq 0 ] && grep -q 'reboot: Power down' "$LAB_DIR/console.log"
}
ok "the VM powers off cleanly (kernel: Power down; qemu exits 0)" powered_off

lab_done
