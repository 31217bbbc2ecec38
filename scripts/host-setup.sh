#!/usr/bin/env bash
# Installs and starts what a Corral host needs, idempotently: Debian's docker.io, a running dockerd
# (started directly, as these machines have no systemd), and the locally built base image used by
# tests and examples (no registry is reachable, so images are built from Debian's packages).
set -euo pipefail

log() { echo "[host-setup] $*" >&2; }

need_pkgs=()
command -v dockerd >/dev/null 2>&1 || need_pkgs+=(docker.io)
command -v iptables >/dev/null 2>&1 || need_pkgs+=(iptables)
command -v openssl >/dev/null 2>&1 || need_pkgs+=(openssl)
command -v dig >/dev/null 2>&1 || need_pkgs+=(dnsutils)
command -v wrk >/dev/null 2>&1 || need_pkgs+=(wrk)
command -v tcpdump >/dev/null 2>&1 || need_pkgs+=(tcpdump)
# UEFI firmware for booting installed disks in the image tests.
[ -e /usr/share/OVMF/OVMF_CODE.fd ] || need_pkgs+=(ovmf)
# slapd and its tools: the LDAP provider tests start a real directory server on loopback.
command -v slapd >/dev/null 2>&1 || [ -x /usr/sbin/slapd ] || need_pkgs+=(slapd)
command -v ldapsearch >/dev/null 2>&1 || need_pkgs+=(ldap-utils)
# A private image registry (Docker distribution) the registry and secrets tests start with TLS and htpasswd.
command -v docker-registry >/dev/null 2>&1 || need_pkgs+=(docker-registry)
# The browser the web UI tests drive (playwright-core, no browser download).
command -v chromium >/dev/null 2>&1 || need_pkgs+=(chromium)
# The README's CI recipe (curl + jq) is run as written by test/api/ci-recipe.test.ts.
command -v curl >/dev/null 2>&1 || need_pkgs+=(curl)
command -v jq >/dev/null 2>&1 || need_pkgs+=(jq)
# pebble (and pebble-challtestsrv): the ACME CA the certificate tests start on loopback.
command -v pebble >/dev/null 2>&1 || need_pkgs+=(pebble)
# git: the catalog fetches template repositories with it; its tests serve them with `git daemon`.
command -v git >/dev/null 2>&1 || need_pkgs+=(git)
# OpenSSH: the catalog fetches ssh:// catalogs with ssh; its tests serve them from an sshd of their
# own on a free loopback port (the system's ssh service is not used, and port 22 is not needed).
command -v ssh >/dev/null 2>&1 || need_pkgs+=(openssh-client)
[ -x /usr/sbin/sshd ] || need_pkgs+=(openssh-server)
# cpio: build/release.test.ts packs a release's appended archive as the image build does.
command -v cpio >/dev/null 2>&1 || need_pkgs+=(cpio)
# grep without -q reads the whole list: -q would leave early and busybox's SIGPIPE fails the pipe.
[ -x /bin/busybox ] && /bin/busybox --list 2>/dev/null | grep -x httpd >/dev/null || need_pkgs+=(busybox-static)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  log "installing ${need_pkgs[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
fi

if ! docker info >/dev/null 2>&1; then
  log "starting dockerd"
  mkdir -p /var/log
  # Its own session and process group: Ctrl-C on `npm start` (SIGINT to the foreground group) must
  # not stop the engine and every container with it. No inherited descriptor either: a lock a caller
  # holds (flock) would otherwise be held by the daemon for as long as it runs.
  (
    for fd in $(ls /proc/$BASHPID/fd); do [ "$fd" -gt 2 ] && eval "exec $fd>&-"; done
    exec setsid nohup dockerd </dev/null >/var/log/corral-dockerd.log 2>&1
  ) &
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && break
    sleep 0.5
  done
  docker info >/dev/null 2>&1 || { log "dockerd did not start; see /var/log/corral-dockerd.log"; tail -20 /var/log/corral-dockerd.log >&2; exit 1; }
fi

# corral/busybox: a tiny image with a shell, httpd and nc, built from busybox-static.
if ! docker image inspect corral/busybox:latest >/dev/null 2>&1; then
  log "building corral/busybox:latest"
  root=$(mktemp -d)
  mkdir -p "$root/bin" "$root/tmp" "$root/etc" "$root/www"
  cp /bin/busybox "$root/bin/busybox"
  for applet in $(/bin/busybox --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
  done
  echo "root:x:0:0:root:/root:/bin/sh" >"$root/etc/passwd"
  echo "root:x:0:" >"$root/etc/group"
  echo "hello from corral" >"$root/www/index.html"
  tar -C "$root" -c . | docker import -c 'CMD ["/bin/sh"]' -c 'ENV PATH=/bin' - corral/busybox:latest >/dev/null
  rm -rf "$root"
fi
# corral/lb-haproxy: the image load balancer services run (built from Debian's haproxy; cached).
bash "$(dirname "$0")/../images/lb-haproxy/build.sh" >/dev/null
# corral/test-tools: busybox plus dig, for tests that query DNS from inside containers (cached).
bash "$(dirname "$0")/../images/test-tools/build.sh" >/dev/null
log "ready: docker $(docker version --format '{{.Server.Version}}')"
