#!/usr/bin/env bash
# Builds corral/test-tools:latest: busybox plus Debian's `dig`, with every shared library `ldd`
# finds and the dynamic loader, so tests can make real DNS queries from inside containers (no
# registry is reachable, so the image is assembled from what this machine has installed).
# Idempotent: the image carries a hash of its inputs and is rebuilt only when they change.
set -euo pipefail
image=corral/test-tools:latest
log() { echo "[test-tools] $*" >&2; }

need=()
command -v dig >/dev/null 2>&1 || need+=(dnsutils)
[ -x /bin/busybox ] || need+=(busybox-static)
if [ ${#need[@]} -gt 0 ]; then
  log "installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq "${need[@]}" >/dev/null
fi

dig_bin=$(command -v dig)
versions=$(dpkg-query -W -f '${Package}=${Version}\n' bind9-dnsutils busybox-static 2>/dev/null || true)
hash=$( (cat "$0"; echo "$versions") | sha256sum | cut -c1-16)
current=$(docker image inspect -f '{{ index .Config.Labels "io.corral.build-hash" }}' "$image" 2>/dev/null || true)
if [ "$current" = "$hash" ]; then
  echo "$image"
  exit 0
fi

log "building $image"
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/bin" "$root/usr/bin" "$root/etc" "$root/tmp" "$root/www"
cp /bin/busybox "$root/bin/busybox"
for applet in $(/bin/busybox --list); do
  [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
done
cp "$dig_bin" "$root/usr/bin/dig"
# Every library dig links, at the same path, plus the loader.
for lib in $(ldd "$dig_bin" | awk '/=>/ {print $3} /^\t\// {print $1}'); do
  [ -f "$lib" ] || continue
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done
echo "root:x:0:0:root:/root:/bin/sh" >"$root/etc/passwd"
echo "root:x:0:" >"$root/etc/group"
echo "test tools" >"$root/www/index.html"
tar -C "$root" -c . | docker import -c 'CMD ["/bin/sh"]' -c 'ENV PATH=/usr/bin:/bin' -c "LABEL io.corral.build-hash=$hash" - "$image" >/dev/null
echo "$image"
