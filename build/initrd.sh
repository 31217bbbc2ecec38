#!/usr/bin/env bash
# initrd.sh ROOTFS OUT [gzip|zstd]: packs ROOTFS as a newc cpio, compressed. zstd is the default: it
# unpacks faster in the guest than gzip (see BENCHMARKS.md), and Debian's kernel has RD_ZSTD=y.
source "$(dirname "$0")/lib/common.sh"
rootfs=$1 out=$2 comp=${3:-zstd}
case $comp in
  zstd) z=(zstd -q -T0 -10 -c) ;; # -10: near -19's size at a fraction of the build time
  gzip) z=(gzip -6 -c) ;;
  *) log "unknown compression $comp"; exit 1 ;;
esac
# Sorted names and fixed owners make the archive depend only on the content.
(cd "$rootfs" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | "${z[@]}" >"$out.tmp"
mv "$out.tmp" "$out"
log "initrd ($comp): $(du -h "$out" | cut -f1)"
