#!/usr/bin/env bash
# make bench: the nvgre_hairpin scenario against dpdk-testpmd io-forwarding on the same vdevs in the
# same run, then NAT44, FPM and ESP on one worker. Prints one BENCH line per scenario; never fails
# on a number.
#   BENCH name=<scenario> mpps=<x> cycles_per_pkt=<y> ratio_vs_testpmd=<r> table_mib=<m>
# Scale: BENCH_TENANTS, BENCH_RECORDS, BENCH_ROUTES, BENCH_FLOWS; BENCH_SECONDS per measurement;
# BENCH_NAT_SESSIONS, BENCH_NAT_PASSES and BENCH_NAT_HUGE=1 (hugepages) for NAT44, see
# tests/bench/bench_nat.c; BENCH_ESP_SECONDS for ESP (tests/bench/bench_esp.c).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
out=${BENCH_DIR:-$top/build/bench}
secs=${BENCH_SECONDS:-5}
tenants=${BENCH_TENANTS:-4096}
records=${BENCH_RECORDS:-1000000}
routes=${BENCH_ROUTES:-100000}
flows=${BENCH_FLOWS:-1024}
mkdir -p "$out"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

stamp="$out/.gen-$tenants-$records-$routes-$flows"
if [ ! -f "$stamp" ]; then
  rm -f "$out"/.gen-*
  echo "bench: generating $tenants tenants, $records lookup records, $routes routes, $flows flows"
  /usr/bin/python3 "$top/tests/bench/gen.py" "$out" --tenants "$tenants" --records "$records" \
    --routes "$routes" --flows "$flows" >/dev/null
  touch "$stamp"
fi
pcap="$out/hairpin.pcap"
conf="$out/bench.conf"
tsc_hz=$(awk '/^cpu MHz/ {printf "%d", $4 * 1000000; exit}' /proc/cpuinfo)

# 1. The I/O ceiling: testpmd io-forwarding from the same pcap vdev to net_null.
tp_log="$out/testpmd.log"
( sleep 2; echo start; sleep 1; echo "show port stats 0"; sleep "$secs"; echo "show port stats 0";
  echo stop; echo quit ) |
  dpdk-testpmd -l 0-1 --in-memory --no-pci --log-level=lib.eal:error \
    --vdev "net_pcap0,rx_pcap=$pcap,infinite_rx=1" --vdev net_null0 -- -i --forward-mode=io \
    --total-num-mbufs=65536 >"$tp_log" 2>&1 || true
testpmd_pps=$(awk '/Rx-pps:/ {v=$2} END {print v+0}' "$tp_log")
testpmd_mpps=$(awk -v p="$testpmd_pps" 'BEGIN {printf "%.2f", p / 1e6}')
echo "BENCH name=testpmd_io mpps=$testpmd_mpps cycles_per_pkt=$(awk -v p="$testpmd_pps" -v h="$tsc_hz" 'BEGIN {printf "%.1f", p ? h / p : 0}') ratio_vs_testpmd=1.00 table_mib=0"

# 2. hnvgwd on the loaded tables.
ctl="$top/build/hnvgwctl -s $out/hnvgwd.sock"
rm -f "$out/hnvgwd.sock"
"$top/build/hnvgwd" -c "$conf" >"$out/hnvgwd.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 600); do
  $ctl show status >/dev/null 2>&1 && break
  kill -0 "${pids[0]}" 2>/dev/null || { echo "bench: hnvgwd exited:"; tail -5 "$out/hnvgwd.log"; exit 0; }
  sleep 0.5
done
sample() { $ctl --json show stats | /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)
print(next((c["value"] for c in d["counters"] if c["counter"] == "encap.nvgre"), 0))'; }
sleep 1
a=$(sample); t0=$(date +%s.%N)
sleep "$secs"
b=$(sample); t1=$(date +%s.%N)
mib=$($ctl --json show status | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["table_memory_mib"])')
drops=$($ctl --json show stats | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["total_drops"])')
awk -v a="$a" -v b="$b" -v t0="$t0" -v t1="$t1" -v h="$tsc_hz" -v tp="$testpmd_pps" -v mib="$mib" 'BEGIN {
  pps = (b - a) / (t1 - t0);
  printf "BENCH name=nvgre_hairpin mpps=%.2f cycles_per_pkt=%.1f ratio_vs_testpmd=%.2f table_mib=%d\n",
         pps / 1e6, pps ? h / pps : 0, tp ? pps / tp : 0, mib }'
echo "bench: hnvgwd drops during the run: $drops (see $out/hnvgwd.log)"

# 3. Instructions per packet under callgrind: the same stages on a device-less data plane, only the
#    burst processing counted. Machine noise cannot move this figure.
ib_tenants=${BENCH_INSTR_TENANTS:-4096}
ib_records=${BENCH_INSTR_RECORDS:-100000}
ib_routes=${BENCH_INSTR_ROUTES:-10000}
if native=$("$top/build/bench_pipeline" "$ib_tenants" "$ib_records" "$ib_routes" 5 2>&1); then
  valgrind --tool=callgrind --toggle-collect=run_burst --callgrind-out-file="$out/callgrind.out" \
    "$top/build/bench_pipeline" "$ib_tenants" "$ib_records" "$ib_routes" 20 >"$out/callgrind.log" 2>&1 || true
  instr=$(sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$out/callgrind.log" | tail -1)
  pkts=$(sed -n 's/^packets=\([0-9]*\).*/\1/p' "$out/callgrind.log" | tail -1)
  awk -v i="${instr:-0}" -v p="${pkts:-0}" -v t="$ib_tenants" -v r="$ib_records" -v ro="$ib_routes" 'BEGIN {
    printf "BENCH name=nvgre_hairpin_instr instr_per_pkt=%.1f tenants=%d records=%d routes=%d\n",
           p ? i / p : 0, t, r, ro }'
