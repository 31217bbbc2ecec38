import { expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { callInit, serveControl } from "../init/control-socket.ts";
import { recordEvent } from "../upgrade/history.ts";
import type { OsStatus, UpgradeRequest } from "../upgrade/upgrade.ts";
import type { CliIo } from "./cli-io.ts";
import { osCommand } from "./os-cmd.ts";

function io() {
  const root = mkdtempSync(join(tmpdir(), "corral-os-cli-"));
  let out = "";
  let err = "";
  const cli: CliIo = {
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
    stdin: async () => "",
    root,
    initSocket: join(root, "init.sock"),
  };
  return { cli, root, out: () => out, err: () => err };
}

test("version shows both slots, list the channel, upgrade sends the request; bad input exits 2", async () => {
  const t = io();
  const status: OsStatus = {
    running: "v2",
    booted: "B",
    installed: true,
    env: { active: "A", try: undefined },
    slots: {
      A: { slot: "A", version: "v1", installed: "t1" },
      B: { slot: "B", version: "v2", installed: "t2" },
    },
    trial: { from: "A", to: "B", version: "v2", requested: "t", status: "trying" },
  };
  const asked: UpgradeRequest[] = [];
  const control = serveControl(t.cli.initSocket, {
    status: () => [],
    reconcile: async () => [],
    power: () => {},
    install: async () => ({ log: [], reboot: false }),
    os: {
      status: async () => status,
      list: async (channel) => [{ version: "v3", location: `${channel}/v3.tar` }],
      upgrade: async (req, log) => {
        asked.push(req);
        log("written");
        return {};
      },
      rollback: async () => {
        throw new Error("slot A holds no system to roll back to");
      },
    },
  });
  try {
    expect(await osCommand(["version"], t.cli)).toBe(0);
    expect(t.out()).toContain(
      "CorralOS v2 (slot B)\nslot A: v1 (written t1) [active]\nslot B: v2 (written t2) [booted]\ntrial: slot B (v2) trying\n",
    );
    expect(await osCommand(["list", "-c", "https://rel.test"], t.cli)).toBe(0);
    expect(t.out()).toContain("v3\thttps://rel.test/v3.tar\n");
    expect(await osCommand(["upgrade", "-i", "v3", "--no-reboot"], t.cli)).toBe(0);
    expect(asked[0]).toMatchObject({ version: "v3", upgradeConsole: false });
    expect(await osCommand(["upgrade", "-i", "v3", "--no-reboot", "--upgrade-console"], t.cli)).toBe(0);
    expect(asked[1]).toMatchObject({ version: "v3", upgradeConsole: true });
    // PID 1 refuses a flag of the wrong type, asking nothing of the upgrade.
    await expect(
      callInit(t.cli.initSocket, "POST", "/os/upgrade", {
        version: "v3",
        reboot: false,
        upgradeConsole: "yes",
      }),
    ).rejects.toThrow("upgradeConsole must be true or false");
    expect(asked).toHaveLength(2);
    expect(t.out()).toContain("written\n");
    expect(await osCommand(["upgrade", "-f", "/etc/hostname"], t.cli)).toBe(1);
    expect(t.err()).toContain("under /home or /var/lib/corral");
    expect(await osCommand(["upgrade"], t.cli)).toBe(2);
    expect(await osCommand(["upgrade", "-i", "v3", "--kexec", "--no-reboot"], t.cli)).toBe(2);
    expect(await osCommand(["rollback", "--now"], t.cli)).toBe(2);
    expect(await osCommand(["rollback", "--no-reboot"], t.cli)).toBe(1);
    expect(t.err()).toContain("holds no system");
  } finally {
    control.stop();
  }
});

test("upgrade --kexec asks PID 1 for a kexec, which ends in a kexec shutdown only once the kernel is loaded", async () => {
  const t = io();
  const powered: string[] = [];
  const asked: UpgradeRequest[] = [];
  let loads = true;
  const control = serveControl(t.cli.initSocket, {
    status: () => [],
    reconcile: async () => [],
    power: (a) => void powered.push(a),
    install: async () => ({ log: [], reboot: false }),
    os: {
      status: async () => ({ running: "v1", installed: false }),
      list: async () => [],
      upgrade: async (req, log) => {
        asked.push(req);
        log("written");
        return { version: "v3", slot: "B", kexec: loads && req.kexec === true };
      },
      rollback: async () => ({}),
    },
  });
  const settled = async (n: number) => {
    for (let i = 0; i < 200 && powered.length < n; i++) await Bun.sleep(10);
  };
  try {
    expect(await osCommand(["upgrade", "-i", "v3", "--kexec"], t.cli)).toBe(0);
    expect(asked[0]).toMatchObject({ version: "v3", kexec: true });
    expect(t.out()).toContain("then kexec into the new slot");
    await settled(1);
    expect(powered).toEqual(["kexec"]);
    // without --kexec, or when the upgrade did not load a kernel: a firmware reboot
    expect(await osCommand(["upgrade", "-i", "v3"], t.cli)).toBe(0);
    expect(asked[1]?.kexec).toBe(false);
    await settled(2);
    loads = false;
    expect(await osCommand(["upgrade", "-i", "v3", "--kexec"], t.cli)).toBe(0);
    await settled(3);
    expect(powered).toEqual(["kexec", "reboot", "reboot"]);
    // a bad body is refused by PID 1 before anything is written
    const raw = await fetch("http://init/os/upgrade", {
      method: "POST",
      unix: t.cli.initSocket,
      body: JSON.stringify({ version: "v3", kexec: "yes" }),
    } as RequestInit);
    expect(raw.status).toBe(500);
    expect(((await raw.json()) as { error: string }).error).toContain("kexec must be true or false");
    const noReboot = await fetch("http://init/os/upgrade", {
      method: "POST",
      unix: t.cli.initSocket,
      body: JSON.stringify({ version: "v3", kexec: true, reboot: false }),
    } as RequestInit);
    expect(noReboot.status).toBe(500);
    expect(asked).toHaveLength(3);
  } finally {
    control.stop();
  }
});

test("boot-log shows the slot history after the timeline, or alone with --history", async () => {
  const t = io();
  recordEvent(t.cli.root, {
    event: "rolled-back",
    slot: "A",
    version: "v1",
    reason: "slot B (v2) failed: user-docker: starting",
  });
  expect(await osCommand(["boot-log", "--history"], t.cli)).toBe(0);
  expect(t.out()).toMatch(/rolled-back +slot A v1: slot B \(v2\) failed: user-docker: starting\n$/);
  expect(await osCommand(["boot-log", "--history", "--json"], t.cli)).toBe(0);
  expect(t.out()).toContain('"event":"rolled-back"');
});
