#!/usr/bin/env bash
# Runs each cmocka binary given and prints one closing "N passed, N failed" line over all of them.
set -u
pass=0; fail=0
for t in "$@"; do
  out=$("$t" 2>&1); rc=$?
  echo "$out"
  p=$(echo "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -1)
  f=$(echo "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -1)
  pass=$((pass + ${p:-0})); fail=$((fail + ${f:-0}))
  if [ $rc -ne 0 ] && [ "${f:-0}" -eq 0 ]; then
    echo "$t: exited $rc"; fail=$((fail + 1))
  fi
done
echo "unit: $pass passed, $fail failed"
[ $fail -eq 0 ]
