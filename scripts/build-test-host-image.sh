#!/usr/bin/env bash
# Builds corral/test-host:<hash> (and :latest), the image of the multi-host test harness
# (test/multihost/): one "host" per container, each running its own dockerd and its own Corral agent.
#
# Nothing is downloaded from a registry (none is reachable here): the rootfs is assembled from
# programs already installed on this machine (Debian's docker.io, iptables, iproute2, busybox-static
# and the repository's Bun binary) plus every shared library `ldd` says they need, then
# `docker import`ed. The Corral source is NOT baked in: the harness bind-mounts the repository at
# /corral, so code changes never need a rebuild. The tag is a hash of the inputs (paths, sizes and
# mtimes of every copied file, and this script), so a second run only hashes and exits.
#
# Images the hosts need (they cannot pull either) are `docker save`d once into a cache folder that
# the harness bind-mounts at /preload; the entrypoint `docker load`s them at start.
#
# Prints `image=<tag>` and `preload=<dir>` on stdout. Environment:
#   CORRAL_TEST_HOST_CACHE     cache folder (default ${XDG_CACHE_HOME:-$HOME/.cache}/corral-test-host)
#   CORRAL_TEST_PRELOAD_IMAGES images to preload into every host (default corral/busybox:latest and
#                              corral/ipsec:latest, the agent's IPsec daemon)
set -euo pipefail

log() { echo "[build-test-host-image] $*" >&2; }
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache=${CORRAL_TEST_HOST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/corral-test-host}
preload_images=${CORRAL_TEST_PRELOAD_IMAGES:-corral/busybox:latest corral/ipsec:latest corral/lb-haproxy:latest corral/test-tools:latest}
mkdir -p "$cache/preload"
# Test files running in parallel all call this script: one builds, the others then find the image.
exec 9>"$cache/lock"
flock 9

# Docker itself and corral/busybox come from the project's one setup script (idempotent, quick).
bash "$repo/scripts/host-setup.sh" >&2
# The agents' IPsec daemon image (built from Debian's strongSwan packages; a no-op when current).
case " $preload_images " in *" corral/ipsec:latest "*) bash "$repo/images/ipsec/build.sh" >/dev/null ;; esac

need_pkgs=()
command -v ip >/dev/null 2>&1 || need_pkgs+=(iproute2)
[ -x /usr/sbin/xtables-nft-multi ] || need_pkgs+=(iptables)
[ -x /bin/busybox ] || need_pkgs+=(busybox-static)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  log "installing ${need_pkgs[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
fi

bun_bin=$(readlink -f "$repo/node_modules/.bin/bun")
# The docker.io CLI matches the daemon it talks to; any docker CLI on PATH is the fallback.
docker_cli=/usr/bin/docker
[ -x "$docker_cli" ] || docker_cli=$(command -v docker)
programs=(
  /usr/sbin/dockerd /usr/bin/containerd /usr/bin/containerd-shim-runc-v2 /usr/sbin/runc
  /usr/bin/docker-init /usr/sbin/docker-proxy "$docker_cli"
  /usr/sbin/xtables-nft-multi /usr/sbin/xtables-legacy-multi /usr/sbin/ip /bin/busybox "$bun_bin"
)
xtables_dir=/usr/lib/x86_64-linux-gnu/xtables

