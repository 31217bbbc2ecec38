import { describe, expect, test } from "bun:test";
import { generateKeyPairSync, sign } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseUpgradeArgs } from "../cli/os-slots-cmd.ts";
import { grubConfig } from "../install/plan.ts";
import { parseReleases } from "./channel.ts";
import { parseGrubEnv, slotEnv } from "./grubenv.ts";
import { type GateDeps, gateBoot } from "./health-gate.ts";
import { readHistory, readPending, writePending } from "./history.ts";
import { sha256File, verifyRelease } from "./release.ts";

const tmp = () => mkdtempSync(join(tmpdir(), "corral-upgrade-"));

describe("grubenv", () => {
  test("reads the slot variables; anything odd means slot A and nothing to try", () => {
    const text = "# GRUB Environment Block\ncorral_active=B\ncorral_try=A\n##########";
    expect(slotEnv(parseGrubEnv(text))).toEqual({ active: "B", try: "A" });
    expect(slotEnv(parseGrubEnv("corral_active=C\ncorral_try=\n"))).toEqual({ active: "A", try: undefined });
  });
  test("grub.cfg boots corral_try once, clearing it before it boots", () => {
    const cfg = grubConfig({ slotUuids: { A: "a", B: "b" }, append: "" });
    expect(cfg.indexOf("save_env corral_try")).toBeLessThan(cfg.indexOf("menuentry"));
    expect(cfg).toContain('set corral_boot="$corral_try"');
  });
});

describe("release verification", () => {
  const make = async (signer = generateKeyPairSync("ed25519")) => {
    const dir = tmp();
    writeFileSync(join(dir, "vmlinuz"), "kernel");
    writeFileSync(join(dir, "initrd"), "initrd");
    const manifest = JSON.stringify({
      version: "v2",
      sha256: {
        vmlinuz: await sha256File(join(dir, "vmlinuz")),
        initrd: await sha256File(join(dir, "initrd")),
      },
    });
    writeFileSync(join(dir, "release.json"), manifest);
    writeFileSync(
      join(dir, "release.sig"),
      sign(null, Buffer.from(manifest), signer.privateKey).toString("base64"),
    );
    return { dir, pem: signer.publicKey.export({ type: "spki", format: "pem" }).toString() };
  };
  test("a release signed by a trusted key with matching files verifies", async () => {
    const { dir, pem } = await make();
    expect((await verifyRelease(dir, [pem])).version).toBe("v2");
  });
  test("another key, a changed file, garbage signature or no keys are refused", async () => {
    const { dir, pem } = await make();
    const other = generateKeyPairSync("ed25519").publicKey.export({ type: "spki", format: "pem" }).toString();
    await expect(verifyRelease(dir, [other])).rejects.toThrow("signature");
    await expect(verifyRelease(dir, [])).rejects.toThrow("no trusted");
    await expect(verifyRelease(dir, ["not a key"])).rejects.toThrow("signature");
    writeFileSync(join(dir, "initrd"), "tampered");
    await expect(verifyRelease(dir, [pem])).rejects.toThrow("initrd: checksum");
    writeFileSync(join(dir, "release.sig"), "@@@garbage");
    await expect(verifyRelease(dir, [pem])).rejects.toThrow("signature");
    await expect(verifyRelease(tmp(), [pem])).rejects.toThrow("not a CorralOS release");
  });
});

describe("channel", () => {
  test("relative release locations resolve against the releases file", () => {
    const text =
      "releases:\n  - version: v2\n    url: corral-v2.tar\n  - version: v3\n    url: https://x.test/v3.tar\n";
    expect(parseReleases(text, "https://rel.test/os/releases.yml")).toEqual([
      { version: "v2", location: "https://rel.test/os/corral-v2.tar" },
      { version: "v3", location: "https://x.test/v3.tar" },
    ]);
    expect(parseReleases(text, "/srv/os/releases.yml")[0]?.location).toBe("/srv/os/corral-v2.tar");
    expect(() => parseReleases("releases: 5", "c")).toThrow("not a releases file");
    expect(() => parseReleases("{{{", "c")).toThrow("not YAML");
  });
});

