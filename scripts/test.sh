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
failures=""
step() {
  local name=$1
  shift
  echo "== $name"
  if "$@"; then passed=$((passed + 1)); else echo "!! $name failed"; failed=$((failed + 1)); fi
}
step "lint and format (biome)" biome ci --max-diagnostics=50 .
step "type check (tsc)" tsc --noEmit -p .
step "type check of the web UI (tsc)" tsc --noEmit -p server/ui
# The server serves this bundle at / and the browser tests load it.
step "web UI bundle" bun server/ui/build.ts

# The last "<N> <word>" on the summary lines of a log ("pass" also finds "passed"); 0 when none.
last_count() { echo "$1" | grep -Eo "[0-9]+ $2" | tail -1 | grep -Eo '^[0-9]+' || echo 0; }

# Adds the counts on the summary lines (those matching $3) of suite $1's log $2, which exited with
# $4, to the totals. A suite that exits non-zero with no failure counted (a crash, a load error)
# counts as one failure.
count() {
  local name=$1 log=$2 summary=$3 status=$4 lines f
  # -a: a test may print bytes that make grep call the log binary and print no line at all.
  lines=$(grep -aE "$summary" "$log")
  # Both suites' failing tests are named again at the very end, where a log's tail shows them.
  failures+=$(grep -aE '^(\(fail\)|FAIL) ' "$log")$'\n'
  f=$(last_count "$lines" fail)
  passed=$((passed + $(last_count "$lines" pass)))
  failed=$((failed + f))
  skipped=$((skipped + $(last_count "$lines" skip)))
  if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then
    echo "!! $name exited $status without a failing test (crash or load error)"
    failed=$((failed + 1))
  fi
}

# bun prints "N pass", "N fail", "N skip" on lines of their own; the image runner "N passed, N failed".
# One after the other: both are CPU-bound on two cores. Run beside each other (tried 2026-12-03),
# each QEMU boot took 2.2 times as long and the bun tests fell far behind: longer in all, not shorter.
bun_log=$(mktemp)
echo "== bun test"
bun test --timeout 120000 "$@" 2>&1 | tee "$bun_log"
count "bun test" "$bun_log" '^ *[0-9]+ (pass|fail|skip)$' "${PIPESTATUS[0]}"
rm -f "$bun_log"

if [ $# -eq 0 ] && [ "${CORRAL_IMAGE_TESTS:-1}" = 1 ]; then
  image_log=$(mktemp)
  echo "== image tests"
  env CORRAL_IMAGE_TESTS=1 bun build/test/run.ts 2>&1 | tee "$image_log"
  count "image tests" "$image_log" '^[0-9]+ passed, [0-9]+ failed' "${PIPESTATUS[0]}"
  rm -f "$image_log"
fi

if [ -n "${failures//$'\n'/}" ]; then
  echo "== failing tests"
  echo "$failures" | grep -v '^$'
fi
if [ "$skipped" -gt 0 ]; then
  echo "$passed passed, $failed failed, $skipped skipped"
else
  echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
