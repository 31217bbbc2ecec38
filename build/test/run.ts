#!/usr/bin/env bun
// Image tests: boots the built image in QEMU per case (build/test/cases/NNN_group/NNN_name/test.ts)
// and checks what a user would check. Slow (TCG), so gated: runs only with CORRAL_IMAGE_TESTS=1.
//   CORRAL_IMAGE_TESTS=1 bun build/test/run.ts [name-filter...]
// Builds the image first (cached) unless CORRAL_IMAGE_NO_BUILD=1. Ends with one line
// `N passed, N failed[, N skipped]`; exit code 1 when any case failed.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { join, relative } from "node:path";
import { ConsoleStalled, guestLockedUp, repoRoot } from "../qemu/vm.ts";
import type { TestCase } from "./lib/harness.ts";

const casesDir = join(import.meta.dir, "cases");
const files = [...new Bun.Glob("*/*/test.ts").scanSync(casesDir)].sort();
const filters = process.argv.slice(2);
const selected = files.filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));

if (process.env.CORRAL_IMAGE_TESTS !== "1") {
  console.log(`image tests skipped (set CORRAL_IMAGE_TESTS=1 to boot ${selected.length} cases in QEMU)`);
  console.log(`0 passed, 0 failed, ${selected.length} skipped`);
  process.exit(0);
}

const tools = Bun.spawn(["bash", join(import.meta.dir, "host-tools.sh")], {
  stdout: "inherit",
  stderr: "inherit",
});
if ((await tools.exited) !== 0) {
  console.log(`0 passed, ${selected.length} failed`);
  process.exit(1);
}

if (process.env.CORRAL_IMAGE_NO_BUILD !== "1") {
  const b = Bun.spawn(["bash", join(repoRoot, "build/build.sh")], { stdout: "inherit", stderr: "inherit" });
  if ((await b.exited) !== 0) {
    console.log(`0 passed, ${selected.length} failed`);
    process.exit(1);
  }
}

/** Runs one case with its time limit; resolves with its error, or null when it passed. */
async function attempt(tc: TestCase, dir: string, log: (msg: string) => void): Promise<unknown> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`timed out after ${tc.timeoutMs ?? 600_000} ms`)),
        tc.timeoutMs ?? 600_000,
      );
    });
    await Promise.race([tc.run({ dir, log }), timeout]);
    return null;
  } catch (e) {
    return e;
  } finally {
    clearTimeout(timer);
  }
}

/** True when a guest kernel of this case reported a soft lockup on its serial console. */
function lockedUp(dir: string): boolean {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".log"))
    .some((f) => guestLockedUp(readFileSync(join(dir, f), "latin1")));
}

let passed = 0;
let failed = 0;
for (const file of selected) {
  const name = file.replace(/\/test\.ts$/, "");
  const dir = join(repoRoot, "dist/test-runs", name);
  const mod = (await import(join(casesDir, file))) as { testCase: TestCase };
  const tc = mod.testCase;
  const started = Date.now();
  const log = (msg: string) => console.log(`  [${name}] ${msg}`);
  console.log(`RUN  ${name}: ${tc.description}`);
  let error: unknown = null;
  // Under TCG both vCPUs of a guest sometimes spin for good in its kernel (seen in the shell-init
  // baseline too, about once in 40 boots here), or the guest prints nothing for minutes before its
  // kernel runs: an emulator fault, not the image's. Such a case is booted once more, saying so;
  // any other failure counts at once.
  rmSync(`${dir}.lockup`, { recursive: true, force: true });
  for (let n = 1; n <= 2; n++) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    error = await attempt(tc, dir, log);
    const emulatorFault = lockedUp(dir) || error instanceof ConsoleStalled;
    if (error === null || !emulatorFault || n === 2) break;
    // The locked-up attempt's console logs are kept beside the new run's, as evidence.
    renameSync(dir, `${dir}.lockup`);
    log(
      `guest stalled or locked up under QEMU TCG (${error instanceof Error ? error.message : error}); booting the case again (logs of the first try: ${relative(process.cwd(), `${dir}.lockup`)})`,
    );
  }
  if (error === null) {
    passed++;
    console.log(`PASS ${name} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
  } else {
    failed++;
    console.log(
      `FAIL ${name} (${((Date.now() - started) / 1000).toFixed(0)} s): ${error instanceof Error ? error.message : error}`,
    );
    console.log(`     artifacts: ${relative(process.cwd(), dir)}`);
  }
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