# Every file of the image, as "source path<TAB>destination path" (destination under /usr: the rootfs
# is merged-/usr like Debian 12, so /lib/x.so found by ldd lands in usr/lib/x.so).
files() {
  local p
  for p in "${programs[@]}"; do
    case $p in
      "$bun_bin") echo -e "$p\t/usr/local/bin/bun" ;;
      "$docker_cli") echo -e "$p\t/usr/bin/docker" ;;
      /bin/*) echo -e "$p\t/usr$p" ;;
      *) echo -e "$p\t$p" ;;
    esac
  done
  for p in "$xtables_dir"/*.so; do echo -e "$p\t$p"; done
  # Libraries of the programs and of the dlopen()ed xtables extensions; `ldd` prints "name => path".
  { for p in "${programs[@]}" "$xtables_dir"/*.so; do ldd "$p" 2>/dev/null || true; done; } |
    awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\/lib64\// { print $1 }' | sort -u |
    while read -r lib; do
      case $lib in /usr/*) echo -e "$lib\t$lib" ;; *) echo -e "$lib\t/usr$lib" ;; esac
    done
}

done_with() {
  docker tag "$1" corral/test-host:latest
  echo "image=$1"
  echo "preload=$cache/preload"
  exit 0
}

# Preloaded images: saved again only when the image id changed; tars of images no longer asked for go.
keep=()
for ref in $preload_images; do
  id=$(docker image inspect --format '{{.Id}}' "$ref")
  name=$(echo "$ref" | tr '/:' '__')
  keep+=("$name")
  if [ "$(cat "$cache/preload/$name.id" 2>/dev/null)" != "$id" ]; then
    log "saving $ref for preloading"
    docker save -o "$cache/preload/$name.tar.tmp" "$ref"
    mv "$cache/preload/$name.tar.tmp" "$cache/preload/$name.tar"
    echo "$id" >"$cache/preload/$name.id"
  fi
done
for tar in "$cache/preload"/*.tar; do
  [ -e "$tar" ] || continue
  name=$(basename "$tar" .tar)
  [[ " ${keep[*]} " == *" $name "* ]] || rm -f "$tar" "$cache/preload/$name.id"
done

# Quick path: running ldd on ~130 files takes a second or more, so a cheaper key (this script, the
# entrypoint, the programs, and dpkg's status file, which changes whenever a package, hence possibly
# a library, changes) remembers which image the full hash gave last time.
quick=$(
  {
    cat "${BASH_SOURCE[0]}" "$repo/test/multihost/host-entrypoint.sh"
    stat -L -c '%n %s %Y' "${programs[@]}" /var/lib/dpkg/status "$xtables_dir"
  } | sha256sum | cut -c1-16
)
known=$(cat "$cache/quick-$quick" 2>/dev/null || true)
if [ -n "$known" ] && docker image inspect "$known" >/dev/null 2>&1; then done_with "$known"; fi

list=$(files)
hash=$(
  {
    cat "${BASH_SOURCE[0]}" "$repo/test/multihost/host-entrypoint.sh"
    while IFS=$'\t' read -r src dst; do echo "$dst $(stat -L -c '%s %Y' "$src")"; done <<<"$list"
  } | sha256sum | cut -c1-12
)
image=corral/test-host:$hash
rm -f "$cache"/quick-*
echo "$image" >"$cache/quick-$quick"
if docker image inspect "$image" >/dev/null 2>&1; then done_with "$image"; fi

log "assembling $image"
started=$(date +%s%N)
root=$(mktemp -d "$cache/rootfs.XXXXXX")
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/usr/{bin,sbin,lib,lib64,local/bin} "$root"/{etc,root,tmp,run,proc,sys,dev,var/lib,var/log,corral,preload}
chmod 1777 "$root/tmp"
for d in bin sbin lib lib64; do ln -s "usr/$d" "$root/$d"; done
ln -s ../run "$root/var/run"
while IFS=$'\t' read -r src dst; do
  mkdir -p "$root$(dirname "$dst")"
  cp -L "$src" "$root$dst"
done <<<"$list"

# busybox gives sh and the small tools (systeminformation shells out to a few of them).
for applet in $(/bin/busybox --list); do
  [ -e "$root/usr/bin/$applet" ] || [ -e "$root/usr/sbin/$applet" ] || ln -s busybox "$root/usr/bin/$applet"
done
# iptables through the nft backend, as on this machine; the legacy names stay available.
for t in iptables ip6tables; do
  for suffix in "" -save -restore; do
    ln -sf xtables-nft-multi "$root/usr/sbin/$t$suffix"
    ln -sf xtables-nft-multi "$root/usr/sbin/$t-nft$suffix"
    ln -sf xtables-legacy-multi "$root/usr/sbin/$t-legacy$suffix"
  done
done

cat >"$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
printf 'root:x:0:\ndocker:x:999:\nnogroup:x:65534:\n' >"$root/etc/group"
printf 'PRETTY_NAME="Corral test host"\nNAME="Corral test host"\nID=corral-test-host\nVERSION_ID="1"\n' \
  >"$root/etc/os-release"
echo "hosts: files dns" >"$root/etc/nsswitch.conf"
install -m 0755 "$repo/test/multihost/host-entrypoint.sh" "$root/usr/local/bin/host-entrypoint"

tar -C "$root" -c . | docker import \
  -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  -c 'ENV HOME=/root' \
  -c 'ENTRYPOINT ["/usr/bin/docker-init", "--", "/usr/local/bin/host-entrypoint"]' \
  - "$image" >/dev/null
# Older builds are 300 MB each: drop them (an image a running host still uses stays, rmi refuses).
for old in $(docker images --format '{{.Repository}}:{{.Tag}}' corral/test-host); do
  case $old in "$image" | corral/test-host:latest) ;; *) docker rmi "$old" >/dev/null 2>&1 || true ;; esac
done
log "built $image in $((($(date +%s%N) - started) / 1000000)) ms, $(docker image inspect --format '{{.Size}}' "$image") bytes"
done_with "$image"
