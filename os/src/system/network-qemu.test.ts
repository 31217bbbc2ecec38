// The bond + VLAN + bridge config applied by the real kernel that has bonding and 8021q (this
// machine's has neither): Debian's kernel from the image build's sysroot boots in QEMU (TCG) with
// three virtio NICs and a busybox initramfs, runs the steps CorralOS generates with busybox `ip`
// (the image's own), and prints what sysfs says. Run it under the host lock:
//   flock /tmp/corral-host.lock bun test os/src/system/network-qemu.test.ts
// Skipped when no image build has left its sysroot in ~/.cache/corral-build.
import { describe, expect, test } from "bun:test";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { homedir, tmpdir } from "node:os";
import { basename, join } from "node:path";
import { execa } from "execa";
import { bondVlanBridge } from "../../testing/network-configs.ts";
import type { CorralConfig } from "../config/config-schema.ts";
import { parseConfigText } from "../config/load-config.ts";
import { networkCommands } from "./network.ts";

function findSysroot(): string | undefined {
  const cache = join(homedir(), ".cache/corral-build");
  if (!existsSync(cache)) return undefined;
  // Only a finished one (.done): an image build running beside this test fills sysroot-*.tmp.
  for (const d of readdirSync(cache).filter((n) => n.startsWith("sysroot-") && !n.endsWith(".tmp"))) {
    if (!existsSync(join(cache, d, ".done"))) continue;
    const boot = join(cache, d, "boot");
    if (existsSync(boot) && readdirSync(boot).some((f) => f.startsWith("vmlinuz-"))) return join(cache, d);
  }
  return undefined;
}

const sysroot = findSysroot();
const why = !sysroot
  ? "no image build sysroot in ~/.cache/corral-build"
  : !existsSync("/usr/bin/qemu-system-x86_64") || !existsSync("/usr/bin/cpio")
    ? "qemu-system-x86_64 or cpio missing"
    : "";
if (why) console.warn(`skipping QEMU network test: ${why}`);

/** Single-quotes one word for sh. */
const q = (w: string) => `'${w.replace(/'/g, "'\\''")}'`;

/** The module files to insmod, dependencies first, from the kernel's modules.dep. */
function moduleOrder(modDir: string, wanted: string[]): string[] {
  const dep = new Map<string, string[]>();
  for (const line of readFileSync(join(modDir, "modules.dep"), "utf8").split("\n")) {
    const [m, deps = ""] = line.split(":");
    if (m) dep.set(m, deps.trim().split(/\s+/).filter(Boolean));
  }
  const byName = new Map([...dep.keys()].map((p) => [basename(p, ".ko").replace(/-/g, "_"), p]));
  const order: string[] = [];
  const add = (p: string) => {
    if (order.includes(p)) return;
    for (const d of [...(dep.get(p) ?? [])].reverse()) add(d);
    order.push(p);
  };
  for (const w of wanted) {
    const p = byName.get(w);
    if (p) add(p);
  }
  return order;
}

