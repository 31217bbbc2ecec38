#!/usr/bin/env bash
# Downloads the Debian packages the image is made of (`apt-get download`, no registry needed) and
# extracts them into one sysroot under the cache. Re-runs are a no-op unless the package list or a
# package version changes. Prints the sysroot path.
source "$(dirname "$0")/lib/common.sh"

# What the OS needs, plus the libraries those programs load (the resolver in copy_elf fails loudly
# if one is missing here, so this list stays honest).
PKGS=(
  "linux-image-$KVER" busybox-static docker.io containerd runc tini iptables e2fsprogs openssl
  openssh-server openssh-client openssh-sftp-server
  libc6 libgcc-s1 libsystemd0 libdevmapper1.02.1 libseccomp2 libselinux1 libpcre2-8-0 libudev1
  libcap2 libgcrypt20 libgpg-error0 liblz4-1 liblzma5 libzstd1 libip4tc2 libip6tc2 libxtables12
  libnftnl11 libmnl0 libnetfilter-conntrack3 libnfnetlink0 libblkid1 libuuid1 libcom-err2 libext2fs2
  libss2 libssl3 zlib1g libcrypt1 libwrap0 libaudit1 libcap-ng0 libpam0g libgssapi-krb5-2
  libkrb5-3 libk5crypto3 libkrb5support0 libkeyutils1 libfido2-1 libcbor0.8 libedit2 libbsd0 libmd0
  libtinfo6 libmount1 libkmod2 libsmartcols1 util-linux libnsl2 libtirpc3
  # corral install: GPT partitioning, the boot partition's FAT, GRUB for BIOS and UEFI
  fdisk libfdisk1 libreadline8 dosfstools grub-common grub2-common grub-pc-bin grub-efi-amd64-bin
  libefiboot1 libefivar1
  # corral os upgrade --kexec: kexec(8), linked against Xen's control library (and what it loads)
  kexec-tools libxenmisc4.17 libxentoollog1 libxencall1 libxenevtchn1 libxengnttab1
  libxenforeignmemory1 libxendevicemodel1 libxentoolcore1
)

DEBS=$CACHE/debs
mkdir -p "$DEBS"
# Resolve names to exact versions first: the cache key is the version list, not the names.
versions=$(apt-cache policy "${PKGS[@]}" | awk '/^[^ ]/{p=$1} /Candidate:/{print p $2}' | sort -u)
key=$(echo "$versions" | sha256sum | cut -c1-16)
SYSROOT=$CACHE/sysroot-$key
if [ -f "$SYSROOT/.done" ]; then echo "$SYSROOT"; exit 0; fi

log "downloading ${#PKGS[@]} Debian packages into $DEBS"
(cd "$DEBS" && apt-get download "${PKGS[@]}" >/dev/null 2>&1) || {
  log "apt-get download failed; running apt-get update once"
  apt-get update -qq && (cd "$DEBS" && apt-get download "${PKGS[@]}" >/dev/null)
}
rm -rf "$SYSROOT.tmp" && mkdir -p "$SYSROOT.tmp"
for p in "${PKGS[@]}"; do
  # apt-get download writes an epoch's colon as %3a in the file name.
  v=$(apt-cache policy "$p" | awk '/Candidate:/{print $2}' | sed 's/:/%3a/')
  deb="$DEBS/${p}_${v}_amd64.deb"
  [ -f "$deb" ] || deb="$DEBS/${p}_${v}_all.deb"
  [ -f "$deb" ] || { log "no .deb for $p $v"; exit 1; }
  dpkg -x "$deb" "$SYSROOT.tmp"
done
touch "$SYSROOT.tmp/.done" && rm -rf "$SYSROOT" && mv "$SYSROOT.tmp" "$SYSROOT"
echo "$SYSROOT"
