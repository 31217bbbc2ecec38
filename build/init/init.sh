#!/bin/busybox sh
# /init of CorralOS: the kernel runs this from the initramfs. It only makes the kernel file systems
# `corral init` needs before it can start (a `bun build --compile` binary reads /proc/self/exe) and
# loads the disk drivers its first phases need, then hands PID 1 to it. If that binary is missing or
# cannot exec, a shell on the console beats a panic.
/bin/busybox mkdir -p /proc /sys /dev
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sysfs /sys
/bin/busybox mount -t devtmpfs devtmpfs /dev
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
# Disk drivers before PID 1: its state-partition and cloud-init phases run before its modules phase.
for m in $(cat /etc/modules-early); do modprobe -q "$m"; done
exec /usr/bin/corral init "$@"
echo "corral init could not start; dropping to a shell" >/dev/console
exec /bin/busybox sh </dev/console >/dev/console 2>&1
