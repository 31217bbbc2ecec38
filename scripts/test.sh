#!/usr/bin/env bash
# The whole test suite: host set-up (Docker), lint and format check, type check, every bun test
# (unit, real-engine integration, multi-host), then the image tests (CorralOS built and booted in
# QEMU, build/test/cases). Ends with one line "N passed, N failed[, N skipped]".
# With arguments (bun test filters) only those bun tests run; CORRAL_IMAGE_TESTS=0 skips the image tests.
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"

bash scripts/host-setup.sh || { echo "0 passed, 1 failed"; exit 1; }

passed=0
failed=0
skipped=0
step() {
  local name=$1
  shift
  echo "== $name"
  if "$@"; then passed=$((passed + 1)); else echo "!! $name failed"; failed=$((failed + 1)); fi
}
step "lint and format (biome)" biome ci --max-diagnostics=50 .
step "type check (tsc)" tsc --noEmit -p .

log=$(mktemp)
bun test --timeout 120000 "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
p=$(grep -Eo '^ *[0-9]+ pass$' "$log" | tail -1 | grep -Eo '[0-9]+' || echo 0)
f=$(grep -Eo '^ *[0-9]+ fail$' "$log" | tail -1 | grep -Eo '[0-9]+' || echo 0)
s=$(grep -Eo '^ *[0-9]+ skip$' "$log" | tail -1 | grep -Eo '[0-9]+' || echo 0)
passed=$((passed + p))
failed=$((failed + f))
skipped=$((skipped + s))
if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then
  echo "!! bun test exited $status without a failing test (crash or load error)"
  failed=$((failed + 1))
fi
rm -f "$log"

if [ $# -eq 0 ] && [ "${CORRAL_IMAGE_TESTS:-1}" = 1 ]; then
  log=$(mktemp)
  CORRAL_IMAGE_TESTS=1 bun build/test/run.ts 2>&1 | tee "$log"
  status=${PIPESTATUS[0]}
  counts=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -1)
  p=$(echo "$counts" | grep -Eo '^[0-9]+' || echo 0)
  f=$(echo "$counts" | grep -Eo '[0-9]+ failed' | grep -Eo '[0-9]+' || echo 0)
  passed=$((passed + p))
  failed=$((failed + f))
  if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then
    echo "!! image tests exited $status without a failing case"
    failed=$((failed + 1))
  fi
  rm -f "$log"
fi

if [ "$skipped" -gt 0 ]; then
  echo "$passed passed, $failed failed, $skipped skipped"
else
  echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
