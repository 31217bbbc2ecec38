#!/usr/bin/env bash
# corral-bin.sh: compiles the multi-call `corral` binary for the image with Bun's BASELINE target
# (runs on CPUs without AVX2, such as QEMU's TCG models), cached by a hash of every source file.
# Prints the binary's path.
source "$(dirname "$0")/lib/common.sh"
cd "$ROOT"
src=$(git ls-files -co --exclude-standard -- bin api lib server agent os build/compile.ts package.json package-lock.json |
  grep -vE '\.test\.ts$' | sort)
key=$( (echo "$src" | xargs sha256sum; "$BUN" --version; cat "$0") | sha256sum | cut -c1-16)
out=$CACHE/corral-$key
if [ ! -x "$out" ]; then
  log "compiling corral (baseline target)"
  # The baseline runtime comes from the @oven/bun-linux-x64-baseline devDependency, so the
  # cross-compile needs no download.
  # The web UI rides inside the binary (served by http/web.ts when no bundle folder is beside it).
  "$BUN" build/compile.ts --outfile "$out.tmp" \
    --baseline "$ROOT/node_modules/@oven/bun-linux-x64-baseline/bin/bun" >&2 ||
    { log "compiling corral failed"; exit 1; }
  mv "$out.tmp" "$out"
fi
echo "$out"