describe.skipIf(why !== "")("network config on Debian's kernel in QEMU (three NICs)", () => {
  test("bond (active-backup, miimon) of two NICs, VLANs on it, one VLAN and a NIC in a bridge", async () => {
    const root = sysroot as string;
    const kver = readdirSync(join(root, "lib/modules"))[0] as string;
    const modDir = join(root, "lib/modules", kver);
    const dir = mkdtempSync(join(tmpdir(), "corral-netvm-"));
    try {
      const rd = join(dir, "rd");
      for (const d of ["bin", "m", "proc", "sys", "dev"]) mkdirSync(join(rd, d), { recursive: true });
      copyFileSync("/bin/busybox", join(rd, "bin/busybox"));
      const mods = moduleOrder(modDir, ["virtio_pci", "virtio_net", "bonding", "8021q", "bridge"]);
      for (const m of mods) copyFileSync(join(modDir, m), join(rd, "m", basename(m)));
      const config = parseConfigText(`#cloud-config\n${bondVlanBridge}`, "qemu.yml") as CorralConfig;
      const links = [1, 2, 3].map((i) => ({ name: `eth${i - 1}`, mac: `52:54:00:00:00:0${i}` }));
      // As setupNetwork does, a link that exists already is taken as it is (the bonding driver
      // makes bond0 when it loads).
      const steps = networkCommands(config, links)
        .map(([f, a]) => {
          const made =
            f === "ip" && a[1] === "add" ? (a.includes("name") ? a[a.indexOf("name") + 1] : a[2]) : undefined;
          const cmd = `${[f, ...a].map(q).join(" ")} || echo "STEP FAILED: ${f} ${a.join(" ").replace(/["$`\\]/g, "")}"`;
          return made ? `[ -e /sys/class/net/${made} ] || ${cmd}` : cmd;
        })
        .join("\n");
      writeFileSync(
        join(rd, "init"),
        `#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
for m in ${mods.map((m) => basename(m)).join(" ")}; do insmod /m/$m 2>/dev/null; done
i=0; while [ ! -e /sys/class/net/eth2 ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i+1)); done
${steps}
echo "===RESULT"
for l in /sys/class/net/*; do n=\${l##*/}; m=$(readlink $l/master); echo "LINK $n master=\${m##*/} mtu=$(cat $l/mtu)"; done
echo "BOND mode=$(cat /sys/class/net/bond0/bonding/mode) miimon=$(cat /sys/class/net/bond0/bonding/miimon) slaves=$(cat /sys/class/net/bond0/bonding/slaves)"
echo "BRIDGE $(ls /sys/class/net/br0/brif | tr '\\n' ' ')"
sed 's/^/VLAN /' /proc/net/vlan/config
ip -4 -o addr | sed 's/^/ADDR /'
ip route | sed 's/^/ROUTE /'
echo "===END"
poweroff -f
`,
        { mode: 0o755 },
      );
      // The kernel opens /dev/console of the initramfs for init's output before anything is mounted.
      await execa("mknod", [join(rd, "dev/console"), "c", "5", "1"]);
      await execa("sh", ["-c", `cd ${q(rd)} && find . | cpio -o -H newc --quiet | gzip -1 > ../initrd.gz`]);
      const nics = links.flatMap((l, i) => [
        "-netdev",
        `user,id=n${i},restrict=on`,
        "-device",
        `virtio-net-pci,netdev=n${i},mac=${l.mac}`,
      ]);
      const vmlinuz = readdirSync(join(root, "boot")).find((f) => f.startsWith("vmlinuz-")) as string;
      const t0 = Date.now();
      const r = await execa(
        "qemu-system-x86_64",
        [
          "-accel",
          "tcg",
          "-cpu",
          "max",
          "-m",
          "256",
          "-nographic",
          "-no-reboot",
          "-kernel",
          join(root, "boot", vmlinuz),
          "-initrd",
          join(dir, "initrd.gz"),
          "-append",
          "console=ttyS0 panic=-1 quiet",
          ...nics,
        ],
        { reject: false, timeout: 240_000 },
      );
      const out = r.stdout.replace(/\r/g, "");
      console.info(`QEMU network boot: ${Date.now() - t0} ms`);
      const result = out.slice(out.indexOf("===RESULT"), out.indexOf("===END"));
      if (!result) throw new Error(`no result from the guest: ${out.slice(-2000)}`);
      expect(out).not.toContain("STEP FAILED");
      expect(result).toContain("BOND mode=active-backup 1 miimon=100 slaves=eth0 eth1");
      expect(result).toContain("LINK eth0 master=bond0");
      expect(result).toContain("LINK eth1 master=bond0");
      expect(result).toContain("LINK eth2 master=br0");
      expect(result).toContain("LINK vl200 master=br0");
      expect(result).toContain("LINK bond0.100 master= mtu=1400");
      expect(result).toMatch(/BRIDGE eth2 vl200/);
      expect(result).toMatch(/VLAN bond0\.100\s+\| 100\s+\| bond0/);
      expect(result).toMatch(/VLAN vl200\s+\| 200\s+\| bond0/);
      expect(result).toMatch(/ADDR \d+: bond0\s+inet 10\.1\.0\.2\/24/);
      expect(result).toMatch(/ADDR \d+: bond0\.100\s+inet 10\.100\.0\.2\/24/);
      expect(result).toMatch(/ADDR \d+: br0\s+inet 10\.2\.0\.2\/24/);
      expect(result).toContain("ROUTE default via 10.1.0.1 dev bond0");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
