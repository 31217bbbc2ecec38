#!/bin/busybox sh
# The BASELINE /init for benchmarks and for testing the image before `corral init` exists: the same
# kernel, modules and images, booted by a shell script that does the least work possible.
#   corral.bench=plain   one dockerd on /var/run/docker.sock (a plain Docker host, for scale)
#   corral.bench=system  System Docker, then User Docker as a container in it (what CorralOS does)
#   corral.poweroff      power off after the report instead of opening a shell
# Every step prints `CORRAL-MARK <name> <uptime seconds>` on the console for build/bench/boot.ts.
busybox mkdir -p /proc /sys /dev
busybox mount -t proc proc /proc
busybox mount -t sysfs sysfs /sys
busybox mount -t devtmpfs devtmpfs /dev
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
mark() { echo "CORRAL-MARK $1 $(cut -d' ' -f1 /proc/uptime)" >/dev/console; }
mark init
mkdir -p /dev/pts /dev/shm /run /sys/fs/cgroup /var/lib
mount -t devpts devpts /dev/pts
mount -t tmpfs -o mode=1777 shm /dev/shm
mount -t tmpfs -o mode=0755 run /run
mount -t cgroup2 cgroup2 /sys/fs/cgroup
mount --make-rshared /
ip link set lo up
modprobe -qa $(cat /etc/modules)
mark modules

mode=plain
for arg in $(cat /proc/cmdline); do
  case $arg in corral.bench=*) mode=${arg#corral.bench=} ;; esac
done
# The initramfs is rootfs: pivot_root cannot leave it, so runc must use MS_MOVE + chroot instead.
export DOCKER_RAMDISK=true

wait_sock() { # wait_sock SOCKET LOG: until that engine answers; after 60 s show its log
  n=0
  while ! docker -H "unix://$1" version >/dev/null 2>&1; do
    sleep 0.05
    n=$((n + 1))
    [ $n = 1200 ] && { echo "no answer on $1:" >/dev/console; tail -30 "$2" >/dev/console; }
  done
}

if [ "$mode" = plain ]; then
  dockerd >/var/log/dockerd.log 2>&1 &
  wait_sock /var/run/docker.sock /var/log/dockerd.log
  mark user-docker-ready
else
  dockerd -H unix:///var/run/system-docker.sock --exec-root /var/run/system-docker \
    --pidfile /var/run/system-docker.pid --data-root /var/lib/system-docker \
    --bridge none --iptables=false --ip-masq=false >/var/log/system-docker.log 2>&1 &
  wait_sock /var/run/system-docker.sock /var/log/system-docker.log
  mark system-docker-ready
  docker -H unix:///var/run/system-docker.sock load -q -i /usr/share/corral/images/os-docker.tar >/dev/null
  mark images-loaded
  mkdir -p /var/lib/user-docker
  engine=
  for b in /usr/sbin/dockerd /usr/bin/containerd /usr/bin/containerd-shim-runc-v2 /usr/sbin/runc \
    /usr/sbin/docker-proxy /usr/bin/docker-init; do engine="$engine -v $b:$b:ro"; done
  docker -H unix:///var/run/system-docker.sock run -d --name user-docker --privileged \
    --net host --pid host --ipc host --uts host -v /run:/run -v /var/lib/user-docker:/var/lib/docker \
    --cgroupns private -v /lib/modules:/lib/modules:ro $engine corral/os-docker:latest >/dev/null
  wait_sock /var/run/docker.sock /var/lib/system-docker/containers/*/*-json.log
  mark user-docker-ready
fi
mark_free() { echo "CORRAL-FREE $(free | awk '/^Mem:/{print $3, $5, $6}')" >/dev/console; }
sleep 5
mark_free
if grep -q corral.poweroff /proc/cmdline; then poweroff -f; fi
exec setsid cttyhack sh
