#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds the Debian package (unsigned) in OUT: copies the files git knows (tracked and new, not
# ignored) into OUT/src, puts packaging/debian there as debian/, and runs dpkg-buildpackage.
# Usage: make-deb.sh OUT
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=$(mkdir -p "$1" && cd "$1" && pwd)
src="$out/src"
rm -rf "$src" "$out"/*.deb "$out"/*.buildinfo "$out"/*.changes
mkdir -p "$src"
(cd "$top" && git ls-files -co --exclude-standard -z | xargs -0 cp --parents -t "$src")
cp -r "$top/packaging/debian" "$src/debian"
(cd "$src" && dpkg-buildpackage -us -uc -b -j2 >"$out/build.log" 2>&1) || {
  tail -30 "$out/build.log"; echo "deb: dpkg-buildpackage failed (log: $out/build.log)"; exit 1; }
ls "$out"/hnvgw_*_amd64.deb
