#!/usr/bin/env bash
# rootfs.sh SYSROOT CORRAL_BIN INIT DEST: assembles the whole CorralOS root file system (it lives in
# the initramfs; there is no other root) from the Debian sysroot, the compiled corral binary, the
# system images and the system service definitions. INIT is a file under build/init/.
source "$(dirname "$0")/lib/common.sh"
sys=$1 corral=$2 init=$3 dest=$4
rm -rf "$dest" && mkdir -p "$dest"
merged_usr "$dest"
add_loader "$sys" "$dest"

# Engines: System Docker runs from these; User Docker runs from the os-docker image.
for f in usr/sbin/dockerd usr/bin/containerd usr/bin/containerd-shim-runc-v2 usr/sbin/runc \
  usr/sbin/docker-proxy usr/bin/docker usr/sbin/blkid usr/sbin/mke2fs usr/sbin/e2fsck \
  usr/sbin/resize2fs usr/sbin/tune2fs usr/sbin/xtables-legacy-multi usr/sbin/xtables-nft-multi; do
  src=$f
  [ -e "$sys/$src" ] || src=${f#usr/}
  copy_elf "$sys" "$src" "$dest" "$f"
done
install -m 0755 "$sys/usr/bin/tini-static" "$dest/usr/bin/docker-init"
# corral install: sfdisk, mkfs.vfat, grub-install (with its BIOS and UEFI modules), grub-editenv.
for f in usr/sbin/sfdisk usr/sbin/mkfs.fat usr/sbin/grub-install usr/bin/grub-editenv; do
  src=$f
  [ -e "$sys/$src" ] || src=${f#usr/}
  copy_elf "$sys" "$src" "$dest" "$f"
done
ln -sf mkfs.fat "$dest/usr/sbin/mkfs.vfat"
# corral tls gen: PID 1 makes User Docker's CA and certificates with openssl.
copy_elf "$sys" usr/bin/openssl "$dest"
# corral engine list: the version of the engine the image's /usr holds (Docker's, without Debian's suffix).
mkdir -p "$dest/usr/share/corral"
printf '{"version":"docker-%s"}\n' "$("$sys/usr/sbin/dockerd" --version | sed -E 's/^Docker version ([0-9.]+).*/\1/')" \
  >"$dest/usr/share/corral/engine.json"
# corral os upgrade --kexec loads the new slot's kernel with kexec(8) (Debian ships it in /sbin).
copy_elf "$sys" sbin/kexec "$dest" usr/sbin/kexec
mkdir -p "$dest/usr/lib/grub"
for t in i386-pc x86_64-efi; do cp -r "$sys/usr/lib/grub/$t" "$dest/usr/lib/grub/"; done
# (not mke2fs or e2fsck themselves: `ln -sf` would replace the program with a link to itself)
for l in mkfs.ext4 mkfs.ext3; do ln -sf mke2fs "$dest/usr/sbin/$l"; done
ln -sf e2fsck "$dest/usr/sbin/fsck.ext4"
ln -sf tune2fs "$dest/usr/sbin/e2label"
# iptables: legacy by default (one less moving part than nft for Docker 20.10); -nft names exist too.
for t in iptables ip6tables; do
  for s in "" -save -restore; do
    ln -sf xtables-legacy-multi "$dest/usr/sbin/$t$s"
    ln -sf xtables-legacy-multi "$dest/usr/sbin/$t-legacy$s"
    ln -sf xtables-nft-multi "$dest/usr/sbin/$t-nft$s"
  done
done
# iptables dlopen()s its match/target extensions: copy them all with their libraries.
cp -r "$sys/usr/lib/x86_64-linux-gnu/xtables" "$dest/usr/lib/x86_64-linux-gnu/"
for so in "$dest"/usr/lib/x86_64-linux-gnu/xtables/*.so; do copy_elf_deps "$sys" "$so" "$dest"; done
add_busybox "$sys" "$dest"

bash "$(dirname "$0")/modules.sh" "$sys" "$dest"

install -m 0755 "$corral" "$dest/usr/bin/corral"
copy_elf_deps "$sys" "$dest/usr/bin/corral" "$dest"
install -m 0755 "$init" "$dest/init"
install -D -m 0755 "$ROOT/build/init/udhcpc.script" "$dest/etc/udhcpc/default.script"

# /etc: just enough for root, name lookups and tools that read os-release.
cat >"$dest/etc/passwd" <<'P'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
P
# the console user (corral, alias rancher) is added by corral init at boot
printf 'root:x:0:\ndocker:x:999:corral,rancher\nnogroup:x:65534:\n' >"$dest/etc/group"
printf 'root:*:19000:0:99999:7:::\n' >"$dest/etc/shadow"
chmod 0640 "$dest/etc/shadow"
printf '127.0.0.1 localhost\n::1 localhost\n' >"$dest/etc/hosts"
printf 'passwd: files\ngroup: files\nshadow: files\nhosts: files dns\n' >"$dest/etc/nsswitch.conf"
printf 'corral\n' >"$dest/etc/hostname"
: >"$dest/etc/resolv.conf"
printf 'NAME="CorralOS"\nID=corralos\nVERSION_ID=%s\nPRETTY_NAME="CorralOS %s"\n' \
  "$(git -C "$ROOT" describe --always 2>/dev/null || echo dev)" "$(git -C "$ROOT" describe --always 2>/dev/null || echo dev)" \
  >"$dest/etc/os-release"
ln -sf ../../etc/os-release "$dest/usr/lib/os-release"
mkdir -p "$dest/var/log" "$dest/var/lib" "$dest/home" "$dest/opt" "$dest/usr/share/corral/images"

# What corral init reads: defaults, system services, images.
mods=$(grep -vE '^\s*(#|$)' "$ROOT/build/modules.list" | paste -sd, | sed 's/,/, /g')
sed "s/^  modules: \[\] # @MODULES@$/  modules: [$mods]/" "$ROOT/images/os-config.yml" \
  >"$dest/usr/share/corral/os-config.yml"
grep -vE '^\s*(#|$)' "$ROOT/build/modules-early.list" >"$dest/etc/modules-early"
cp -r "$ROOT/system-services" "$dest/usr/share/corral/system-services"
# The public half of the release signing key: `corral os upgrade` accepts only releases it signed.
mkdir -p "$dest/usr/share/corral/release-keys"
openssl pkey -in "$(bash "$ROOT/build/signing-key.sh")" -pubout -out "$dest/usr/share/corral/release-keys/release.pem"
for t in "$DIST"/images/*.tar "$DIST"/images/*.tar.gz "$DIST"/images/*.manifest.json; do
  [ -e "$t" ] && cp -L "$t" "$dest/usr/share/corral/images/"
done
log "rootfs: $(du -sh "$dest" | cut -f1)"
