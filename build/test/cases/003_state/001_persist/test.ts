// With a state disk, a reboot keeps the config, the ssh keys and User Docker's containers.
import { join } from "node:path";
import {
  bootTimeoutMs,
  bootWith,
  check,
  keyPair,
  loadTestImage,
  powerOff,
  ssh,
  type TestCase,
  waitSsh,
} from "../../../lib/harness.ts";

/** State partition persistence across a reboot. */
export const testCase: TestCase = {
  description: "with a state disk, config, ssh keys and user containers survive a reboot",
  timeoutMs: 1_200_000,
  async run(ctx) {
    const { key, pub } = await keyPair(ctx.dir);
    const disk = join(ctx.dir, "state.raw");
    const cloudConfig = `#cloud-config\nhostname: corral-persist\nssh_authorized_keys:\n  - ${pub}\n`;
    const first = await bootWith(ctx, "first", { cloudConfig, stateDisk: disk });
    try {
      await first.waitFor(/CorralOS init \(pid 1\)/, bootTimeoutMs);
      await waitSsh(first, key, 300_000);
      await loadTestImage(first, key, ctx.dir);
      const run = await ssh(
        first,
        key,
        "docker run -d --restart always --name keeper corral-test/busybox sleep 100000",
      );
      check(run.code === 0, `docker run failed: ${run.stderr}`);
      await powerOff(first, key);
    } finally {
      await first.kill();
    }
    ctx.log("first boot done; rebooting with the same disk and no cloud-config");
    const second = await bootWith(ctx, "second", { stateDisk: disk });
    try {
      await second.waitFor(/CorralOS init \(pid 1\)/, bootTimeoutMs);
      // The key came from the first boot's cloud-config only: logging in proves it persisted.
      await waitSsh(second, key, 300_000);
      const host = await ssh(second, key, "hostname");
      check(host.stdout.trim() === "corral-persist", `hostname after reboot: '${host.stdout.trim()}'`);
      const deadline = Date.now() + 120_000;
      let ps = "";
      while (Date.now() < deadline && !ps.includes("keeper")) {
        ps = (await ssh(second, key, "docker ps --format '{{.Names}}'")).stdout;
        if (!ps.includes("keeper")) await Bun.sleep(3000);
      }
      check(ps.includes("keeper"), `user container not running after reboot: ${ps}`);
    } finally {
      await second.kill();
    }
  },
};
