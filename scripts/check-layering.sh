#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The folders' layering, read from the includes (README, "Architecture"):
#   lib/        includes nothing of ours;
#   dataplane/  lib/ only;
#   routing/    dataplane/, lib/ and itself;
#   vpn/        dataplane/, routing/, lib/ and itself;
#   gateway/    anything but cli/;
#   cli/        gateway/'s control-socket client and NAT view only (never the daemon's main).
# Prints every include that breaks a rule and exits 1 if there is one.
set -u
cd "$(dirname "$0")/.."
allowed() {   # allowed FOLDER: the folders FOLDER may include from
  case "$1" in
    lib) echo "lib" ;;
    dataplane) echo "dataplane lib" ;;
    routing) echo "routing dataplane lib" ;;
    vpn) echo "vpn routing dataplane lib" ;;
    gateway) echo "gateway vpn routing dataplane lib" ;;
    cli) echo "cli gateway lib" ;;
  esac
}
bad=0; checked=0
for top in lib dataplane routing vpn gateway cli; do
  [ -d "$top" ] || continue
  ok=$(allowed "$top")
  while IFS= read -r f; do
    checked=$((checked + 1))
    while IFS=: read -r line inc; do
      target=${inc%%/*}
      # An include without a folder is the file's own folder's (dataplane's "dp.h").
      [ "$target" = "$inc" ] && continue
      case " $ok " in *" $target "*) continue ;; esac
      echo "layering: $f:$line: $top/ may not include \"$inc\""
      bad=$((bad + 1))
    done < <(awk '/^[ \t]*#[ \t]*include[ \t]*"/ {
                    match($0, /"[^"]*"/); print FNR ":" substr($0, RSTART + 1, RLENGTH - 2) }' "$f")
  done < <(find "$top" -name '*.[ch]')
done
# The daemon's main and the CLI's live in folders of their own: gateway/hnvgwd.c, cli/hnvgwctl.c.
for f in $(grep -rlE '^(int[[:space:]]+)?main\(' gateway cli --include=*.c); do
  case "$f" in gateway/hnvgwd.c | cli/hnvgwctl.c) ;; *)
    echo "layering: $f: a main() outside gateway/hnvgwd.c and cli/hnvgwctl.c"; bad=$((bad + 1)) ;;
  esac
done
if [ "$checked" -eq 0 ]; then echo "layering: no source files found"; exit 1; fi
echo "layering: $checked files checked, $bad violations"
[ "$bad" -eq 0 ]
