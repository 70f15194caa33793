#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs every lab test (tests/lab/test_*.sh, or those named in LAB_TESTS) and prints one closing
# "lab: N passed, N failed" line, after one line per test.
#
# Each test runs under a timeout (LAB_SCRIPT_TIMEOUT seconds, 900 by default): TERM to its whole
# process group, so that its trap tears the lab down, and KILL 30 s later if it is still there.
# A test fails the run when an assertion fails, when it exits non-zero, times out, prints no totals
# or no plan, passes fewer assertions than its plan ("1..N") says, or leaves a namespace behind.
set -u
cd "$(dirname "$0")" || exit 1
limit=${LAB_SCRIPT_TIMEOUT:-900}
log=$(mktemp /tmp/hnvgw-lab-run.XXXXXX) || exit 1
pass=0; fail=0; lines=()
tpid=
tailpid=
# timeout puts the test in a process group of its own, out of reach of a Ctrl-C or of the TERM
# of an outer timeout: pass them on, and let the test clean up before leaving.
stop() {
  [ -n "$tpid" ] && kill -TERM "$tpid" 2>/dev/null && wait "$tpid"
  [ -n "$tailpid" ] && wait "$tailpid"
  rm -f "$log"
  exit "$1"
}
trap 'stop 130' INT
trap 'stop 143' TERM
trap 'rm -f "$log"' EXIT

for t in ${LAB_TESTS:-test_*.sh}; do
  echo "# lab: $t"
  : >"$log"
  timeout --signal=TERM --kill-after=30 "$limit" bash "$t" </dev/null >"$log" 2>&1 &
  tpid=$!
  # Shown as it runs, from a file rather than a pipe: a test must never lose its output's reader
  # (SIGPIPE) halfway through its cleanup. Both in the background: a signal's trap runs at once
  # during `wait`, but only after a foreground command ends.
  tail -n +1 -f --pid="$tpid" "$log" &
  tailpid=$!
  { wait "$tpid"; } 2>/dev/null
  rc=$?
  tpid=
  wait "$tailpid"
  tailpid=
  plan=$(sed -n 's/^1\.\.\([0-9][0-9]*\)$/\1/p' "$log" | tail -1)
  totals=$(sed -n 's/^# [^ ]*: \([0-9][0-9]*\) passed, \([0-9][0-9]*\) failed$/\1 \2/p' "$log" | tail -1)
  prefix=$(sed -n 's/^# lab prefix: \(hl[a-zA-Z0-9]*\)$/\1/p' "$log" | tail -1)
  dir=$(sed -n 's|^# lab dir: \(/tmp/hnvgw-lab-[^/ ]*\)$|\1|p' "$log" | tail -1)
  p=0; f=0
  [ -n "$totals" ] && read -r p f <<<"$totals"
  pass=$((pass + p)); fail=$((fail + f))

  why=()
  case $rc in
  0) ;;
  124) why+=("timed out after $limit s") ;;
  137) why+=("killed: still running 30 s after its timeout's TERM") ;;
  *) [ "$f" -eq 0 ] && why+=("exited $rc") ;;
  esac
  if [ -z "$totals" ]; then
    [ "$rc" -ne 124 ] && [ "$rc" -ne 137 ] && why+=("printed no totals")
  elif [ -z "$plan" ]; then
    why+=("printed no plan")
  elif [ "$p" -lt "$plan" ] && [ "$f" -eq 0 ]; then
    why+=("passed $p of the $plan assertions it planned")
  fi
  # What its cleanup could not remove (a KILL after the timeout) is removed here, and counted.
  if [ -n "$prefix" ]; then
    left=$(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$prefix-")
    if [ -n "$left" ]; then
      why+=("left namespaces behind: $(echo $left)")
      for ns in $left; do
        for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
        ip netns del "$ns" 2>/dev/null
      done
    fi
  fi
  [ -n "$dir" ] && [ -d "$dir" ] && [ "${LAB_KEEP:-0}" != 1 ] && rm -rf "$dir"
  line="$t: $p passed, $f failed, plan ${plan:-none}"
  if [ ${#why[@]} -gt 0 ]; then
    # One failure more, unless its own totals already count one (lab_done's plan check).
    [ "$f" -eq 0 ] && fail=$((fail + 1))
    why_text=$(printf '%s; ' "${why[@]}")
    line+=" - FAILED: ${why_text%; }"
    echo "# $t FAILED: ${why_text%; }"
  fi
  lines+=("$line")
done
for l in "${lines[@]}"; do echo "# lab summary: $l"; done
echo "lab: $pass passed, $fail failed"
[ $fail -eq 0 ]
