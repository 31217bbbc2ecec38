import { describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { rebootCommand } from "../init/libc.ts";
import { type PowerOps, rebootCommandOf, rebootNow, shutdown } from "../init/power.ts";
import { grubConfig } from "../install/plan.ts";
import type { Host } from "../system/host.ts";
import type { DiskLayout } from "./disk.ts";
import { gateBoot } from "./health-gate.ts";
import { readHistory, readPending, writePending } from "./history.ts";
import { loadSlotKernel, prepareKexec, slotCmdline } from "./kexec.ts";

const cfg = grubConfig({ slotUuids: { A: "aaaa-1", B: "bbbb-2" }, append: "corral.debug=true rd.x=1" });
const layout: DiskLayout = { boot: "/dev/vda2", slots: { A: "/dev/vda3", B: "/dev/vda4" } };

describe("the kexec command line", () => {
  test("is what GRUB gives the slot's normal entry, BOOT_IMAGE first, install options included", () => {
    expect(slotCmdline(cfg, "B")).toBe(
      "BOOT_IMAGE=/vmlinuz console=tty1 console=ttyS0,115200n8 panic=10 quiet corral.slot=B corral.debug=true rd.x=1",
    );
    expect(slotCmdline(cfg, "A")).toContain(" quiet corral.slot=A corral.debug=true");
    // never the recovery entry of the slot
    expect(slotCmdline(cfg, "A")).not.toContain("corral.recovery");
  });
  test("matches the corral.slot= the booted system reads (disk.ts's bootedSlot)", () => {
    for (const s of ["A", "B"] as const) {
      const m = /(?:^|\s)corral\.slot=([AB])(?:\s|$)/.exec(slotCmdline(cfg, s));
      expect(m?.[1]).toBe(s);
    }
  });
  test("a grub.cfg without the slot's entry, its linux line or its slot is refused, not guessed", () => {
    expect(() => slotCmdline("set timeout=1\n", "A")).toThrow("no entry for slot A");
    const noLinux = 'menuentry "x" --id slot-B {\n  initrd /initrd\n}\nlinux /vmlinuz corral.slot=B\n';
    expect(() => slotCmdline(noLinux, "B")).toThrow("has no linux line");
    const wrong = 'menuentry "x" --id slot-B {\n  linux /vmlinuz quiet corral.slot=A\n}\n';
    expect(() => slotCmdline(wrong, "B")).toThrow("does not pass corral.slot=B alone");
    const twice = 'menuentry "x" --id slot-B {\n  linux /vmlinuz corral.slot=B corral.slot=A\n}\n';
    expect(() => slotCmdline(twice, "B")).toThrow("alone");
  });
});

/** A host whose mount puts grub.cfg on the boot partition and whose kexec marks a kernel loaded. */
function fakeHost(opts: { kexecFails?: boolean; loadedAfter?: string; editenvFails?: boolean } = {}) {
  const root = mkdtempSync(join(tmpdir(), "corral-kexec-"));
  const calls: string[] = [];
  const host: Host = {
    root,
    async run(file, args) {
      calls.push([file, ...args].join(" "));
      if (file === "mount" && args.at(-2) === layout.boot) {
        const at = join(root, args.at(-1) ?? "", "boot/grub");
        mkdirSync(at, { recursive: true });
        writeFileSync(join(at, "grub.cfg"), cfg);
      }
      if (file === "kexec" && args[0] === "-l") {
        if (opts.kexecFails) throw new Error("kexec -l failed: Cannot load /run/corral/mnt/vda4/vmlinuz");
        mkdirSync(join(root, "sys/kernel"), { recursive: true });
        writeFileSync(join(root, "sys/kernel/kexec_loaded"), opts.loadedAfter ?? "1\n");
      }
      if (file === "grub-editenv" && opts.editenvFails) throw new Error("grub-editenv: read-only");
      return "";
    },
  };
  return { host, calls };
}

describe("loading the slot for kexec", () => {
  test("reads grub.cfg, loads the slot's files with its command line, then clears corral_try", async () => {
    const { host, calls } = fakeHost();
    const log: string[] = [];
    await prepareKexec(host, layout, "B", (l) => void log.push(l));
    const kexecAt = calls.findIndex((c) => c.startsWith("kexec -l"));
    expect(calls[kexecAt]).toBe(
      `kexec -l /run/corral/mnt/vda4/vmlinuz --initrd=/run/corral/mnt/vda4/initrd --command-line=${slotCmdline(cfg, "B")}`,
    );
    // the slot is mounted (read-only) around the load, and unmounted before anything else
    expect(calls[kexecAt - 1]).toBe("mount -t ext4 -o ro /dev/vda4 /run/corral/mnt/vda4");
    expect(calls.slice(kexecAt + 1, kexecAt + 3)).toEqual(["sync", "umount /run/corral/mnt/vda4"]);
    const clear = calls.findIndex((c) => c.startsWith("grub-editenv"));
    expect(calls[clear]).toBe("grub-editenv /run/corral/mnt/vda2/boot/grub/grubenv set corral_try=");
    expect(clear).toBeGreaterThan(kexecAt);
    expect(log[0]).toContain("corral.slot=B");
  });
  test("a failed load leaves grubenv alone (the slot still boots at the next reboot) and says so", async () => {
    const { host, calls } = fakeHost({ kexecFails: true });
    await expect(prepareKexec(host, layout, "B", () => {})).rejects.toThrow(
      "slot B is written and boots once at the next reboot, but kexec could not load it: kexec -l failed",
    );
    expect(calls.some((c) => c.startsWith("grub-editenv"))).toBe(false);
  });
  test("a kernel that kexec did not leave loaded is refused", async () => {
    const { host } = fakeHost({ loadedAfter: "0\n" });
    await expect(loadSlotKernel(host, layout, "A")).rejects.toThrow("kexec_loaded says '0'");
  });
  test("when grubenv cannot be cleared the loaded kernel is dropped", async () => {
    const { host, calls } = fakeHost({ editenvFails: true });
    await expect(prepareKexec(host, layout, "A", () => {})).rejects.toThrow("grubenv could not be updated");
    expect(calls.at(-1)).toBe("kexec -u");
  });
});

describe("the kexec shutdown", () => {
  test("stops everything in the same order as a reboot, then jumps with reboot(2)'s kexec command", async () => {
    const steps: string[] = [];
    const ops: PowerOps = {
      stopServices: async () => void steps.push("services"),
      stopSystemDocker: async () => void steps.push("system-docker"),
      killAll: (s) => void steps.push(`kill ${s}`),
      sync: () => void steps.push("sync"),
      unmountAll: async () => void steps.push("unmount"),
      reboot: (a) => void steps.push(`final ${a}`),
      log: () => {},
    };
    await shutdown("kexec", ops, 0);
    const kexecSteps = [...steps];
    steps.length = 0;
    await shutdown("reboot", ops, 0);
    expect(kexecSteps).toEqual([...steps.slice(0, -1), "final kexec"]);
    expect(kexecSteps.slice(0, 2)).toEqual(["services", "system-docker"]);
    expect(rebootCommandOf("kexec")).toBe(0x45584543);
  });
  test("a kexec the kernel refuses falls back to a firmware restart", () => {
    const cmds: number[] = [];
    const refusesKexec = (c: number) => {
      cmds.push(c);
      return c === rebootCommand.kexec ? -1 : 0;
    };
    rebootNow("kexec", refusesKexec);
    expect(cmds).toEqual([rebootCommand.kexec, rebootCommand.restart]);
    cmds.length = 0;
    rebootNow("reboot", (c) => {
      cmds.push(c);
      return -1;
    });
    expect(cmds).toEqual([rebootCommand.restart]);
  });
});

describe("boot counting after a kexec", () => {
  test("the kexec'd slot is on trial; failing it, the next real reboot boots the old slot, which closes the trial", async () => {
    const root = mkdtempSync(join(tmpdir(), "corral-kexec-gate-"));
    writePending(root, { from: "A", to: "B", version: "v2", requested: "t", status: "pending" });
    // grubenv as prepareKexec leaves it: B was marked try-once, then cleared before the jump
    const env = { active: "A" as const, try: undefined };
    const booted = /corral\.slot=([AB])/.exec(slotCmdline(cfg, "B"))?.[1] as "B";
    let now = 10;
    let reboots = 0;
    const base = {
      root,
      recovery: false,
      readEnv: async () => env,
      activate: async () => {
        throw new Error("an unhealthy slot must not be activated");
      },
      stateReady: async () => {},
      deadlineS: 60,
      uptimeS: () => now,
      reboot: () => void reboots++,
      log: () => {},
      sleep: async () => {
        now += 30;
      },
    };
    const trial = await gateBoot({
      ...base,
      booted,
      version: "v2",
      problems: async () => ["user-docker: starting"],
    });
    expect(trial).toBe("rolled-back-now");
    expect(reboots).toBe(1);
    // GRUB then boots corral_active (A): corral_try is empty, so B is not tried a second time
    expect(await gateBoot({ ...base, booted: "A", version: "v1", problems: async () => [] })).toBe("normal");
    expect(readPending(root)).toBeUndefined();
    expect(readHistory(root).map((e) => e.event)).toEqual(["trial-boot", "unhealthy", "rolled-back"]);
  });
});
