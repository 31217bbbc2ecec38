#!/usr/bin/env bash
# Makes the README's screenshots again: runs the browser tests that drive the web UI against a
# real host (this machine's Docker engine, under the host lock) and copies their screenshots to
# docs/screenshots/. Run after a UI change that shows: `bash scripts/readme-screenshots.sh`.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"
flock /tmp/corral-host.lock bun test --timeout 120000 test/ui/real-host.test.ts test/ui/shell.test.ts
mkdir -p docs/screenshots
for name in real-stacks real-hosts real-container container-shell; do
  cp "test-artifacts/ui/$name.png" "docs/screenshots/${name#real-}.png"
done
ls -l docs/screenshots
