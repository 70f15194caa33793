#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# make bench: the nvgre_hairpin scenario against dpdk-testpmd io-forwarding on the same vdevs in the
# same run, then NAT44, FPM, ESP and the policy store. Prints one BENCH line per scenario:
#   BENCH name=<scenario> mpps=<x> cycles_per_pkt=<y> ratio_vs_testpmd=<r> table_mib=<m>
# A figure that could not be measured (a process that failed, a figure zero or missing) is never
# printed: a "bench: <section> could not measure: <why>" line stands in its place, the remaining
# sections still run, and the script exits 1 at the end. It never fails on a figure's value.
# Scale: BENCH_TENANTS, BENCH_RECORDS, BENCH_ROUTES, BENCH_FLOWS; BENCH_SECONDS per measurement;
# BENCH_NAT_SESSIONS, BENCH_NAT_PASSES and BENCH_NAT_HUGE=1 (hugepages) for NAT44, see
# tests/bench/bench_nat.c; BENCH_ESP_SECONDS for ESP (tests/bench/bench_esp.c).
set -uo pipefail # no -e: a failed section is reported and the others still run
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

failed=()
# could_not SECTION WHY...: stands in for the figures of SECTION; make bench fails at the end.
could_not() {
  local section=$1
  shift
  echo "bench: $section could not measure: $*"
  failed+=("$section")
}
# emit LINE [SECTION]: prints BENCH line LINE if each of its figures is a positive number, else
# reports SECTION (or the line's name) as could_not.
# testpmd_io's table_mib=0 is part of its format (testpmd has no tables), not a measurement.
emit() {
  local line=$1 name field val
  name=$(sed -n 's/^BENCH name=\([^ ]*\).*/\1/p' <<<"$line")
  if [ -z "$name" ]; then
    could_not "${2:-unknown}" "not a BENCH line: '$line'"
    return 1
  fi
  for field in ${line#BENCH name="$name"}; do
    [ "$name $field" = "testpmd_io table_mib=0" ] && continue
    if ! awk -v v="${field#*=}" 'BEGIN { exit !(v ~ /^[0-9]+(\.[0-9]+)?$/ && v + 0 > 0) }'; then
      val=${field#*=}
      could_not "$name" "${field%%=*} is ${val:-missing}"
      return 1
    fi
  done
  echo "$line"
}
# expect LOG SECTION NAME...: emits the BENCH line of each NAME that LOG holds, passes on its
# "bench:" remarks, and reports each NAME the log lacks.
expect() {
  local log=$1 section=$2 name line
  shift 2
  grep -E '^(bench:|bench_[a-z]+:) ' "$log"
  for name in "$@"; do
    line=$(grep -m1 "^BENCH name=$name " "$log")
    if [ -n "$line" ]; then
      emit "$line"
    else
      could_not "$name" "$section printed no $name line (see $log)"
    fi
  done
}
# conf_value KEY: the value of each 'KEY = value' line of the generated hnvgwd config, as written.
conf_value() { sed -n "s/^ *$1 = //p" "$conf"; }

# 0. The TSC rate DPDK itself works with, for cycles per packet (not the "cpu MHz" of
#    /proc/cpuinfo, which is the current clock of one core, not the TSC's).
tsc_log="$out/tsc_hz.log"
tsc_hz=""
if "$top/build/bench_pipeline" tsc_hz >"$tsc_log" 2>&1; then
  tsc_hz=$(sed -n 's/^tsc_hz=\([0-9]*\)$/\1/p' "$tsc_log")
fi
[ -n "$tsc_hz" ] || could_not cycles_per_pkt "bench_pipeline tsc_hz: $(tail -1 "$tsc_log")"

stamp="$out/.gen-$tenants-$records-$routes-$flows"
generated=true
if [ ! -f "$stamp" ]; then
  rm -f "$out"/.gen-*
  echo "bench: generating $tenants tenants, $records lookup records, $routes routes, $flows flows"
  if /usr/bin/python3 "$top/tests/bench/gen.py" "$out" --tenants "$tenants" --records "$records" \
    --routes "$routes" --flows "$flows" >"$out/gen.log" 2>&1; then
    touch "$stamp"
  else
    generated=false
    could_not testpmd_io "gen.py failed (see $out/gen.log)"
    could_not nvgre_hairpin "gen.py failed (see $out/gen.log)"
  fi
fi
conf="$out/bench.conf"

# 1. The I/O ceiling: testpmd io-forwarding with everything hnvgwd gets from bench.conf: its EAL
#    arguments, its vdevs (the pcap port, and the null port with no-rx=1, so that it makes no
#    packets to steal the forwarding core), its lcores and packet buffers, and the ring sizes
#    (1,024) and mempool cache (256) of dataplane/dp.c. The rate is what the ports transmit.
testpmd_pps=""
testpmd_section() {
  local log="$out/testpmd.log" workers lcores mbufs eal=() vdevs=() args=() v rc
  mapfile -t eal < <(conf_value eal_args | grep -o '"[^"]*"' | tr -d '"')
  mapfile -t vdevs < <(conf_value devargs | tr -d '"')
  workers=$(conf_value workers)
  mbufs=$(conf_value mbufs)
  if [ ${#eal[@]} -eq 0 ] || [ ${#vdevs[@]} -eq 0 ] || [ -z "$workers" ] || [ -z "$mbufs" ]; then
    could_not testpmd_io "cannot read eal_args, devargs, workers and mbufs from $conf"
    return
  fi
  for v in "${vdevs[@]}"; do
    if [[ $v == net_null* && $v != *no-rx=1* ]]; then
      could_not testpmd_io "$v generates packets on the forwarding core: both sides need no-rx=1"
      return
    fi
    args+=(--vdev "$v")
  done
  # As hnvgwd (gateway/hnvgwd.c) chooses them: one lcore per worker beside the main one.
  if [ "$(nproc)" -ge $((workers + 1)) ]; then
    lcores="--lcores=0-$workers"
  else
    lcores="--lcores=(0-$workers)@(0-$(($(nproc) - 1)))"
  fi
  (
    sleep 2
    echo start
    sleep 1
    echo "show port stats all"
    sleep "$secs"
    echo "show port stats all"
    echo stop
    echo quit
  ) | dpdk-testpmd "$lcores" "${eal[@]}" "${args[@]}" -- -i --forward-mode=io \
    --total-num-mbufs="$mbufs" --mbcache=256 --rxd=1024 --txd=1024 --burst=32 >"$log" 2>&1
  rc=$?
  if [ "$rc" -ne 0 ]; then
    could_not testpmd_io "dpdk-testpmd failed (exit $rc, see $log)"
    return
  fi
  # The second "show port stats all": the rate over the last $secs seconds, summed over ports.
  testpmd_pps=$(awk -v n=${#vdevs[@]} '/Tx-pps:/ {v[++k] = $2}
    END { if (k >= 2 * n) { for (i = k - n + 1; i <= k; i++) s += v[i]; print s } }' "$log")
  emit "$(awk -v p="$testpmd_pps" -v h="$tsc_hz" 'BEGIN {
    printf "BENCH name=testpmd_io mpps=%s cycles_per_pkt=%s ratio_vs_testpmd=1.00 table_mib=0\n",
           (p == "" ? "" : sprintf("%.2f", p / 1e6)), (p > 0 && h > 0 ? sprintf("%.1f", h / p) : "") }')" \
    testpmd_io
  # The ratio needs a rate, even when the cycles could not be had.
  awk -v p="$testpmd_pps" 'BEGIN {exit !(p > 0)}' || testpmd_pps=""
}
$generated && testpmd_section

# 2. hnvgwd on the loaded tables; its rate is the packets it encapsulates.
ctl="$top/build/hnvgwctl -s $out/hnvgwd.sock"
# counter NAME: the value of data-plane counter NAME, or nothing.
counter() {
  $ctl --json show stats 2>/dev/null | /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)
print(next(c["value"] for c in d["counters"] if c["counter"] == sys.argv[1]))' "$1" 2>/dev/null
}
hairpin_section() {
  local log="$out/hnvgwd.log" pid ready=false a b t0 t1 mib drops
  rm -f "$out/hnvgwd.sock"
  "$top/build/hnvgwd" -c "$conf" >"$log" 2>&1 &
  pid=$!
  pids+=("$pid")
  for _ in $(seq 1 600); do
    $ctl show status >/dev/null 2>&1 && ready=true && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  if ! $ready; then
    could_not nvgre_hairpin "hnvgwd did not start: $(tail -1 "$log") (see $log)"
    return
  fi
  sleep 1
  a=$(counter encap.nvgre)
  t0=$(date +%s.%N)
  sleep "$secs"
  b=$(counter encap.nvgre)
  t1=$(date +%s.%N)
  mib=$($ctl --json show status | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["table_memory_mib"])')
  drops=$($ctl --json show stats | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["total_drops"])')
  kill -0 "$pid" 2>/dev/null || could_not nvgre_hairpin "hnvgwd exited during the run (see $log)"
  if [ -z "$a" ] || [ -z "$b" ]; then
    could_not nvgre_hairpin "hnvgwd gave no encap.nvgre counter (see $log)"
  elif [ -z "$testpmd_pps" ]; then
    could_not nvgre_hairpin "ratio_vs_testpmd needs the testpmd_io figure;" \
      "hnvgwd alone: $(awk -v a="$a" -v b="$b" -v t0="$t0" -v t1="$t1" \
        'BEGIN {printf "mpps=%.2f", (b - a) / (t1 - t0) / 1e6}')"
  else
    emit "$(awk -v a="$a" -v b="$b" -v t0="$t0" -v t1="$t1" -v h="$tsc_hz" -v tp="$testpmd_pps" \
      -v mib="$mib" 'BEGIN {
      pps = (b - a) / (t1 - t0);
      printf "BENCH name=nvgre_hairpin mpps=%.2f cycles_per_pkt=%s ratio_vs_testpmd=%.2f table_mib=%s\n",
             pps / 1e6, (pps > 0 && h > 0 ? sprintf("%.1f", h / pps) : ""), pps / tp, mib }')" \
      nvgre_hairpin
  fi
  echo "bench: hnvgwd drops during the run: ${drops:-unknown} (see $log)"
}
$generated && hairpin_section
# hnvgwd goes now: its busy-polling worker would share the cores with what follows.
for p in "${pids[@]}"; do
  kill "$p" 2>/dev/null || true
  wait "$p" 2>/dev/null
done
pids=()

# pipeline_instr NAME LOG BENCH_PIPELINE_ARGS...: instructions per packet of bench_pipeline's bursts
# under callgrind (run_burst() only) into $instr; its "check:" line is left in LOG. Reports NAME
# and fails if bench_pipeline or callgrind failed.
instr=""
pipeline_instr() {
  local name=$1 log=$2 rc n pkts
  shift 2
  instr=""
  valgrind --tool=callgrind --toggle-collect=run_burst --callgrind-out-file="${log%.log}.out" \
    "$top/build/bench_pipeline" "$@" >"$log" 2>&1
  rc=$?
  n=$(sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$log" | tail -1)
  pkts=$(sed -n 's/^packets=\([0-9]*\).*/\1/p' "$log" | tail -1)
  if [ "$rc" -ne 0 ] || [ -z "$n" ] || [ -z "$pkts" ]; then
    could_not "$name" "callgrind of bench_pipeline $* failed (exit $rc, see $log)"
    return 1
  fi
  instr=$(awk -v i="$n" -v p="$pkts" 'BEGIN {printf "%.1f", p ? i / p : 0}')
}

# 3. Instructions per packet under callgrind: the same stages on a device-less data plane, only the
#    burst processing counted. Machine noise cannot move this figure.
ib_tenants=${BENCH_INSTR_TENANTS:-4096}
ib_records=${BENCH_INSTR_RECORDS:-100000}
ib_routes=${BENCH_INSTR_ROUTES:-10000}
if native=$("$top/build/bench_pipeline" "$ib_tenants" "$ib_records" "$ib_routes" 5 2>&1); then
  if pipeline_instr nvgre_hairpin_instr "$out/callgrind.log" "$ib_tenants" "$ib_records" \
    "$ib_routes" 20; then
    emit "BENCH name=nvgre_hairpin_instr instr_per_pkt=$instr tenants=$ib_tenants records=$ib_records routes=$ib_routes"
  fi
else
  could_not nvgre_hairpin_instr "bench_pipeline failed: $native"
fi

# 4. NAT44 on one worker of a device-less data plane with BENCH_NAT_SESSIONS live sessions: session
#    setup rate, packet rate both ways, heap per session.
nat_sessions=${BENCH_NAT_SESSIONS:-1000000}
nat_passes=${BENCH_NAT_PASSES:-8}
"$top/build/bench_nat" "$nat_sessions" "$nat_passes" ${BENCH_NAT_HUGE:+huge} >"$out/bench_nat.log" 2>&1 ||
  could_not nat44 "bench_nat failed (exit $?, see $out/bench_nat.log)"
expect "$out/bench_nat.log" bench_nat nat44_setup nat44_in2out nat44_out2in nat44_memory

# 5. NAT44 instructions per packet, both ways, under callgrind: the figure machine noise cannot
#    move. Fewer sessions (BENCH_NAT_INSTR_SESSIONS, default 100,000) and one pass, or valgrind
#    would take minutes; only run_passes() is counted, split by the two entry points.
ni=${BENCH_NAT_INSTR_SESSIONS:-100000}
valgrind --tool=callgrind --toggle-collect=run_passes --callgrind-out-file="$out/callgrind_nat.out" \
  "$top/build/bench_nat" "$ni" 1 >"$out/callgrind_nat.log" 2>&1
rc=$?
if [ "$rc" -ne 0 ]; then
  could_not nat44_instr "callgrind of bench_nat failed (exit $rc, see $out/callgrind_nat.log)"
elif ! callgrind_annotate --inclusive=yes "$out/callgrind_nat.out" >"$out/callgrind_nat.annotate" 2>&1
then
  could_not nat44_instr "callgrind_annotate failed (see $out/callgrind_nat.annotate)"
else
  emit "$(awk -v n="$ni" '
      /stage_burst.c:dp_provider_burst \[/ { gsub(",", "", $1); in2out = $1 }
      /stage_external.c:dp_external_burst \[/ { gsub(",", "", $1); out2in = $1 }
      END { printf "BENCH name=nat44_instr in2out_instr_per_pkt=%s out2in_instr_per_pkt=%s sessions=%d\n",
                   (in2out ? sprintf("%.1f", in2out / n) : ""), (out2in ? sprintf("%.1f", out2in / n) : ""), n }' \
    "$out/callgrind_nat.annotate")" nat44_instr
fi

# 6. FPM: 100k routes (BENCH_FPM_ROUTES) from the bytes zebra sends to FIB entries the workers see.
"$top/build/bench_fpm" "${BENCH_FPM_ROUTES:-100000}" >"$out/bench_fpm.log" 2>&1 ||
  could_not fpm_install "bench_fpm failed (exit $?, see $out/bench_fpm.log)"
expect "$out/bench_fpm.log" bench_fpm fpm_install

# 7. The FIB with many routes in one tenant (as FRR would install them) against none, with 4,096
#    small tenants either way: instructions per packet of the NVGRE hairpin under callgrind. With
#    routes, every flow is addressed into a different one of them (bench_pipeline "routes"
#    traffic), and the run fails unless every frame left through its route: its "check:" line.
fib_routes=${BENCH_FIB_ROUTES:-100000}
fib_section() {
  local with check
  pipeline_instr fib_routes_instr "$out/callgrind_fib.log" 4096 100000 "$fib_routes" 20 routes ||
    return
  with=$instr
  check=$(grep -m1 '^check: ' "$out/callgrind_fib.log")
  if ! awk '{for (i = 2; i <= NF; i++) {split($i, kv, "="); v[kv[1]] = kv[2] + 0}}
            END {exit !(v["via_routes"] > 0 && v["via_routes"] == v["flows"] && v["routes_hit"] > 0)}' \
    <<<"$check"; then
    could_not fib_routes_instr "the traffic did not go through the routes: '$check'"
    return
  fi
  pipeline_instr fib_routes_instr "$out/callgrind_fib0.log" 4096 100000 0 20 || return
  echo "bench: fib_routes_instr traffic: $check"
  emit "BENCH name=fib_routes_instr routes=$fib_routes tenants=4096 instr_per_pkt=$with without_routes=$instr"
}
fib_section

# 8. ESP with AES-GCM-128 on one worker (intel-ipsec-mb through rte_ipsec), on hugepages: tunnel
#    traffic encrypted (NVGRE in, ESP in UDP out) and decrypted (the reverse), at 1400-byte and
#    64-byte inner packets; Gbit/s per core over the inner packets. BENCH_ESP_SECONDS per line.
"$top/build/bench_esp" "${BENCH_ESP_SECONDS:-3}" huge >"$out/bench_esp.log" 2>&1 ||
  could_not esp "bench_esp failed (exit $?, see $out/bench_esp.log)"
expect "$out/bench_esp.log" bench_esp esp_encrypt_gcm128_1400 esp_decrypt_gcm128_1400 \
  esp_encrypt_gcm128_64 esp_decrypt_gcm128_64

# 9. The policy store at BENCH_POLICY_RECORDS lookup records (default 1,000,000) while traffic
#    flows (tests/bench/bench_policy.c): 10,000 single moves, each timed, then one batch of 100,000,
#    with a second lcore pushing NVGRE through the provider path to the records being moved. On
#    hugepages, as hnvgwd runs, unless BENCH_POLICY_HUGE=0. bench_policy fails when it could not
#    measure, or when a packet or a record ended wrong.
policy_huge=(huge)
[ "${BENCH_POLICY_HUGE:-1}" = 0 ] && policy_huge=()
"$top/build/bench_policy" "${BENCH_POLICY_RECORDS:-1000000}" 10000 100000 "${policy_huge[@]}" \
  >"$out/bench_policy.log" 2>&1 ||
  could_not policy_update "bench_policy failed (exit $?, see $out/bench_policy.log)"
expect "$out/bench_policy.log" bench_policy policy_update policy_update_traffic

if [ ${#failed[@]} -gt 0 ]; then
  echo "bench: FAILED: no figure for: ${failed[*]}"
  exit 1
fi
