#!/usr/bin/env bash
# Makes the README's screenshots again: runs the browser tests that drive the web UI against a
# real host (this machine's Docker engine, under the host lock) and copies the viewport-sized
# screenshots they save for it (test-artifacts/ui/readme-*.png) to docs/screenshots/. Run after a
# UI change that shows: `bash scripts/readme-screenshots.sh`.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"
flock /tmp/corral-host.lock bun test --timeout 120000 test/ui/real-host.test.ts test/ui/shell.test.ts
mkdir -p docs/screenshots
for name in stacks hosts shell; do
  cp "test-artifacts/ui/readme-$name.png" "docs/screenshots/$name.png"
done
ls -l docs/screenshots