describe("corral os upgrade arguments", () => {
  test("one source, known flags only", () => {
    expect(parseUpgradeArgs(["-f", "/home/x.tar", "--no-reboot"])).toMatchObject({
      file: "/home/x.tar",
      reboot: false,
    });
    expect(parseUpgradeArgs(["-i", "v2", "-c", "https://c"])).toMatchObject({
      version: "v2",
      channel: "https://c",
    });
    expect(() => parseUpgradeArgs([])).toThrow("give -f");
    expect(() => parseUpgradeArgs(["-f", "a", "-i", "b"])).toThrow("not both");
    expect(() => parseUpgradeArgs(["-f"])).toThrow("needs a value");
    expect(() => parseUpgradeArgs(["--bogus"])).toThrow("unknown argument");
    expect(parseUpgradeArgs(["-f", "a", "--kexec"])).toMatchObject({ file: "a", reboot: true, kexec: true });
    expect(parseUpgradeArgs(["-f", "a"]).upgradeConsole).toBe(false);
    expect(parseUpgradeArgs(["-f", "a", "--upgrade-console"])).toMatchObject({
      file: "a",
      upgradeConsole: true,
    });
    expect(() => parseUpgradeArgs(["-f", "a", "--kexec", "--no-reboot"])).toThrow(
      "cannot go with --no-reboot",
    );
  });
});

describe("boot health gate", () => {
  const deps = (root: string, over: Partial<GateDeps>) => {
    const calls = { activated: [] as string[], reboots: 0 };
    let now = 10;
    const d: GateDeps = {
      root,
      booted: "B",
      recovery: false,
      readEnv: async () => ({ active: "A" }),
      activate: async (s) => void calls.activated.push(s),
      problems: async () => [],
      stateReady: async () => {},
      version: "v2",
      deadlineS: 100,
      uptimeS: () => now,
      reboot: () => void calls.reboots++,
      log: () => {},
      sleep: async () => {
        now += 30;
      },
      ...over,
    };
    return { d, calls };
  };
  test("a trial slot that becomes healthy is made active", async () => {
    const root = tmp();
    writePending(root, { from: "A", to: "B", version: "v2", requested: "t", status: "pending" });
    let n = 0;
    const { d, calls } = deps(root, { problems: async () => (n++ < 2 ? ["user-docker: starting"] : []) });
    expect(await gateBoot(d)).toBe("promoted");
    expect(calls).toEqual({ activated: ["B"], reboots: 0 });
    expect(readPending(root)).toBeUndefined();
    expect(readHistory(root).map((e) => e.event)).toEqual(["trial-boot", "healthy"]);
  });
  test("a trial slot still unhealthy at its deadline records why and reboots; the old slot closes the trial", async () => {
    const root = tmp();
    writePending(root, { from: "A", to: "B", version: "v2", requested: "t", status: "pending" });
    const { d, calls } = deps(root, { problems: async () => ["user-docker: starting, unhealthy"] });
    expect(await gateBoot(d)).toBe("rolled-back-now");
    expect(calls).toEqual({ activated: [], reboots: 1 });
    expect(readPending(root)?.status).toBe("failed");
    const back = deps(root, { booted: "A", version: "v1" });
    expect(await gateBoot(back.d)).toBe("normal");
    const h = readHistory(root);
    expect(h.map((e) => e.event)).toEqual(["trial-boot", "unhealthy", "rolled-back"]);
    expect(h[2]?.reason).toContain("user-docker: starting, unhealthy");
    expect(readPending(root)).toBeUndefined();
  });
  test("a trial that never booted far enough is recorded by the old slot; one still due is left alone", async () => {
    const root = tmp();
    writePending(root, { from: "A", to: "B", version: "v2", requested: "t", status: "pending" });
    const due = deps(root, { booted: "A", readEnv: async () => ({ active: "A", try: "B" }) });
    expect(await gateBoot(due.d)).toBe("normal");
    expect(readPending(root)?.status).toBe("pending");
    const after = deps(root, { booted: "A" });
    await gateBoot(after.d);
    expect(readHistory(root)[0]?.reason).toContain("never reached its health check");
  });
  test("no installed slot or a recovery boot: nothing to gate", async () => {
    expect(await gateBoot(deps(tmp(), { booted: undefined }).d)).toBe("not-installed");
    expect(await gateBoot(deps(tmp(), { recovery: true }).d)).toBe("recovery");
  });
});
