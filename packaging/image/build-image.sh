#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds the hnvgw gateway VM image: a Debian 12 disk (qcow2) that boots with qemu's default
# firmware (SeaBIOS, GRUB on the disk, serial console), with the hnvgw package installed and
# cloud-init taking its first-boot config from a NoCloud seed. No password is set anywhere.
#
# Usage: build-image.sh DEB OUT
#   DEB  the hnvgw .deb (make deb)
#   OUT  build folder: OUT/hnvgw-gateway.qcow2 is the image; OUT/apt-cache keeps the downloaded
#        packages, so that a second build downloads nothing it already has.
# Needs root (loop devices, mounts, chroot). Mirror: the machine's own apt sources
# (IMAGE_MIRROR overrides, e.g. http://deb.debian.org/debian).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
deb=$(realpath "$1")
out=$(mkdir -p "$2" && cd "$2" && pwd)
size=${IMAGE_SIZE:-3G}
rootfs="$out/rootfs"
raw="$out/disk.raw"
mnt="$out/mnt"
loop=

mirror=${IMAGE_MIRROR:-}
if [ -z "$mirror" ]; then
  for f in /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list; do
    [ -s "$f" ] && { mirror=$f; break; }
  done
fi
[ -n "$mirror" ] || { echo "image: no apt sources found; set IMAGE_MIRROR" >&2; exit 1; }

cleanup() {
  local rc=$?
  set +e
  for m in "$mnt/dev/pts" "$mnt/dev" "$mnt/proc" "$mnt/sys" "$mnt"; do
    mountpoint -q "$m" && umount "$m"
  done
  if [ -n "$loop" ]; then
    partx -d "$loop" 2>/dev/null
    losetup -d "$loop"
  fi
  rm -rf "$rootfs" "$mnt" "$raw"
  return $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

t0=$(date +%s)
rm -rf "$rootfs"
mkdir -p "$out/apt-cache"
# The package lists: what boots (kernel, GRUB, systemd, udev), what configures it on first boot
# (cloud-init, systemd-networkd through cloud-init's networkd renderer), how an operator gets in
# (openssh-server, keys only), and hnvgw with its dependencies and the virtio-net PMD of a VM's
# data NICs (mmdebstrap installs no Recommends).
echo "image: mmdebstrap bookworm (mirror: $mirror)"
mmdebstrap --variant=minbase --mode=root \
  --include=systemd-sysv,udev,kmod,linux-image-amd64,grub-pc,initramfs-tools \
  --include=cloud-init,openssh-server,iproute2,iputils-ping,ca-certificates,less,procps \
  --include=librte-net-virtio23 \
  --include="$deb" \
  --hook-dir=/usr/share/mmdebstrap/hooks/file-mirror-automount \
  --skip=essential/unlink \
  --setup-hook="mkdir -p \"\$1\"/var/cache/apt/archives/" \
  --setup-hook="sync-in '$out/apt-cache' /var/cache/apt/archives/" \
  --customize-hook="sync-out /var/cache/apt/archives '$out/apt-cache'" \
  --customize-hook="'$here/customize.sh' \"\$1\" '$here'" \
  bookworm "$rootfs" "$mirror" >"$out/mmdebstrap.log" 2>&1 || {
  tail -30 "$out/mmdebstrap.log"
  echo "image: mmdebstrap failed (log: $out/mmdebstrap.log)" >&2
  exit 1
}
t1=$(date +%s)

# One MBR partition from 1 MiB, filled straight from the tree; GRUB in the MBR gap.
rm -f "$raw"
truncate -s "$size" "$raw"
echo 'start=2048, type=83, bootable' | sfdisk -q "$raw"
loop=$(losetup -f --show "$raw")
partx -a "$loop"
mkfs.ext4 -q -L hnvgw-root -d "$rootfs" "${loop}p1"
mkdir -p "$mnt"
mount "${loop}p1" "$mnt"
mount --bind /dev "$mnt/dev"
mount --bind /dev/pts "$mnt/dev/pts"
mount -t proc proc "$mnt/proc"
mount -t sysfs sys "$mnt/sys"
chroot "$mnt" grub-install --target=i386-pc "$loop" >"$out/grub.log" 2>&1 ||
  { cat "$out/grub.log"; exit 1; }
chroot "$mnt" update-grub >>"$out/grub.log" 2>&1 || { cat "$out/grub.log"; exit 1; }
# Without udev's /dev/disk/by-uuid link for the loop partition, grub-mkconfig names the root by
# its loop device; the guest finds it by the file system's UUID.
uuid=$(blkid -s UUID -o value "${loop}p1")
sed -i "s|root=${loop}p1|root=UUID=$uuid|g" "$mnt/boot/grub/grub.cfg"
grep -q "root=UUID=$uuid" "$mnt/boot/grub/grub.cfg" && ! grep -q "$loop" "$mnt/boot/grub/grub.cfg" ||
  { echo "image: grub.cfg does not name the root by UUID" >&2; exit 1; }
umount "$mnt/dev/pts" "$mnt/dev" "$mnt/proc" "$mnt/sys"
fstrim "$mnt" 2>/dev/null || true
umount "$mnt"
partx -d "$loop"
losetup -d "$loop"
loop=
qemu-img convert -c -O qcow2 "$raw" "$out/hnvgw-gateway.qcow2.new"
mv "$out/hnvgw-gateway.qcow2.new" "$out/hnvgw-gateway.qcow2"
t2=$(date +%s)
echo "image: $out/hnvgw-gateway.qcow2: $(du -m "$out/hnvgw-gateway.qcow2" | cut -f1) MiB" \
  "(rootfs $((t1 - t0)) s, disk $((t2 - t1)) s)"
