#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Fetches the strongSwan source that matches the installed libstrongswan exactly (Debian ships no
# headers), and configures it so that config.h exists: hnvgw-iked is compiled against those
# headers and linked with Debian's libcharon.so.0 / libstrongswan.so.0. Nothing of strongSwan is
# compiled here.
#
# Idempotent: a tree whose stamp names the installed version is kept. Refuses (exit 1) when the
# source's upstream version is not the installed one: the ABI of daemon_t and friends must match.
# The system's apt state is untouched: a private deb-src list and lists directory are used.
#
# usage: strongswan-src.sh BUILD_DIR   (the tree goes to BUILD_DIR/strongswan)
set -euo pipefail
build=$(realpath -m "${1:?usage: strongswan-src.sh BUILD_DIR}")
dest=$build/strongswan
installed=$(dpkg-query -W -f='${Version}' libstrongswan 2>/dev/null) || {
  echo "strongswan-src: libstrongswan is not installed (run make deps)" >&2
  exit 1
}
upstream=${installed%%-*}      # 5.9.8-5+deb12u6 -> 5.9.8
upstream=${upstream#*:}
if [ -f "$dest/.stamp" ] && [ "$(cat "$dest/.stamp")" = "$installed" ] && [ -f "$dest/src/config.h" ]; then
  exit 0
fi
work=$build/strongswan-fetch
rm -rf "$work" "$dest"
mkdir -p "$work/lists/partial" "$dest"
# deb-src entries for the machine's own mirrors (from its deb822 sources).
srcs=$work/sources.list
: >"$srcs"
for f in /etc/apt/sources.list.d/*.sources; do
  [ -f "$f" ] || continue
  awk '
    /^URIs:/ { uris = $2 }
    /^Suites:/ { $1 = ""; suites = $0 }
    /^Components:/ { $1 = ""; comps = $0 }
    /^$/ { if (uris != "") print_entry(); uris = "" }
    END { if (uris != "") print_entry() }
    function print_entry(  n, s, i) {
      n = split(suites, s, " ")
      for (i = 1; i <= n; i++) printf "deb-src [trusted=yes] %s %s%s\n", uris, s[i], comps
    }' "$f" >>"$srcs"
done
[ -f /etc/apt/sources.list ] && sed -n 's/^deb \(.*\)/deb-src \1/p' /etc/apt/sources.list >>"$srcs"
opts=(-o Dir::Etc::SourceList="$srcs" -o Dir::Etc::SourceParts=/dev/null
      -o Dir::State::Lists="$work/lists" -o DPkg::Lock::Timeout=600 -o APT::Sandbox::User=root)
apt-get "${opts[@]}" -qq update >"$work/update.log" 2>&1 || { cat "$work/update.log" >&2; exit 1; }
cd "$work"
# The exact Debian version; a security-suite .dsc may be gone, so fall back to any version with
# the same upstream tarball (only the orig tarball is used: Debian's patches change no header
# that the ABI depends on).
if ! apt-get "${opts[@]}" -qq source --download-only "strongswan=$installed" >fetch.log 2>&1; then
  other=$(apt-cache "${opts[@]}" showsrc strongswan 2>/dev/null |
    awk -v u="$upstream" '/^Version:/ { v = $2; split(v, a, "-"); if (a[1] == u) { print v; exit } }')
  [ -n "$other" ] || { echo "strongswan-src: no source of strongSwan $upstream on the mirrors" >&2; cat fetch.log >&2; exit 1; }
  apt-get "${opts[@]}" -qq source --download-only "strongswan=$other" >>fetch.log 2>&1 || { cat fetch.log >&2; exit 1; }
fi
orig=$(ls strongswan_"$upstream".orig.tar.* 2>/dev/null | head -1)
[ -n "$orig" ] || { echo "strongswan-src: strongswan_$upstream.orig.tar.* not downloaded" >&2; exit 1; }
tar -xf "$orig" --strip-components=1 -C "$dest"
got=$(sed -n 's/^AC_INIT(\[strongSwan\],\[\([^]]*\)\].*/\1/p' "$dest/configure.ac")
if [ "$got" != "$upstream" ]; then
  echo "strongswan-src: the source is strongSwan $got but $upstream is installed: refusing" >&2
  exit 1
fi
# Debian's build options that change structure layouts: mediation (ME) above all.
# Only config.h is wanted: configure with the compiler's defaults, not a caller's (or make's) flags.
(cd "$dest" && env -u CFLAGS -u CPPFLAGS -u LDFLAGS -u CXXFLAGS ./configure --prefix=/usr --sysconfdir=/etc --libdir=/usr/lib --libexecdir=/usr/lib \
  --enable-mediation --enable-kernel-libipsec --enable-swanctl >"$work/configure.log" 2>&1) || {
  tail -20 "$work/configure.log" >&2
  exit 1
}
grep -q '^#define ME ' "$dest/config.h" || { echo "strongswan-src: config.h lacks ME (mediation)" >&2; exit 1; }
cp "$dest/config.h" "$dest/src/config.h"
echo "$installed" >"$dest/.stamp"
rm -rf "$work"
echo "strongswan-src: strongSwan $upstream headers ready in $dest"
