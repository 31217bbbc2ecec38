#!/usr/bin/env bash
# release.sh VERSION OUT.tar [OVERLAY_DIR]: a signed CorralOS release of the built dist/vmlinuz and
# dist/initrd, as `corral os upgrade -f` takes it: release.json (version, sha256 of each file),
# release.sig (ed25519 over release.json's bytes, base64) and the two files. The initrd gets one more
# (uncompressed) cpio appended, which the kernel unpacks over the first: /etc/os-release naming
# VERSION, plus OVERLAY_DIR's files when given (the image tests make their "broken build" so).
# Signed with CORRAL_SIGNING_KEY (a PEM ed25519 private key), else the build's local development key.
source "$(dirname "$0")/lib/common.sh"
version=$1 out=$2 overlay=${3:-}
[[ $version =~ ^[A-Za-z0-9._+-]{1,64}$ ]] || { log "bad version '$version'"; exit 2; }
key=$(bash "$ROOT/build/signing-key.sh")
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/over/etc"
[ -n "$overlay" ] && cp -a "$overlay/." "$stage/over/"
printf 'NAME="CorralOS"\nID=corralos\nVERSION_ID=%s\nPRETTY_NAME="CorralOS %s"\n' "$version" "$version" \
  >"$stage/over/etc/os-release"
cp "$DIST/vmlinuz" "$stage/vmlinuz"
cp "$DIST/initrd" "$stage/initrd"
# The kernel takes a following archive as uncompressed cpio only at a 4-byte aligned offset (zero
# bytes between archives are skipped); unaligned, it reads it as compressed and refuses it ("invalid
# magic at start of compressed archive"), so the overlay would be silently missing.
size=$(stat -c %s "$stage/initrd")
head -c $(((4 - size % 4) % 4)) /dev/zero >>"$stage/initrd"
(cd "$stage/over" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >>"$stage/initrd"
sum() { sha256sum "$1" | cut -c1-64; }
printf '{"version":"%s","created":"%s","sha256":{"vmlinuz":"%s","initrd":"%s"}}\n' "$version" \
  "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(sum "$stage/vmlinuz")" "$(sum "$stage/initrd")" >"$stage/release.json"
openssl pkeyutl -sign -rawin -inkey "$key" -in "$stage/release.json" | base64 -w0 >"$stage/release.sig"
tar -C "$stage" -cf "$out.tmp" release.json release.sig vmlinuz initrd
mv "$out.tmp" "$out"
log "release $version: $out ($(du -h "$out" | cut -f1))"
