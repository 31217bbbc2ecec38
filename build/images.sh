#!/usr/bin/env bash
# images.sh SYSROOT CORRAL_BIN: builds the system images from their recipes (images/<name>/recipe.sh)
# with `docker import` (nothing is pulled) and saves each as dist/images/<name>.tar for the rootfs.
# Each image is cached by a hash of its recipe, the build helpers, the sysroot and the binary.
# An image whose folder holds a file `compressed` (a large image most machines never load, as a
# persistent console) is shipped gzipped instead, <name>.tar.gz, with its manifest.json beside it as
# <name>.tar.gz.manifest.json: the root file system lives in RAM, so it costs a third there.
source "$(dirname "$0")/lib/common.sh"
sys=$1 CORRAL_BIN=$2
IMAGES=$ROOT/images
export IMAGES CORRAL_BIN
mkdir -p "$DIST/images" "$CACHE/images"
docker info >/dev/null 2>&1 || bash "$ROOT/scripts/host-setup.sh" >&2

for recipe in "$IMAGES"/os-*/recipe.sh; do
  name=$(basename "$(dirname "$recipe")")
  key=$( (hash_of "$IMAGES" "$ROOT/user-docker" "$ROOT/build/lib"; basename "$sys"
    sha256sum <"$CORRAL_BIN"; echo "${CORRAL_EMBED_ENGINE:-0}") | sha256sum | cut -c1-16)
  tar=$CACHE/images/$name-$key.tar
  if [ ! -f "$tar" ]; then
    log "image corral/$name"
    dest=$(mktemp -d)
    IMAGE_CHANGES=()
    # shellcheck source=/dev/null
    source "$recipe"
    args=()
    for c in "${IMAGE_CHANGES[@]}"; do args+=(-c "$c"); done
    # fixed owners and times: the same inputs give the same layer
    tar -C "$dest" --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -c . |
      docker import "${args[@]}" - "corral/$name:latest" >/dev/null
    docker save "corral/$name:latest" -o "$tar.tmp" && mv "$tar.tmp" "$tar"
    rm -rf "$dest"
  fi
  rm -f "$DIST/images/$name.tar" "$DIST/images/$name.tar.gz" "$DIST/images/$name.tar.gz.manifest.json"
  if [ -f "$(dirname "$recipe")/compressed" ]; then
    [ -f "$tar.gz" ] || { gzip -1 -c "$tar" >"$tar.gz.tmp" && mv "$tar.gz.tmp" "$tar.gz"; }
    tar -xOf "$tar" manifest.json >"$DIST/images/$name.tar.gz.manifest.json"
    ln -sfn "$tar.gz" "$DIST/images/$name.tar.gz"
  else
    ln -sfn "$tar" "$DIST/images/$name.tar"
  fi
done
