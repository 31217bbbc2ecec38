#!/usr/bin/env bash
# Builds corral/ipsec:latest, the image of the per-host IPsec daemon, from Debian's packages (no
# registry is reachable): strongSwan's charon, swanctl and their plugins (kernel-netlink for the
# kernel's ESP, kernel-libipsec for userspace ESP over /dev/net/tun where the kernel has none) are
# fetched with `apt-get download` into a cache and unpacked with `dpkg -x`; the shared libraries
# `ldd` resolves for them come from this (Debian 12) machine, like the other images' recipes; busybox
# gives the entry script a shell and `ip` (iproute2) the data-plane probe. Idempotent: the image
# carries the hash of its inputs and is rebuilt only when that changed. Prints the image name.
#
# Environment: IPSEC_IMAGE (default corral/ipsec:latest), CORRAL_IMAGE_CACHE (download cache).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
image=${IPSEC_IMAGE:-corral/ipsec:latest}
cache=${CORRAL_IMAGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/corral-images}/ipsec
log() { echo "[ipsec-image] $*" >&2; }
packages=(strongswan-charon strongswan-libcharon libstrongswan libstrongswan-standard-plugins
  strongswan-swanctl libcharon-extra-plugins)

need=()
[ -x /bin/busybox ] || need+=(busybox-static)
[ -x /usr/sbin/ip ] || [ -x /sbin/ip ] || need+=(iproute2)
if [ ${#need[@]} -gt 0 ]; then
  log "installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq "${need[@]}" >/dev/null
fi
ip_bin=$(command -v ip || echo /usr/sbin/ip)

# The candidate versions decide the hash, so a new Debian point release rebuilds the image.
versions=$(apt-cache policy "${packages[@]}" 2>/dev/null | awk '/^[a-z]/ {p=$1} /Candidate:/ {print p $2}')
if [ -z "$versions" ] || [[ $versions == *"(none)"* ]]; then
  apt-get update -qq
  versions=$(apt-cache policy "${packages[@]}" | awk '/^[a-z]/ {p=$1} /Candidate:/ {print p $2}')
fi
hash=$( (cat "$here/build.sh" "$here/entry.sh" "$here/probe.sh"; echo "$versions"; stat -L -c '%s' /bin/busybox "$ip_bin") |
  sha256sum | cut -c1-16)
current=$(docker image inspect -f '{{ index .Config.Labels "io.corral.build-hash" }}' "$image" 2>/dev/null || true)
if [ "$current" = "$hash" ]; then
  echo "$image"
  exit 0
fi

log "building $image ($hash)"
mkdir -p "$cache/debs"
# apt's sandbox user cannot write into root's cache: download in a world-writable scratch folder.
scratch=$(mktemp -d)
root=$(mktemp -d)
trap 'rm -rf "$scratch" "$root"' EXIT
chmod 0777 "$scratch"
if ! (cd "$scratch" && apt-get download -q "${packages[@]}" >/dev/null 2>&1); then
  apt-get update -qq
  (cd "$scratch" && apt-get download -q "${packages[@]}" >/dev/null)
fi
rm -f "$cache/debs"/*.deb
mv "$scratch"/*.deb "$cache/debs/"
for deb in "$cache/debs"/*.deb; do dpkg -x "$deb" "$root"; done
# Debian's own plugin snippets would load plugins the generated strongswan.conf did not ask for.
rm -rf "$root/etc/strongswan.d" "$root/etc/apparmor.d" "$root/usr/share"

mkdir -p "$root"/{bin,usr/sbin,usr/local/bin,tmp,run,var/run,etc/swanctl}
chmod 1777 "$root/tmp"
cp /bin/busybox "$root/bin/busybox"
for applet in sh cat cp mv rm mkdir ls kill sleep ps grep sed tail pidof; do ln -sf busybox "$root/bin/$applet"; done
cp "$(readlink -f "$ip_bin")" "$root/usr/sbin/ip"

# Every library the binaries and plugins need that the packages do not carry, at the path the
# loader looks it up, and the loader itself.
elves=("$root/usr/lib/ipsec/charon" "$root/usr/sbin/swanctl" "$root/usr/sbin/ip" "$root"/usr/lib/ipsec/*.so.0 "$root"/usr/lib/ipsec/plugins/*.so)
for lib in $(for f in "${elves[@]}"; do LD_LIBRARY_PATH="$root/usr/lib/ipsec" ldd "$f" 2>/dev/null; done |
  grep -o '/[^ ]*' | grep -v "^$root" | sort -u); do
  mkdir -p "$root$(dirname "$lib")"
  cp "$(readlink -f "$lib")" "$root$lib"
done
# glibc dlopen()s libgcc_s for pthread_cancel, which charon's thread pool uses: ldd cannot see it.
# awk reads to the end: leaving early would kill ldconfig with SIGPIPE, and pipefail turns that
# into a failed build (seen under load).
gcc_s=$(ldconfig -p | awk '/libgcc_s.so.1 .*x86-64/ && !found {print $NF; found = 1}')
mkdir -p "$root$(dirname "$gcc_s")" && cp "$(readlink -f "$gcc_s")" "$root$gcc_s"

install -m 0755 "$here/entry.sh" "$root/usr/local/bin/ipsec-entry"
install -m 0755 "$here/probe.sh" "$root/usr/local/bin/ipsec-probe"
echo "root:x:0:0:root:/root:/bin/sh" >"$root/etc/passwd"
echo "root:x:0:" >"$root/etc/group"

tar -C "$root" -c . | docker import \
  -c 'ENTRYPOINT ["/usr/local/bin/ipsec-entry"]' \
  -c 'ENV PATH=/usr/local/bin:/usr/sbin:/usr/lib/ipsec:/bin' \
  -c "LABEL io.corral.build-hash=$hash" \
  - "$image" >/dev/null
log "built $image: $(docker image inspect -f '{{.Size}}' "$image") bytes"
echo "$image"
