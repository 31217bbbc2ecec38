# Shared helpers for the CorralOS image build (sourced, not run).
# Everything expensive is cached under $CACHE keyed by a content hash, so a rebuild with no change
# only re-checks hashes.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CACHE=${CORRAL_BUILD_CACHE:-$HOME/.cache/corral-build}
# CORRAL_DIST: another output folder (build/release.test.ts packs releases of made-up files).
DIST=${CORRAL_DIST:-$ROOT/dist}
BUN=$ROOT/node_modules/.bin/bun
# The Debian kernel ABI we build against: bump with the package (apt-cache depends linux-image-amd64).
KVER=${CORRAL_KVER:-6.1.0-56-amd64}
mkdir -p "$CACHE" "$DIST"

log() { echo "[build] $*" >&2; }

# hash_of FILES/DIRS...: one sha256 over the listed paths' names and contents (sorted, stable).
hash_of() {
  find "$@" -type f -print0 2>/dev/null | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16
}

# Where `ld.so` would look in a Debian sysroot: both merged-/usr halves, as bookworm still ships
# some libraries under /lib.
LIBDIRS=(lib/x86_64-linux-gnu usr/lib/x86_64-linux-gnu lib64 usr/lib lib)

# find_lib SYSROOT NAME: prints the sysroot-relative path of a shared library, or fails.
find_lib() {
  local d
  for d in "${LIBDIRS[@]}"; do
    if [ -e "$1/$d/$2" ]; then echo "$d/$2"; return 0; fi
  done
  return 1
}

# copy_elf SYSROOT RELPATH DEST [TARGET]: copies an executable or library from the sysroot into DEST and,
# recursively, every DT_NEEDED library it names (libraries land in /usr/lib/x86_64-linux-gnu, which
# the rootfs also links as /lib). We resolve in the sysroot rather than with the host's ldd so the
# image gets exactly Debian's package versions whatever the build machine has installed.
copy_elf() {
  local sys=$1 rel=$2 dest=$3 target=${4:-$2}
  install -D -m 0755 "$sys/$rel" "$dest/$target"
  copy_elf_deps "$sys" "$dest/$target" "$dest"
}

# copy_elf_deps SYSROOT FILE DEST: the library half of copy_elf for a file already in DEST.
copy_elf_deps() {
  local sys=$1 file=$2 dest=$3 lib path
  for lib in $(readelf -d "$file" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
    [ -e "$dest/usr/lib/x86_64-linux-gnu/$lib" ] && continue
    path=$(find_lib "$sys" "$lib") || { echo "missing library $lib for $file" >&2; return 1; }
    mkdir -p "$dest/usr/lib/x86_64-linux-gnu"
    cp -L "$sys/$path" "$dest/usr/lib/x86_64-linux-gnu/$lib"
    copy_elf_deps "$sys" "$dest/usr/lib/x86_64-linux-gnu/$lib" "$dest"
  done
}

# merged_usr DEST: the Debian merged-/usr skeleton, plus the dynamic loader where binaries expect it.
merged_usr() {
  local d=$1
  mkdir -p "$d"/usr/{bin,sbin,lib/x86_64-linux-gnu,lib64} "$d"/{etc,proc,sys,dev,run,tmp,var,root,home,mnt}
  ln -sfn usr/bin "$d/bin"
  ln -sfn usr/sbin "$d/sbin"
  ln -sfn usr/lib "$d/lib"
  ln -sfn usr/lib64 "$d/lib64"
  ln -sfn ../run "$d/var/run"
  chmod 1777 "$d/tmp"
}

# add_loader SYSROOT DEST: glibc's loader at the PT_INTERP path /lib64/ld-linux-x86-64.so.2.
add_loader() {
  cp -L "$1/$(find_lib "$1" ld-linux-x86-64.so.2)" "$2/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"
  ln -sfn ../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 "$2/usr/lib64/ld-linux-x86-64.so.2"
}

# add_busybox SYSROOT DEST: busybox-static with one symlink per applet in /usr/bin, never replacing
# a real program already there (e2fsprogs' blkid beats busybox's).
add_busybox() {
  local a
  install -D -m 0755 "$1/bin/busybox" "$2/usr/bin/busybox"
  for a in $("$1/bin/busybox" --list); do
    [ -e "$2/usr/bin/$a" ] || [ -e "$2/usr/sbin/$a" ] || ln -s busybox "$2/usr/bin/$a"
  done
}

# copy_libs_of SYSROOT RELPATH DEST: only the shared libraries a program needs (for binaries that
# are bound into a container from the host at run time).
copy_libs_of() { copy_elf_deps "$1" "$1/$2" "$3"; }