else
  echo "bench: bench_pipeline failed: $native"
fi

# 4. NAT44 on one worker of a device-less data plane with BENCH_NAT_SESSIONS live sessions: session
#    setup rate, packet rate both ways, heap per session. hnvgwd goes first: its busy-polling
#    worker would share the cores.
for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
pids=()
nat_sessions=${BENCH_NAT_SESSIONS:-1000000}
nat_passes=${BENCH_NAT_PASSES:-8}
if ! "$top/build/bench_nat" "$nat_sessions" "$nat_passes" ${BENCH_NAT_HUGE:+huge} \
  >"$out/bench_nat.log" 2>&1; then
  echo "bench: bench_nat reported a problem (see $out/bench_nat.log)"
fi
grep -E '^(BENCH|bench:|bench_nat:) ' "$out/bench_nat.log" || true

# 5. NAT44 instructions per packet, both ways, under callgrind: the figure machine noise cannot
#    move. Fewer sessions (BENCH_NAT_INSTR_SESSIONS, default 100,000) and one pass, or valgrind
#    would take minutes; only run_passes() is counted, split by the two entry points.
ni=${BENCH_NAT_INSTR_SESSIONS:-100000}
if valgrind --tool=callgrind --toggle-collect=run_passes --callgrind-out-file="$out/callgrind_nat.out" \
  "$top/build/bench_nat" "$ni" 1 >"$out/callgrind_nat.log" 2>&1; then
  callgrind_annotate --inclusive=yes "$out/callgrind_nat.out" 2>/dev/null |
    awk -v n="$ni" '
      /stage_burst.c:dp_provider_burst \[/ { gsub(",", "", $1); in2out = $1 }
      /stage_external.c:dp_external_burst \[/ { gsub(",", "", $1); out2in = $1 }
      END { printf "BENCH name=nat44_instr in2out_instr_per_pkt=%.1f out2in_instr_per_pkt=%.1f sessions=%d\n",
                   in2out / n, out2in / n, n }'
else
  echo "bench: callgrind of bench_nat failed (see $out/callgrind_nat.log)"
fi

# 6. FPM: 100k routes (BENCH_FPM_ROUTES) from the bytes zebra sends to FIB entries the workers see.
if ! "$top/build/bench_fpm" "${BENCH_FPM_ROUTES:-100000}" >"$out/bench_fpm.log" 2>&1; then
  echo "bench: bench_fpm failed (see $out/bench_fpm.log)"
fi
grep -E '^(BENCH|bench:) ' "$out/bench_fpm.log" || true

# 7. The FIB with many routes in one tenant (as FRR would install them) against none, with 4,096
#    small tenants either way: instructions per packet of the NVGRE hairpin under callgrind.
fib_instr() {
  valgrind --tool=callgrind --toggle-collect=run_burst --callgrind-out-file="$out/callgrind_fib.out" \
    "$top/build/bench_pipeline" 4096 100000 "$1" 20 >"$out/callgrind_fib.log" 2>&1 || return 1
  awk '/Collected :/ {c = $4} /^packets=/ {split($1, p, "="); n = p[2]} END {printf "%.1f", n ? c / n : 0}' \
    "$out/callgrind_fib.log"
}
fib_routes=${BENCH_FIB_ROUTES:-100000}
if with=$(fib_instr "$fib_routes") && without=$(fib_instr 0); then
  echo "BENCH name=fib_routes_instr routes=$fib_routes tenants=4096 instr_per_pkt=$with without_routes=$without"
else
  echo "bench: callgrind of bench_pipeline failed (see $out/callgrind_fib.log)"
fi

# 8. ESP with AES-GCM-128 on one worker (intel-ipsec-mb through rte_ipsec), on hugepages: tunnel
#    traffic encrypted (NVGRE in, ESP in UDP out) and decrypted (the reverse), at 1400-byte and
#    64-byte inner packets; Gbit/s per core over the inner packets. BENCH_ESP_SECONDS per line.
if ! "$top/build/bench_esp" "${BENCH_ESP_SECONDS:-3}" huge >"$out/bench_esp.log" 2>&1; then
  echo "bench: bench_esp reported a problem (see $out/bench_esp.log)"
fi
grep -E '^(BENCH|bench:) ' "$out/bench_esp.log" || true

# 9. The policy store at BENCH_POLICY_RECORDS lookup records (default 1,000,000) while traffic
#    flows (tests/bench/bench_policy.c): 10,000 single moves, each timed, then one batch of 100,000,
#    with a second lcore pushing NVGRE through the provider path to the records being moved. On
#    hugepages, as hnvgwd runs, unless BENCH_POLICY_HUGE=0. make bench fails when it could not
#    measure, or when a packet or a record ended wrong.
policy_huge=huge
[ "${BENCH_POLICY_HUGE:-1}" = 0 ] && policy_huge=""
bench_failed=${bench_failed:-0}
"$top/build/bench_policy" "${BENCH_POLICY_RECORDS:-1000000}" 10000 100000 $policy_huge \
  >"$out/bench_policy.log" 2>&1 || bench_failed=1
grep -E '^(BENCH|bench:|bench_policy:) ' "$out/bench_policy.log" || true
if ! grep -q '^BENCH name=policy_update ' "$out/bench_policy.log"; then
  echo "bench: policy_update could not measure: bench_policy failed (see $out/bench_policy.log)"
  bench_failed=1
fi
[ "$bench_failed" = 0 ] || exit 1
