#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Every source file says its licence (LICENSE) in an SPDX line among its first two lines.
# Prints those that do not and exits 1 if there is one.
set -u
cd "$(dirname "$0")/.."
bad=0; n=0
while IFS= read -r f; do
  n=$((n + 1))
  head -2 "$f" | grep -q 'SPDX-License-Identifier: Apache-2.0' && continue
  echo "spdx: $f has no SPDX-License-Identifier line"
  bad=$((bad + 1))
done < <(git ls-files '*.c' '*.h' '*.sh' '*.py' Makefile .ci/run)
[ "$n" -gt 0 ] || { echo "spdx: no source files found"; exit 1; }
echo "spdx: $n files checked, $bad without a licence line"
[ "$bad" -eq 0 ]
