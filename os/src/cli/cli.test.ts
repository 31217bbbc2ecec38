import { describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serveControl } from "../init/control-socket.ts";
import { shutdown } from "../init/power.ts";
import { Timeline } from "../init/timeline.ts";
import type { ServiceStatus } from "../services/service-status.ts";
import type { CliIo } from "./cli-io.ts";
import { configCommand } from "./config-cmd.ts";
import { osCommand } from "./os-cmd.ts";
import { serviceCommand } from "./service-cmd.ts";

function fakeIo(stdin = "") {
  const root = mkdtempSync(join(tmpdir(), "corral-cli-"));
  mkdirSync(join(root, "proc"));
  writeFileSync(join(root, "proc/cmdline"), "console=ttyS0\n");
  let out = "";
  let err = "";
  const io: CliIo = {
    root,
    initSocket: join(root, "no-init.sock"),
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
    stdin: async () => stdin,
  };
  return { io, root, out: () => out, err: () => err };
}

describe("corral config", () => {
  test("set, get, export, merge", async () => {
    const t = fakeIo("rancher:\n  modules: [nbd]\n");
    expect(await configCommand(["set", "rancher.network.dns.nameservers", "[1.1.1.1]"], t.io)).toBe(0);
    expect(await configCommand(["get", "corral.network.dns.nameservers"], t.io)).toBe(0);
    expect(t.out()).toBe("- 1.1.1.1\n");
    expect(await configCommand(["merge"], t.io)).toBe(0);
    const file = readFileSync(join(t.root, "var/lib/corral/conf/cloud-config.yml"), "utf8");
    expect(file).toStartWith("#cloud-config\n");
    expect(file).toContain("modules:\n    - nbd");
    expect(await configCommand(["export", "--full"], t.io)).toBe(0);
    expect(t.out()).toContain("eth*");
  });

  test("usage errors exit 2, failures 1 with positions", async () => {
    const t = fakeIo();
    expect(await configCommand(["get"], t.io)).toBe(2);
    expect(await configCommand(["frob"], t.io)).toBe(2);
    expect(await configCommand(["set", "corral.ssh.port", "abc"], t.io)).toBe(1);
    expect(t.err()).toContain("corral.ssh.port");
    const bad = join(t.root, "bad.yml");
    writeFileSync(bad, "#cloud-config\nhostname: ok\nwrite_files:\n  - path: rel\n");
    expect(await configCommand(["validate", bad], t.io)).toBe(1);
    expect(t.err()).toContain(`${bad}:4:11: write_files.0.path`);
  });
});

describe("corral service and os", () => {
  test("enable/disable write services_include; list shows it", async () => {
    const t = fakeIo();
    mkdirSync(join(t.root, "usr/share/corral/system-services/ntp"), { recursive: true });
    writeFileSync(
      join(t.root, "usr/share/corral/system-services/ntp/service.yml"),
      "image: ntp\nenabled: false\n",
    );
    expect(await serviceCommand(["enable", "ntp"], t.io)).toBe(0);
    expect(await serviceCommand(["list"], t.io)).toBe(0);
    expect(t.out()).toContain("enabled  ntp");
    expect(await serviceCommand(["disable", "nope"], t.io)).toBe(1);
    expect(t.err()).toContain("no system service 'nope' (have: ntp)");
    expect(await serviceCommand(["up"], t.io)).toBe(1);
    expect(t.err()).toContain("cannot reach corral init");
  });

  test("list and up show state, health, restarts and why, from PID 1", async () => {
    const t = fakeIo();
    for (const name of ["user-docker", "agent"]) {
      mkdirSync(join(t.root, `usr/share/corral/system-services/${name}`), { recursive: true });
      writeFileSync(join(t.root, `usr/share/corral/system-services/${name}/service.yml`), "image: x\n");
    }
    const status: ServiceStatus[] = [
      { name: "user-docker", state: "running", restarts: 1, health: "healthy" },
      { name: "agent", state: "backoff", restarts: 2, error: "exited with code 1" },
    ];
    const control = serveControl(t.io.initSocket, {
      status: () => status,
      reconcile: async () => status,
      power: () => {},
      install: async () => ({ log: [], reboot: false }),
    });
    try {
      expect(await serviceCommand(["list"], t.io)).toBe(0);
      expect(await serviceCommand(["up"], t.io)).toBe(0);
    } finally {
      control.stop();
    }
    expect(t.out().split("\n")).toEqual([
      "enabled  agent                backoff (2 restarts): exited with code 1",
      "enabled  user-docker          running, healthy (1 restart)",
      "user-docker          running, healthy (1 restart)",
      "agent                backoff (2 restarts): exited with code 1",
      "",
    ]);
  });

  test("boot-log prints the timeline", async () => {
    const t = fakeIo();
    const tl = new Timeline(join(t.root, "run/corral/boot.log"), () => 1500);
    tl.phase({ name: "mounts", index: 1, total: 9, ms: 12, ok: true });
    expect(await osCommand(["boot-log"], t.io)).toBe(0);
    expect(t.out()).toBe("[1/9] mounts (12 ms, at 1.500s)\n");
    expect(await osCommand(["reboot", "now"], t.io)).toBe(2);
    expect(await osCommand([], t.io)).toBe(2);
  });

  test("shutdown runs its steps in order even when one fails", async () => {
    const steps: string[] = [];
    await shutdown(
      "poweroff",
      {
        stopServices: async () => void steps.push("services"),
        stopSystemDocker: async () => {
          throw new Error("gone");
        },
        killAll: (s) => void steps.push(s),
        sync: () => void steps.push("sync"),
        unmountAll: async () => void steps.push("umount"),
        reboot: (a) => void steps.push(a),
        log: () => {},
      },
      1,
    );
    expect(steps).toEqual(["services", "SIGTERM", "SIGKILL", "sync", "umount", "sync", "poweroff"]);
  });
});
