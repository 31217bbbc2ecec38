#!/bin/sh
# User Docker: the engine users and the agent talk to, run as a container in System Docker by the
# user-docker system service (corral/os-docker image). It serves /var/run/docker.sock (the host's
# /run is bound in), keeps its data in /var/lib/docker (bound from /var/lib/user-docker on the host,
# which is on the state partition when there is one), and gets its engine binaries from the host.
# Extra dockerd flags come from $DOCKER_EXTRA_ARGS (corral.docker.extra_args). With $DOCKER_TLS
# (corral.docker.tls) true it also listens on tcp :2376 with --tlsverify, using the certificates in
# /etc/docker/tls (bound from /var/lib/corral/docker-tls; `corral tls gen --server` writes them).
set -e
for b in dockerd containerd containerd-shim-runc-v2 runc docker-init; do
  command -v "$b" >/dev/null || { echo "user-docker: $b is missing (bind it from the host)" >&2; exit 1; }
done

# cgroup v2: the container is the root of its own cgroup namespace, and a cgroup with processes
# cannot hand controllers to children, so move ourselves into a leaf first (as docker:dind does).
if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
  mkdir -p /sys/fs/cgroup/init
  xargs -rn1 </sys/fs/cgroup/cgroup.procs >/sys/fs/cgroup/init/cgroup.procs 2>/dev/null || true
  sed -e 's/ / +/g' -e 's/^/+/' </sys/fs/cgroup/cgroup.controllers >/sys/fs/cgroup/cgroup.subtree_control || true
fi

# System Docker runs from the initramfs (DOCKER_RAMDISK), so this container's root was entered by
# MS_MOVE + chroot; pivot_root would fail here too.
export DOCKER_RAMDISK=true
mkdir -p /var/run /var/lib/docker
rm -f /var/run/docker.pid
tls_args=
case ${DOCKER_TLS:-} in
  true | True | TRUE | yes | on | 1)
    t=/etc/docker/tls
    for f in ca.pem server-cert.pem server-key.pem; do
      [ -s "$t/$f" ] || { echo "user-docker: corral.docker.tls is on but $t/$f is missing (corral tls gen --server)" >&2; exit 1; }
    done
    tls_args="--tlsverify --tlscacert=$t/ca.pem --tlscert=$t/server-cert.pem --tlskey=$t/server-key.pem -H tcp://0.0.0.0:${DOCKER_TLS_PORT:-2376}"
    ;;
esac
# shellcheck disable=SC2086
exec dockerd -H unix:///var/run/docker.sock $tls_args --group docker --data-root /var/lib/docker \
  --exec-root /var/run/docker --pidfile /var/run/docker.pid \
  --log-opt max-size=25m --log-opt max-file=2 ${DOCKER_EXTRA_ARGS:-}
