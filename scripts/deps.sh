#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs every Debian package hnvgw builds, tests, demos and benches with. Idempotent: when all are
# present it returns without touching apt.
set -euo pipefail
PKGS=(
  build-essential pkg-config clang-format
  dpdk dpdk-dev libdpdk-dev libpcap-dev libipsec-mb-dev
  libconfuse-dev libmnl-dev libjansson-dev libcmocka-dev libsystemd-dev
  iproute2 iputils-ping ethtool traceroute curl tcpdump tshark python3-scapy valgrind openssl keepalived
  openvswitch-switch openvswitch-common
  frr bird2
  strongswan-charon strongswan-swanctl libcharon-extra-plugins libstrongswan-extra-plugins
  libstrongswan-standard-plugins dpkg-dev bzip2 python3-cryptography
  debhelper lintian man-db
  libmicrohttpd-dev python3-prometheus-client libssl-dev
  mmdebstrap qemu-system-x86 qemu-utils cloud-image-utils dosfstools fdisk e2fsprogs grub-pc-bin openssh-client
)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=600 update -q
apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${missing[@]}"
