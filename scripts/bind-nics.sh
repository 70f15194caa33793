#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Binds the PCI NICs that the ports of an hnvgw config name to a DPDK driver, before hnvgwd
# starts (hnvgwd.service runs it as ExecStartPre, installed as /usr/libexec/hnvgw/bind-nics).
#
# Usage: bind-nics CONFIG [DRIVER]
#   DRIVER: vfio-pci (a host with an IOMMU), uio_pci_generic (a VM without one), or "none" to
#   leave the NICs alone. Default: $DPDK_DRIVER (from /etc/default/hnvgw), else none.
#
# The NICs come from `hnvgwd --pci-devices`, so only what the config names is touched.
# dpdk-devbind.py refuses a NIC that carries routes (the management port, named by mistake): the
# start fails with its message rather than cutting the operator off.
set -eu
conf=$1
driver=${2:-${DPDK_DRIVER:-none}}
hnvgwd=${HNVGWD:-$(dirname "$0")/../../sbin/hnvgwd}
[ -x "$hnvgwd" ] || hnvgwd=hnvgwd

case $driver in
none | "") exit 0 ;;
vfio-pci | uio_pci_generic | igb_uio) ;;
*)
  echo "bind-nics: unknown DPDK driver '$driver' (vfio-pci, uio_pci_generic or none)" >&2
  exit 2
  ;;
esac

devices=$("$hnvgwd" -c "$conf" --pci-devices)
[ -n "$devices" ] || exit 0
# All or nothing: every NIC must exist before the first one changes driver.
for dev in $devices; do
  if [ ! -e "/sys/bus/pci/devices/$dev" ]; then
    echo "bind-nics: $conf names PCI device $dev, which this machine does not have" >&2
    exit 1
  fi
done
modprobe "$driver"
for dev in $devices; do
  current=
  [ -e "/sys/bus/pci/devices/$dev/driver" ] &&
    current=$(basename "$(readlink "/sys/bus/pci/devices/$dev/driver")")
  [ "$current" = "$driver" ] && continue
  echo "bind-nics: $dev: ${current:-no driver} -> $driver"
  dpdk-devbind.py --bind="$driver" "$dev"
done
