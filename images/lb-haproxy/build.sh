#!/usr/bin/env bash
# Builds corral/lb-haproxy:latest, the image of Corral's load balancer containers, from Debian's
# packages (no registry is reachable): Debian's haproxy binary with the shared libraries `ldd`
# resolves for it and the dynamic loader, plus busybox-static for the entry script and the agent's
# execs (validate, install, reload, probe). Idempotent: the image carries the hash of its inputs
# (this recipe, the entry, the minimal config, the package versions) and is rebuilt only when the
# hash changed. Prints the image name.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
image=${LB_IMAGE:-corral/lb-haproxy:latest}
log() { echo "[lb-haproxy] $*" >&2; }

need=()
command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || need+=(haproxy)
[ -x /bin/busybox ] || need+=(busybox-static)
if [ ${#need[@]} -gt 0 ]; then
  log "installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq "${need[@]}" >/dev/null
fi

versions=$(dpkg-query -W -f '${Package}=${Version}\n' haproxy busybox-static 2>/dev/null || true)
hash=$( (cat "$here/build.sh" "$here/entry.sh" "$here/minimal.cfg"; echo "$versions") | sha256sum | cut -c1-16)
current=$(docker image inspect -f '{{ index .Config.Labels "io.corral.build-hash" }}' "$image" 2>/dev/null || true)
if [ "$current" = "$hash" ]; then
  echo "$image"
  exit 0
fi

log "building $image ($hash)"
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,usr/sbin,usr/local/bin,etc/haproxy,run/haproxy,tmp,var/lib/haproxy}
chmod 1777 "$root/tmp"

cp /usr/sbin/haproxy "$root/usr/sbin/haproxy"
# Every library the binary needs, at the path the loader looks it up, and the loader itself.
for lib in $(ldd /usr/sbin/haproxy | grep -o '/[^ ]*' | sort -u); do
  real=$(readlink -f "$lib")
  mkdir -p "$root$(dirname "$lib")"
  cp "$real" "$root$lib"
done

cp /bin/busybox "$root/bin/busybox"
for applet in sh cat cp mv rm mkdir ls kill wget sleep ps grep; do
  ln -sf busybox "$root/bin/$applet"
done

install -m 0755 "$here/entry.sh" "$root/usr/local/bin/lb-entry"
install -m 0644 "$here/minimal.cfg" "$root/etc/haproxy/minimal.cfg"
echo "root:x:0:0:root:/root:/bin/sh" >"$root/etc/passwd"
echo "root:x:0:" >"$root/etc/group"

tar -C "$root" -c . | docker import \
  -c 'ENTRYPOINT ["/usr/local/bin/lb-entry"]' \
  -c 'ENV PATH=/usr/local/bin:/usr/sbin:/bin' \
  -c 'EXPOSE 42' \
  -c "LABEL io.corral.build-hash=$hash" \
  - "$image" >/dev/null
log "built $image: $(docker image inspect -f '{{.Size}}' "$image") bytes"
echo "$image"
