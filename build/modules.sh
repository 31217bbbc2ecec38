#!/usr/bin/env bash
# modules.sh SYSROOT DEST: copies the kernel modules in modules.list, with everything they depend
# on (closure over the kernel's modules.dep), into DEST/usr/lib/modules/$KVER and runs depmod on
# that subset, so busybox modprobe inside the image resolves dependencies itself.
source "$(dirname "$0")/lib/common.sh"
sys=$1 dest=$2
src=$sys/lib/modules/$KVER
out=$dest/usr/lib/modules/$KVER
mkdir -p "$out" "$dest/etc"
# Debian's package has no modules.dep (its postinst makes one): make it once in the sysroot.
[ -f "$src/modules.dep" ] || depmod -b "$sys" "$KVER"

# name -> path from modules.dep (names use '_' where files may use '-').
declare -A path_of deps_of
while IFS=: read -r mod deps; do
  n=$(basename "$mod" .ko)
  path_of[${n//-/_}]=$mod
  deps_of[$mod]=$deps
done <"$src/modules.dep"

declare -A seen
want=$(grep -vE '^\s*(#|$)' "$(dirname "$0")/modules.list")
for m in $want; do
  p=${path_of[${m//-/_}]:-}
  if [ -z "$p" ]; then log "module $m is built in or unknown; skipped"; continue; fi
  # a modules.dep line already lists the module's whole closure
  for f in $p ${deps_of[$p]}; do
    [ -n "${seen[$f]:-}" ] && continue
    seen[$f]=1
    install -D -m 0644 "$src/$f" "$out/$f"
  done
done
cp "$src"/modules.{order,builtin,builtin.modinfo} "$out/"
depmod -b "$dest/usr" "$KVER"
# the boot's load order, read by /init and by corral init
echo "$want" >"$dest/etc/modules"
log "modules: ${#seen[@]} files, $(du -sh "$out" | cut -f1)"
