import { describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chooseConsole, consolePinPath, consoleState, readPinnedConsole } from "../init/console-pin.ts";
import { callInit, serveControl } from "../init/control-socket.ts";
import type { CliIo } from "./cli-io.ts";
import { consoleCommand } from "./console-cmd.ts";

/** A root with the default and debian consoles shipped, and PID 1's socket path under run/corral. */
function fakeRoot() {
  const root = mkdtempSync(join(tmpdir(), "corral-console-cli-"));
  mkdirSync(join(root, "proc"));
  writeFileSync(join(root, "proc/cmdline"), "console=ttyS0\n");
  const services = join(root, "usr/share/corral/system-services");
  const ship = (name: string, yaml: string) => {
    mkdirSync(join(services, name), { recursive: true });
    writeFileSync(join(services, name, "service.yml"), yaml);
  };
  ship("console", "image: c\nconsole: default\ndescription: the default\n");
  ship("console-debian", "image: d\nconsole: debian\npersistent: true\ndescription: Debian\n");
  ship("ntp", "image: n\n");
  mkdirSync(join(root, "run/corral"), { recursive: true });
  let out = "";
  let err = "";
  const io: CliIo = {
    root,
    initSocket: join(root, "run/corral/init.sock"),
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
    stdin: async () => "",
  };
  const config = () => readFileSync(join(root, "var/lib/corral/conf/cloud-config.yml"), "utf8");
  return { io, root, out: () => out, err: () => err, config };
}

/**
 * PID 1's control socket with the console handlers of run-init.ts over the fake root; the reconcile
 * a switch asks for is recorded (with the console pinned at that moment) instead of run.
 */
function fakeInit(t: ReturnType<typeof fakeRoot>) {
  const reconciled: string[] = [];
  const pin = join(t.root, consolePinPath);
  const services = join(t.root, "usr/share/corral/system-services");
  const control = serveControl(t.io.initSocket, {
    status: () => [],
    reconcile: async () => [],
    power: () => {},
    install: async () => ({ log: [], reboot: false }),
    console: {
      state: () => consoleState(t.root, services, readPinnedConsole(pin) ?? "default"),
      choose: ({ name, now }) => {
        chooseConsole(t.root, services, name, now);
        if (now) reconciled.push(readPinnedConsole(pin) ?? "");
      },
    },
  });
  return { reconciled, stop: () => control.stop() };
}

describe("corral console", () => {
  test("list shows every console and which runs; enable saves the choice for the next boot", async () => {
    const t = fakeRoot();
    writeFileSync(join(t.root, "run/corral/console"), "default\n");
    const init = fakeInit(t);
    try {
      expect(await consoleCommand(["enable", "debian"], t.io)).toBe(0);
      expect(t.config()).toContain("console: debian");
      expect(await consoleCommand(["list"], t.io)).toBe(0);
    } finally {
      init.stop();
    }
    expect(init.reconciled).toEqual([]);
    expect(t.out().split("\n").slice(1)).toEqual([
      "enabled  debian     persistent Debian",
      "current  default    ephemeral  the default",
      "",
    ]);
  });

  test("rancher.console is read as corral.console", async () => {
    const t = fakeRoot();
    mkdirSync(join(t.root, "var/lib/corral/conf"), { recursive: true });
    writeFileSync(
      join(t.root, "var/lib/corral/conf/cloud-config.yml"),
      "#cloud-config\nrancher:\n  console: debian\n",
    );
    expect(await consoleCommand(["list"], t.io)).toBe(0);
    expect(t.out()).toContain("enabled  debian");
    expect(t.out()).toContain("disabled default");
  });

  test("unknown names and bad usage are errors that change nothing", async () => {
    const t = fakeRoot();
    expect(await consoleCommand(["switch", "alpine"], t.io)).toBe(1);
    expect(t.err()).toContain("no console 'alpine' (have: debian, default)");
    expect(await consoleCommand(["enable", "ntp"], t.io)).toBe(1);
    expect(await consoleCommand(["enable"], t.io)).toBe(2);
    expect(await consoleCommand(["frob"], t.io)).toBe(2);
    expect(() => t.config()).toThrow();
    // Switching needs PID 1; enable does not.
    expect(await consoleCommand(["switch", "debian"], t.io)).toBe(1);
    expect(t.err()).toContain("corral init is not running");
  });

  test("switch pins the console for this boot, saves it, and asks PID 1 to reconcile", async () => {
    const t = fakeRoot();
    writeFileSync(join(t.root, "run/corral/console"), "default\n");
    const init = fakeInit(t);
    const reconciled = init.reconciled;
    try {
      // PID 1 checks the name too (the socket is reachable without the CLI): a 400, nothing changed.
      await expect(
        callInit(t.io.initSocket, "POST", "/console", { name: "alpine", now: true }),
      ).rejects.toThrow("no console 'alpine' (have: debian, default)");
      expect(reconciled).toEqual([]);
      expect(await consoleCommand(["switch", "debian"], t.io)).toBe(0);
      expect(await consoleCommand(["switch", "debian"], t.io)).toBe(0);
    } finally {
      init.stop();
    }
    expect(reconciled).toEqual(["debian", "debian"]);
    expect(t.config()).toContain("console: debian");
    expect(t.out()).toContain(
      "switching to the debian console: this session ends when the default console stops",
    );
    expect(t.out()).toContain("the debian console is already the current one");
  });
});
