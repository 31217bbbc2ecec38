// Consoles: `corral console list` shows the default console current; `switch debian` moves the ssh
// console to the persistent Debian one while a User Docker container started before keeps running
// (never restarted) and /home stays; after one reboot the Debian console comes back by itself with
// its root filesystem as it was left (a file written under /etc there), /home still shared; with
// force_console_rebuild set, the next boot makes it anew from its image (the file gone, /home kept)
// and sets the switch back.
// Measured: 309 s under TCG on 2 shared cores, of which ~110 s from the switch to an ssh login in
// the Debian console (mostly loading its 107 MB image into System Docker at the first switch).
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

const inDebian = "grep -qx ID=debian /etc/os-release";

/** Console switching and persistence. */
export const testCase: TestCase = {
  description:
    "console list/switch to debian keeps User Docker and /home; debian's rootfs survives a reboot; force_console_rebuild makes it anew",
  timeoutMs: 1_500_000,
  async run(ctx) {
    const { key, pub } = await keyPair(ctx.dir);
    const disk = join(ctx.dir, "state.raw");
    const cloudConfig = `#cloud-config\nssh_authorized_keys:\n  - ${pub}\n`;
    const first = await bootWith(ctx, "first", { cloudConfig, stateDisk: disk });
    try {
      await first.waitFor(/CorralOS init \(pid 1\)/, bootTimeoutMs);
      await waitSsh(first, key, 300_000);
      const list = await ssh(first, key, "corral console list");
      check(/^current +default +ephemeral/m.test(list.stdout), `console list: ${list.stdout}${list.stderr}`);
      check(/^disabled +debian +persistent/m.test(list.stdout), `console list: ${list.stdout}`);
      const unknown = await ssh(first, key, "corral console switch alpine");
      check(
        unknown.code === 1 && unknown.stderr.includes("no console 'alpine'"),
        `unknown console: ${unknown.code} ${unknown.stderr}`,
      );
      await loadTestImage(first, key, ctx.dir);
      const run = await ssh(first, key, "docker run -d --name keeper corral-test/busybox sleep 100000");
      check(run.code === 0, `docker run failed: ${run.stderr}`);
      const started = (
        await ssh(first, key, "docker inspect -f '{{.State.StartedAt}}' keeper")
      ).stdout.trim();
      check(started !== "", "keeper has no start time");
      const home = await ssh(first, key, "echo kept > /home/corral/switch.txt");
      check(home.code === 0, `writing /home failed: ${home.stderr}`);
      // The session ends when the default console stops: any exit code is fine here.
      const sw = await ssh(first, key, "corral console switch debian");
      ctx.log(`switch: code ${sw.code} ${sw.stdout.trim()} ${sw.stderr.trim()}`);
      const t0 = Date.now();
      await waitSsh(first, key, 300_000, inDebian);
      ctx.log(`ssh lands in the Debian console ${Date.now() - t0} ms after the switch`);
      const after = (
        await ssh(first, key, "docker inspect -f '{{.State.Running}} {{.State.StartedAt}}' keeper")
      ).stdout.trim();
      check(
        after === `true ${started}`,
        `User Docker's container after the switch: '${after}' (was started ${started})`,
      );
      const kept = await ssh(first, key, "cat /home/corral/switch.txt");
      check(kept.stdout.trim() === "kept", `/home after the switch: '${kept.stdout.trim()}' ${kept.stderr}`);
      const list2 = await ssh(first, key, "corral console list");
      check(/^current +debian/m.test(list2.stdout), `console list after the switch: ${list2.stdout}`);
      // A change to the console's own root filesystem (what apt-get install would make), as root.
      const mark = await ssh(
        first,
        key,
        "sudo sh -c 'echo persisted > /etc/corral-console-mark' && dpkg -s sudo",
      );
      check(mark.code === 0, `sudo / dpkg in the Debian console: ${mark.stderr}`);
      await powerOff(first, key);
    } finally {
      await first.kill();
    }
    ctx.log("first boot done; rebooting with the same disk");
    const second = await bootWith(ctx, "second", { stateDisk: disk });
    try {
      await second.waitFor(/CorralOS init \(pid 1\)/, bootTimeoutMs);
      await waitSsh(second, key, 300_000, inDebian);
      const mark = await ssh(second, key, "cat /etc/corral-console-mark /home/corral/switch.txt");
      check(mark.stdout === "persisted\nkept\n", `after the reboot: '${mark.stdout}' ${mark.stderr}`);
      // RancherOS's switch, set by the console user (PID 1 writes the root-owned config): it acts at
      // the next boot only, so this session goes on.
      const set = await ssh(second, key, "corral config set rancher.force_console_rebuild true");
      check(set.code === 0, `config set force_console_rebuild: ${set.code} ${set.stderr}`);
      const still = await ssh(second, key, "cat /etc/corral-console-mark");
      check(still.stdout === "persisted\n", `the console was rebuilt before the reboot: ${still.stderr}`);
      await powerOff(second, key);
    } finally {
      await second.kill();
    }
    const third = await bootWith(ctx, "third", { stateDisk: disk });
    try {
      await third.waitFor(
        /the debian console is made anew from its image \(force_console_rebuild\)/,
        bootTimeoutMs,
      );
      await waitSsh(third, key, 300_000, inDebian);
      const after = await ssh(
        third,
        key,
        "test ! -e /etc/corral-console-mark && cat /home/corral/switch.txt && corral config get corral.force_console_rebuild",
      );
      check(
        after.code === 0 && after.stdout === "kept\nfalse\n",
        `after force_console_rebuild: code ${after.code} '${after.stdout}' ${after.stderr}`,
      );
    } finally {
      await third.kill();
    }
  },
};
