#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs each cmocka binary given and prints one closing "unit: N passed, N failed, N skipped" line
# over all of them.
#
# A binary may hold several groups: every group's summary counts, not only the last one. A skipped
# test is counted and its binary named with the reason it printed: a line of its own output (not a
# cmocka "[ ... ]" line) that says "skip". With CI set (.ci/run), a binary that skips without
# saying why fails: a skip that hides a broken environment must not pass as green.
set -u
pass=0; fail=0; skipped=0
skip_lines=()
sum() { sed -n "s/^\[  $1 *\] \([0-9]*\) test(s).*/\1/p" | awk '{ s += $1 } END { print s + 0 }'; }
for t in "$@"; do
  out=$("$t" 2>&1); rc=$?
  echo "$out"
  name=$(basename "$t")
  p=$(echo "$out" | sum PASSED)
  f=$(echo "$out" | sum FAILED)
  s=$(echo "$out" | sum SKIPPED)
  pass=$((pass + p)); fail=$((fail + f)); skipped=$((skipped + s))
  if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then
    echo "$name: exited $rc"; fail=$((fail + 1))
  fi
  if [ "$s" -gt 0 ]; then
    reason=$(echo "$out" | grep -v '^\[' | grep -Eiv '^ *[0-9]+ SKIPPED TEST' | grep -i skip | head -1)
    if [ -n "$reason" ]; then
      skip_lines+=("# unit: $name skipped $s test(s): $reason")
    elif [ -n "${CI:-}" ]; then
      skip_lines+=("# unit: $name skipped $s test(s) without saying why: a failure in CI")
      fail=$((fail + 1))
    else
      skip_lines+=("# unit: $name skipped $s test(s) without saying why (a failure in CI)")
    fi
  fi
done
for l in "${skip_lines[@]}"; do echo "$l"; done
echo "unit: $pass passed, $fail failed, $skipped skipped"
[ $fail -eq 0 ]
