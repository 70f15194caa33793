#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# mmdebstrap customize hook of build-image.sh: turns the installed tree ROOT into the gateway
# appliance. Usage: customize.sh ROOT DIR (DIR: packaging/image, where the files come from).
set -euo pipefail
root=$1
dir=$2

# Each VM gets its own identity on first boot: machine-id, SSH host keys (cloud-init makes them).
: >"$root/etc/machine-id"
rm -f "$root/var/lib/dbus/machine-id" "$root"/etc/ssh/ssh_host_*
echo hnvgw >"$root/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\thnvgw\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' \
  >"$root/etc/hosts"
echo 'LABEL=hnvgw-root / ext4 errors=remount-ro 0 1' >"$root/etc/fstab"

# No password for anyone: root is locked; access is by the SSH keys of the seed, or the console
# of a VM whose seed sets a password itself.
chroot "$root" passwd -l root >/dev/null
install -m 0644 "$dir/sshd-keys-only.conf" "$root/etc/ssh/sshd_config.d/hnvgw.conf"

# Serial console: the kernel, GRUB and a getty on ttyS0; a short menu wait.
cat >>"$root/etc/default/grub" <<'EOT'
# hnvgw gateway image: serial console first (the last console= is /dev/console).
GRUB_TIMEOUT=1
GRUB_CMDLINE_LINUX_DEFAULT=""
# The hugepages of /etc/default/hnvgw, reserved by the kernel at boot (at once, unfragmented);
# hnvgw-hugepages.service raises them if the seed asks for more.
GRUB_CMDLINE_LINUX="console=tty0 console=ttyS0,115200n8 hugepages=512"
GRUB_TERMINAL="serial console"
GRUB_SERIAL_COMMAND="serial --unit=0 --speed=115200"
EOT

# First boot: cloud-init from a NoCloud seed only (no network datasource probing), networking by
# systemd-networkd. hnvgw's files in the seed's write_files take effect before the units that
# read them.
install -m 0644 "$dir/cloud.cfg" "$root/etc/cloud/cloud.cfg.d/90-hnvgw.cfg"
chroot "$root" systemctl enable systemd-networkd.service >/dev/null 2>&1
install -d "$root/etc/systemd/system/hnvgw-hugepages.service.d"
install -m 0644 "$dir/hugepages-after-cloud-init.conf" \
  "$root/etc/systemd/system/hnvgw-hugepages.service.d/cloud-init.conf"

# A VM's data NICs are virtio-net without an IOMMU: uio_pci_generic, unless the seed says else.
sed -i 's/^DPDK_DRIVER=.*/DPDK_DRIVER=uio_pci_generic/; s/^HUGEPAGES=.*/HUGEPAGES=512/' \
  "$root/etc/default/hnvgw"
grep -qx 'DPDK_DRIVER=uio_pci_generic' "$root/etc/default/hnvgw"
# hnvgwd runs FRR itself, in its compartments: the FRR package's own daemons (zebra, staticd,
# watchfrr in the root namespace) would only take memory.
chroot "$root" systemctl disable frr.service >/dev/null 2>&1
# The package's example config is a lab's; the VM starts hnvgwd once the seed has written one.
rm -f "$root/etc/hnvgw/hnvgw.conf"

# Nothing of the build in the image.
rm -rf "$root"/var/lib/apt/lists/* "$root"/tmp/* "$root"/var/log/*.log
