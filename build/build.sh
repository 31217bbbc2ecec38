#!/usr/bin/env bash
# build.sh [--init corral|baseline] [--comp zstd|gzip] [--no-iso]
# Builds CorralOS: dist/vmlinuz, dist/initrd (dist/initrd-baseline for --init baseline) and
# dist/corral.iso. Every step is cached; with no change a rebuild only re-checks hashes.
# CORRAL_BIN=/path/to/corral uses that (baseline-target) binary instead of compiling the tree's.
source "$(dirname "$0")/lib/common.sh"
init=corral comp=zstd iso=1
while [ $# -gt 0 ]; do
  case $1 in
    --init) init=$2; shift ;;
    --comp) comp=$2; shift ;;
    --no-iso) iso=0 ;;
    *) log "unknown option $1"; exit 2 ;;
  esac
  shift
done
t0=$(date +%s)
host_tools=(cpio:cpio xorriso:xorriso grub-mkrescue:grub-pc-bin mformat:mtools depmod:kmod zstd:zstd)
missing=()
for t in "${host_tools[@]}"; do command -v "${t%%:*}" >/dev/null || missing+=("${t#*:}"); done
[ ${#missing[@]} -eq 0 ] || { log "installing ${missing[*]}"; apt-get install -y -qq "${missing[@]}" grub-common >/dev/null; }

sys=$(bash "$ROOT/build/fetch-debs.sh")
corral=${CORRAL_BIN:-$(bash "$ROOT/build/corral-bin.sh")}
bash "$ROOT/build/images.sh" "$sys" "$corral"
# Engines besides the image's own: separate files (dist/engines/), not in the ISO.
[ "${CORRAL_NO_ENGINES:-0}" = 1 ] || bash "$ROOT/build/engines.sh" "$sys" >/dev/null
install -m 0644 "$sys/boot/vmlinuz-$KVER" "$DIST/vmlinuz"

suffix=$([ "$init" = corral ] || echo "-$init")
initf=$ROOT/build/init/$([ "$init" = corral ] && echo init.sh || echo "$init-init.sh")
key=$( (hash_of "$ROOT/build" "$ROOT/images" "$ROOT/system-services" "$ROOT/user-docker"
  basename "$sys"; sha256sum <"$corral"; sha256sum "$DIST"/images/*.tar "$DIST"/images/*.tar.gz 2>/dev/null | cut -c1-64
  echo "$initf $comp"; openssl pkey -in "$(bash "$ROOT/build/signing-key.sh")" -pubout) | sha256sum | cut -c1-16)
if [ "$(cat "$DIST/initrd$suffix.key" 2>/dev/null)" != "$key" ]; then
  bash "$ROOT/build/rootfs.sh" "$sys" "$corral" "$initf" "$CACHE/rootfs$suffix"
  bash "$ROOT/build/initrd.sh" "$CACHE/rootfs$suffix" "$DIST/initrd$suffix" "$comp"
  echo "$key" >"$DIST/initrd$suffix.key"
fi
if [ "$iso" = 1 ] && [ "$init" = corral ]; then bash "$ROOT/build/iso.sh"; fi
log "done in $(($(date +%s) - t0)) s: $(cd "$DIST" && ls -sh vmlinuz "initrd$suffix" corral.iso 2>/dev/null | tr '\n' ' ')"
