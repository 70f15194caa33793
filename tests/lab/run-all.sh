#!/usr/bin/env bash
# Runs every lab test (tests/lab/test_*.sh) and prints one closing "N passed, N failed" line.
set -u
cd "$(dirname "$0")"
pass=0; fail=0
for t in test_*.sh; do
  echo "# lab: $t"
  out=$(bash "$t" 2>&1); rc=$?
  echo "$out"
  p=$(echo "$out" | sed -n 's/.*: \([0-9]*\) passed, \([0-9]*\) failed$/\1/p' | tail -1)
  f=$(echo "$out" | sed -n 's/.*: \([0-9]*\) passed, \([0-9]*\) failed$/\2/p' | tail -1)
  pass=$((pass + ${p:-0})); fail=$((fail + ${f:-0}))
  if [ $rc -ne 0 ] && [ "${f:-0}" -eq 0 ]; then echo "# $t exited $rc"; fail=$((fail + 1)); fi
done
echo "lab: $pass passed, $fail failed"
[ $fail -eq 0 ]
