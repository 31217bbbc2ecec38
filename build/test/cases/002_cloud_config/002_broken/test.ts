// A broken cloud-config never hangs the boot silently: the recovery console says what is wrong,
// on the serial console, within 60 s of the kernel starting.
import { bootTimeoutMs, bootWith, check, type TestCase } from "../../../lib/harness.ts";

/** Recovery console on bad config. */
export const testCase: TestCase = {
  description: "a broken cloud-config shows the recovery console with the error within 60 s of boot",
  timeoutMs: bootTimeoutMs + 120_000,
  async run(ctx) {
    // Valid YAML with a key the schema rejects, and a typed value of the wrong type.
    const cloudConfig = "#cloud-config\ncorral:\n  no_such_key: 1\n  server:\n    enabled: maybe-not\n";
    const vm = await bootWith(ctx, "broken", { cloudConfig });
    try {
      await vm.waitFor(/CorralOS init \(pid 1\)/, bootTimeoutMs);
      // Measured from PID 1's first line (the kernel and the ~120 MB initramfs take a varying
      // 10-20 s of TCG time before it, the same for any config).
      const t0 = Date.now();
      const m = await vm.waitFor(/\*\*\* CorralOS boot failed in phase '([^']+)':\r?\n([^\n]*)/, 60_000);
      ctx.log(`recovery console after ${Date.now() - t0} ms: phase '${m[1]}': ${m[2]}`);
      check(/no_such_key|enabled|server/.test(vm.console()), "the error does not name the bad key");
    } finally {
      await vm.kill();
    }
  },
};
