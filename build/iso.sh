#!/usr/bin/env bash
# iso.sh: dist/corral.iso from dist/vmlinuz and dist/initrd: a hybrid image (El Torito CD and an MBR
# disk, BIOS through GRUB's i386-pc core, plus UEFI when grub-efi-amd64-bin is installed) made by
# grub-mkrescue. The kernel and initrd are all the system needs: nothing reads the ISO after boot.
source "$(dirname "$0")/lib/common.sh"
stage=$CACHE/iso
key=$(cat "$DIST/vmlinuz" "$DIST/initrd" "$0" | sha256sum | cut -c1-16)
if [ -f "$DIST/corral.iso" ] && [ "$(cat "$DIST/corral.iso.key" 2>/dev/null)" = "$key" ]; then exit 0; fi
rm -rf "$stage" && mkdir -p "$stage/boot/grub"
cp "$DIST/vmlinuz" "$DIST/initrd" "$stage/boot/"
# Serial first: QEMU tests and headless servers read ttyS0; the last console= gets /dev/console.
cat >"$stage/boot/grub/grub.cfg" <<'CFG'
serial --unit=0 --speed=115200
terminal_input serial console
terminal_output serial console
set timeout=1
menuentry "CorralOS" {
  linux /boot/vmlinuz console=tty1 console=ttyS0,115200n8 panic=10 quiet
  initrd /boot/initrd
}
menuentry "CorralOS (recovery console)" {
  linux /boot/vmlinuz console=tty1 console=ttyS0,115200n8 panic=10 corral.recovery=true
  initrd /boot/initrd
}
CFG
mods="part_msdos part_gpt iso9660 linux normal serial terminal echo test"
grub-mkrescue -o "$DIST/corral.iso.tmp" --install-modules="$mods" --locales= --fonts= --themes= \
  --compress=xz "$stage" >/dev/null 2>&1 || grub-mkrescue -o "$DIST/corral.iso.tmp" "$stage"
mv "$DIST/corral.iso.tmp" "$DIST/corral.iso"
echo "$key" >"$DIST/corral.iso.key"
log "iso: $(du -h "$DIST/corral.iso" | cut -f1)"
