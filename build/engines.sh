#!/usr/bin/env bash
# engines.sh SYSROOT: builds the User Docker engines that are not the image's own as separate
# artifacts, dist/engines/docker-<version>.tar.gz (a `docker save` of corral/os-engine:<version>,
# gzipped), for `corral engine switch|enable <version> -f FILE`. Prints the files it made.
#
# The second engine is Debian trixie's docker.io and containerd, fetched with `apt-get download`
# from the mirror the machine's own apt sources name (only the suite differs), into a private apt
# state under the cache: the host's apt configuration is left as it was. trixie's dockerd,
# docker-proxy, containerd and its shim need glibc 2.34 and libsystemd, which bookworm's libraries
# satisfy; trixie's runc needs glibc 2.38, so the engine keeps bookworm's runc and tini.
#
# Not in the ISO: the engine is ~180 MB unpacked (~50 MB gzipped) and the whole system lives in RAM,
# so shipping it would cost every machine that RAM and each boot the time to load it. RancherOS
# fetched engines on demand; here the file is copied to the machine and loaded from there.
source "$(dirname "$0")/lib/common.sh"
sys=$1
SUITE=${CORRAL_ENGINE_SUITE:-trixie}
mkdir -p "$DIST/engines"

# The Debian mirror this machine's apt uses: the URI of its bookworm main suite, deb822 or one-line.
mirror=$(
  { cat /etc/apt/sources.list.d/*.sources 2>/dev/null; echo; } | awk '
    /^URIs:/ {u=$2} /^Suites:/ {s=$0} /^$/ {if (s ~ / bookworm( |$)/ && u != "") {print u; exit}; u=""; s=""}'
)
[ -n "$mirror" ] || mirror=$(awk '$1=="deb" && $3=="bookworm" {print $2; exit}' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true)
[ -n "$mirror" ] || { log "engines: no Debian bookworm mirror in the apt sources"; exit 1; }

APT=$CACHE/apt-$SUITE
mkdir -p "$APT/lists/partial" "$APT/cache/archives/partial" "$APT/debs"
echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $SUITE main" >"$APT/sources.list"
opts=(-o "Dir::State::Lists=$APT/lists" -o "Dir::Cache=$APT/cache" -o "Dir::Etc::SourceList=$APT/sources.list"
  -o "Dir::Etc::SourceParts=/dev/null" -o "Dir::State::status=/dev/null" -o "APT::Sandbox::User=root")
# The suite's index once a day at most: a rebuild stays offline-fast.
if [ -z "$(find "$APT/lists" -name '*Packages*' -mtime -1 2>/dev/null | head -1)" ]; then
  log "engines: apt-get update for $SUITE"
  apt-get "${opts[@]}" update -qq >/dev/null
fi
PKGS=(docker.io containerd)
versions=$(apt-cache "${opts[@]}" policy "${PKGS[@]}" | awk '/^[^ ]/{p=$1} /Candidate:/{print p $2}')
# Debian's version 26.1.5+dfsg1-9+deb13u1+b1 is Docker's 26.1.5.
dv=$(apt-cache "${opts[@]}" policy docker.io | awk '/Candidate:/{print $2}')
version=docker-$(echo "$dv" | sed -E 's/^[0-9]+://; s/[+~-].*//')
key=$( (echo "$versions"; basename "$sys"; hash_of "$ROOT/images/os-docker" "$ROOT/images/os-base" \
  "$ROOT/user-docker" "$ROOT/build/lib" "$ROOT/build/engines.sh") | sha256sum | cut -c1-16)
out=$DIST/engines/$version.tar.gz
cached=$CACHE/engines/$version-$key.tar.gz
if [ ! -f "$cached" ]; then
  log "engine $version (Debian $SUITE docker.io $dv)"
  (cd "$APT/debs" && apt-get "${opts[@]}" download "${PKGS[@]}" >/dev/null 2>&1)
  ex=$(mktemp -d)
  for p in "${PKGS[@]}"; do
    v=$(apt-cache "${opts[@]}" policy "$p" | awk '/Candidate:/{print $2}' | sed 's/:/%3a/')
    dpkg -x "$APT/debs/${p}_${v}_amd64.deb" "$ex"
  done
  # The os-docker recipe with the bookworm engine copied in, then trixie's engine over it.
  dest=$(mktemp -d)
  IMAGES=$ROOT/images
  IMAGE_CHANGES=()
  # shellcheck source=/dev/null
  CORRAL_EMBED_ENGINE=1
  source "$IMAGES/os-docker/recipe.sh"
  unset CORRAL_EMBED_ENGINE
  for f in usr/sbin/dockerd usr/sbin/docker-proxy usr/bin/containerd usr/bin/containerd-shim-runc-v2; do
    install -m 0755 "$ex/$f" "$dest/$f"
    copy_elf_deps "$sys" "$dest/$f" "$dest"
  done
  rm -f "$dest/usr/bin/docker" # the console has its own client
  args=(-c "LABEL io.corral.os.engine=$version")
  for c in "${IMAGE_CHANGES[@]}"; do args+=(-c "$c"); done
  docker info >/dev/null 2>&1 || bash "$ROOT/scripts/host-setup.sh" >&2
  tar -C "$dest" --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -c . |
    docker import "${args[@]}" - "corral/os-engine:$version" >/dev/null
  mkdir -p "$CACHE/engines"
  docker save "corral/os-engine:$version" | gzip -6 >"$cached.tmp" && mv "$cached.tmp" "$cached"
  rm -rf "$dest" "$ex"
fi
ln -sfn "$cached" "$out"
log "engine $version: $(du -shL "$out" | cut -f1) ($out)"
echo "$out"
