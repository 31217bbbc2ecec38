// The hybrid ISO boots through GRUB (SeaBIOS, as a CD) into the kernel and hands PID 1 to corral.
import { join } from "node:path";
import { repoRoot } from "../../../../qemu/vm.ts";
import { bootTimeoutMs, bootWith, type TestCase } from "../../../lib/harness.ts";

/** ISO boot to `corral init`. */
export const testCase: TestCase = {
  description: "dist/corral.iso boots from CD to corral init (PID 1) on the serial console",
  timeoutMs: bootTimeoutMs + 30_000,
  async run(ctx) {
    const vm = await bootWith(ctx, "iso", { iso: join(repoRoot, "dist/corral.iso") });
    try {
      await vm.waitFor(/CorralOS init \(pid 1\)/, bootTimeoutMs);
    } finally {
      await vm.kill();
    }
  },
};
