#!/usr/bin/env bash
# host-tools.sh: installs what booting the image in tests needs on the machine running them, from
# Debian's packages, when missing: QEMU, genisoimage (the NoCloud seed), ssh (checks in the guest),
# mkfs.ext4 (state disks). The build's own tools are installed by build/build.sh.
set -euo pipefail
tools=(qemu-system-x86_64:qemu-system-x86 genisoimage:genisoimage ssh:openssh-client
  ssh-keygen:openssh-client mkfs.ext4:e2fsprogs truncate:coreutils
  /usr/share/OVMF/OVMF_CODE.fd:ovmf mtype:mtools cpio:cpio)
missing=()
for t in "${tools[@]}"; do command -v "${t%%:*}" >/dev/null || [ -e "${t%%:*}" ] || missing+=("${t#*:}"); done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "[image-tests] installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
  { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }
