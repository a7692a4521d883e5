#!/bin/busybox sh
# /bench-init: the raw virtio-serial floor. Loads the same modules the tether loads, then writes
# $VIC_BENCH_BYTES zero bytes straight to the vic.tether port with dd and powers off: no Node, no
# framing, no flow control. Appended to the bootstrap initramfs and started with rdinit=.
bb=/bin/busybox
$bb mount -t proc proc /proc
$bb mount -t sysfs sysfs /sys
$bb mount -t devtmpfs devtmpfs /dev
for module in $($bb cat /lib/modules/load-order); do $bb insmod "$module" 2>/dev/null; done
port=
while [ -z "$port" ]; do
  for p in /sys/class/virtio-ports/*; do
    [ "$($bb cat "$p/name" 2>/dev/null)" = vic.tether ] && port=/dev/$($bb basename "$p")
  done
done
$bb dd if=/dev/zero of="$port" bs=65536 count=$((VIC_BENCH_BYTES / 65536)) 2>/dev/null
$bb sleep 1
$bb poweroff -f
