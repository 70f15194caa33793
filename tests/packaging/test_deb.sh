#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The Debian package: `make deb` builds it; lintian finds no error; it holds the binaries, units,
# manual pages, completion and conffile where they belong, with no build paths inside; every
# manual page renders without a warning. Prints TAP lines and a closing "N passed, N failed".
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
out="$top/build/deb"
work=$(mktemp -d /tmp/hnvgw-deb.XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM
n=0; pass=0; fail=0
ok() { local desc=$1; shift; n=$((n + 1))
  if "$@" >"$work/out" 2>&1; then pass=$((pass + 1)); echo "ok $n - $desc"
  else fail=$((fail + 1)); echo "not ok $n - $desc"; sed 's/^/#   /' "$work/out" | tail -15; fi; }

echo "1..11"
ok "make deb builds the package" make -C "$top" --no-print-directory deb
deb=$(ls "$out"/hnvgw_*_amd64.deb 2>/dev/null | head -1)
ok "lintian reports no error" sh -c "lintian '$deb' 2>&1 | grep -v 'root privileges' | { ! grep -q '^E:'; }"
dpkg-deb -x "$deb" "$work/root" 2>/dev/null
dpkg-deb -e "$deb" "$work/ctl" 2>/dev/null
has() { for f in "$@"; do [ -e "$work/root/$f" ] || { echo "missing $f"; return 1; }; done; }
ok "binaries in /usr/sbin and /usr/libexec/hnvgw" \
  has usr/sbin/hnvgwd usr/sbin/hnvgwctl usr/libexec/hnvgw/hnvgw-iked usr/libexec/hnvgw/hugepages \
      usr/libexec/hnvgw/bind-nics
ok "systemd units, manual pages and completion" \
  has lib/systemd/system/hnvgwd.service lib/systemd/system/hnvgw-hugepages.service \
      usr/share/man/man8/hnvgwd.8.gz usr/share/man/man8/hnvgwctl.8.gz \
      usr/share/man/man5/hnvgw.conf.5.gz usr/share/bash-completion/completions/hnvgwctl
ok "/etc/hnvgw/hnvgw.conf is a conffile, readable by root and group only" \
  sh -c "grep -qx /etc/hnvgw/hnvgw.conf '$work/ctl/conffiles' && [ \"\$(stat -c %a '$work/root/etc/hnvgw/hnvgw.conf')\" = 640 ]"
ok "no build path in the binaries" \
  sh -c "! grep -l -a -e '$top' '$work/root/usr/sbin/hnvgwd' '$work/root/usr/sbin/hnvgwctl' '$work/root/usr/libexec/hnvgw/hnvgw-iked'"
ok "the shipped config passes hnvgwd --check-config" \
  "$top/build/hnvgwd" -c "$work/root/etc/hnvgw/hnvgw.conf" --check-config
manok() { for m in "$@"; do
    w=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$m" 2>&1 >/dev/null)
    [ -z "$w" ] || { echo "$m: $w"; return 1; }
    [ "$(MANWIDTH=80 man -l "$m" 2>/dev/null | wc -l)" -gt 20 ] || { echo "$m renders short"; return 1; }
  done; }
ok "every manual page renders without a warning" \
  manok "$work"/root/usr/share/man/man8/*.gz "$work"/root/usr/share/man/man5/*.gz
ok "the units name the installed paths" \
  grep -q '^ExecStart=/usr/sbin/hnvgwd -c /etc/hnvgw/hnvgw.conf$' "$work/root/lib/systemd/system/hnvgwd.service"
# bind-nics, on configs that name no NIC of this machine: nothing may change here.
sed 's/0000:00:0\([45]\).0/0000:7f:1\1.7/g' "$top/conf/examples/appliance.conf" >"$work/absent.conf"
ok "bind-nics leaves NICs alone with DPDK_DRIVER=none, and binds nothing of a vdev config" \
  sh -c "DPDK_DRIVER=none HNVGWD='$top/build/hnvgwd' '$work/root/usr/libexec/hnvgw/bind-nics' '$work/absent.conf' &&
         HNVGWD='$top/build/hnvgwd' '$work/root/usr/libexec/hnvgw/bind-nics' '$top/conf/hnvgw.conf' uio_pci_generic"
ok "bind-nics refuses, naming it, a PCI NIC this machine lacks" \
  sh -c "! HNVGWD='$top/build/hnvgwd' '$work/root/usr/libexec/hnvgw/bind-nics' '$work/absent.conf' uio_pci_generic 2>'$work/err' &&
         grep -q '0000:7f:14.7, which this machine does not have' '$work/err'"
echo "# deb: $pass passed, $fail failed"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$n" -eq 11 ]
