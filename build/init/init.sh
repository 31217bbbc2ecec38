#!/bin/busybox sh
# /init of CorralOS: the kernel runs this from the initramfs. It only makes the kernel file systems
# `corral init` needs before it can start (a `bun build --compile` binary reads /proc/self/exe) and
# loads the disk drivers its first phases need, then hands PID 1 to it. If that binary is missing or
# cannot exec, a shell on the console beats a panic.
/bin/busybox mkdir -p /proc /sys /dev /run
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sysfs /sys
/bin/busybox mount -t devtmpfs devtmpfs /dev
# /run too: PID 1 writes its boot timeline there from its first line (its mounts phase skips
# what is mounted already).
/bin/busybox mount -t tmpfs -o mode=755 run /run
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
# The root is the initramfs (rootfs), which pivot_root cannot leave: runc must use MS_MOVE + chroot.
export DOCKER_RAMDISK=true
# Disk drivers before PID 1: its state-partition and cloud-init phases run before its modules phase.
modprobe -qa $(cat /etc/modules-early)
exec /usr/bin/corral init "$@"
echo "corral init could not start; dropping to a shell" >/dev/console
exec /bin/busybox sh </dev/console >/dev/console 2>&1
