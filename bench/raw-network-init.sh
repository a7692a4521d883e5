#!/bin/busybox sh
# /bench-net-init: the raw network floor. Same kernel, modules and NICs as a container VM, busybox
# only (no Node, no tether). eth0 is on the segment at $NET_IP/24; eth1, when present, is the user
# (slirp) NIC. The server serves /big ($NET_BLOCKS × 64 KiB of zeros) and /small with httpd; the
# client times one wget of http://$NET_PEER/big and prints "NET-RESULT <start> <end>" (/proc/uptime).
bb=/bin/busybox
$bb mount -t proc proc /proc
$bb mount -t sysfs sysfs /sys
$bb mount -t devtmpfs devtmpfs /dev
for module in $($bb cat /lib/modules/load-order); do $bb insmod "$module" 2>/dev/null; done
$bb ip link set lo up
$bb ip addr add "$NET_IP/24" dev eth0
$bb ip link set eth0 up
if [ -e /sys/class/net/eth1 ]; then
  $bb ip addr add 10.0.2.15/24 dev eth1
  $bb ip link set eth1 up
  $bb ip route add default via 10.0.2.2
fi
if [ "$NET_ROLE" = server ]; then
  $bb mkdir -p /www
  $bb dd if=/dev/zero of=/www/big bs=65536 count="$NET_BLOCKS" 2>/dev/null
  echo small > /www/small
  $bb httpd -p 80 -h /www
  echo NET-SERVING
  exec $bb sleep 100000
fi
until $bb wget -q -O /dev/null "http://$NET_PEER/small" 2>/dev/null; do $bb sleep 0.2; done
s=$($bb cut -d' ' -f1 /proc/uptime)
$bb wget -q -O /dev/null "http://$NET_PEER/big"
e=$($bb cut -d' ' -f1 /proc/uptime)
echo "NET-RESULT $s $e"
$bb poweroff -f
