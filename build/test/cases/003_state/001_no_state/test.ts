// Without a state disk the OS runs from RAM: a reboot is a clean boot (nothing from the last one).
import {
  bootTimeoutMs,
  bootWith,
  check,
  keyPair,
  loadTestImage,
  ssh,
  type TestCase,
  waitSsh,
} from "../../../lib/harness.ts";

/** RAM-only boots start clean. */
export const testCase: TestCase = {
  description: "without a state disk, a reboot is a clean boot: no old containers, files or config",
  timeoutMs: 1_200_000,
  async run(ctx) {
    const { key, pub } = await keyPair(ctx.dir);
    const first = await bootWith(ctx, "first", {
      cloudConfig: `#cloud-config\nhostname: corral-ram\nssh_authorized_keys:\n  - ${pub}\n`,
    });
    try {
      await first.waitFor(/no state partition: running from RAM/, bootTimeoutMs);
      await waitSsh(first, key, 300_000);
      await loadTestImage(first, key, ctx.dir);
      await ssh(
        first,
        key,
        "docker run -d --name gone corral-test/busybox sleep 100000; touch /home/corral/marker",
      );
    } finally {
      await first.kill();
    }
    // Same key again (a machine without state needs its cloud-config every boot), different name.
    const second = await bootWith(ctx, "second", {
      cloudConfig: `#cloud-config\nhostname: corral-ram2\nssh_authorized_keys:\n  - ${pub}\n`,
    });
    try {
      await second.waitFor(/no state partition: running from RAM/, bootTimeoutMs);
      await waitSsh(second, key, 300_000);
      const r = await ssh(
        second,
        key,
        "hostname; docker ps -a --format '{{.Names}}'; ls /home/corral/marker 2>&1",
      );
      check(r.stdout.includes("corral-ram2"), `hostname: ${r.stdout}`);
      check(!r.stdout.includes("gone"), `old container still there: ${r.stdout}`);
      check(/No such file/.test(r.stdout), `old file still there: ${r.stdout}`);
    } finally {
      await second.kill();
    }
  },
};
