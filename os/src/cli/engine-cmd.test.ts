import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AppError } from "@corral/lib";
import type { EngineRequest } from "../engines/engine-control.ts";
import { callInit, serveControl } from "../init/control-socket.ts";
import type { CliIo } from "./cli-io.ts";
import { configCommand } from "./config-cmd.ts";
import { engineCommand, formatEngineList, parseEngineArgs } from "./engine-cmd.ts";
import { parseTlsArgs, tlsCommand } from "./tls-cmd.ts";

/** A control socket answering engine routes from a fake PID 1 that knows two engines. */
function pid1() {
  const dir = mkdtempSync(join(tmpdir(), "corral-engine-cli-"));
  const calls: [EngineRequest, boolean][] = [];
  const settings: [string, unknown][] = [];
  let current = "docker-20.10.24";
  const socket = join(dir, "init.sock");
  const server = serveControl(socket, {
    status: () => [],
    reconcile: async () => [],
    power: () => {},
    install: async () => ({ log: [], reboot: false }),
    engine: {
      status: () => ({
        current,
        enabled: "docker-26.1.5",
        engines: [
          { version: "docker-20.10.24", builtin: true },
          { version: "docker-26.1.5", builtin: false, file: "/var/lib/corral/engines/docker-26.1.5.tar.gz" },
        ],
      }),
      choose: async (req, now) => {
        calls.push([req, now]);
        if (!req.version.includes("26.1.5"))
          throw new AppError("NotFound", `no engine docker-${req.version} on this machine`);
        if (now) current = "docker-26.1.5";
        return "docker-26.1.5";
      },
      tlsServer: async (hosts) => [`/var/lib/corral/docker-tls/server-cert.pem for ${hosts.join(",")}`],
      tlsClient: async () => ({ ca: "CA\n", cert: "CERT\n", key: "KEY\n" }),
    },
    config: {
      set: async (key, value) => void settings.push([key, value]),
      get: (key) => (key === "corral.upgrade.health_timeout" ? 120 : undefined),
      export: (full) => ({ hostname: full ? "merged" : "user" }),
    },
  });
  let out = "";
  let err = "";
  const io: CliIo = {
    root: dir,
    initSocket: socket,
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
    stdin: async () => "",
  };
  return { io, dir, calls, settings, out: () => out, err: () => err, stop: () => server.stop() };
}

describe("corral engine", () => {
  test("list, switch and enable through PID 1", async () => {
    const p = pid1();
    try {
      expect(await engineCommand(["list"], p.io)).toBe(0);
      expect(p.out()).toBe("current  docker-20.10.24 (built in)\nenabled  docker-26.1.5 (next boot)\n");
      expect(await engineCommand(["switch", "26.1.5"], p.io)).toBe(0);
      expect(p.out()).toContain("User Docker runs docker-26.1.5\n");
      expect(
        await engineCommand(["enable", "docker-26.1.5", "-f", "/home/corral/docker-26.1.5.tar.gz"], p.io),
      ).toBe(0);
      expect(p.out()).toContain("docker-26.1.5 enabled: User Docker runs it from the next boot\n");
      expect(p.calls).toEqual([
        [{ version: "26.1.5" }, true],
        [{ version: "docker-26.1.5", file: "/home/corral/docker-26.1.5.tar.gz" }, false],
      ]);
    } finally {
      p.stop();
    }
  });

  test("an unknown version fails with PID 1's reason; bad arguments are usage errors", async () => {
    const p = pid1();
    try {
      expect(await engineCommand(["switch", "19.03"], p.io)).toBe(1);
      expect(p.err()).toContain("corral: no engine docker-19.03 on this machine");
      expect(await engineCommand(["switch"], p.io)).toBe(2);
      expect(await engineCommand(["switch", "1", "2"], p.io)).toBe(2);
      expect(await engineCommand(["list", "x"], p.io)).toBe(2);
      expect(await engineCommand(["create", "x"], p.io)).toBe(2);
      expect(p.calls.length).toBe(1);
    } finally {
      p.stop();
    }
    expect(parseEngineArgs(["-f", "e.tar.gz", "26.1.5"])).toEqual({ version: "26.1.5", file: "e.tar.gz" });
    expect(() => parseEngineArgs(["26.1.5", "-f"])).toThrow("takes a FILE");
    expect(
      formatEngineList({
        current: "docker-26.1.5",
        enabled: "docker-26.1.5",
        engines: [
          { version: "docker-20.10.24", builtin: true },
          { version: "docker-26.1.5", builtin: false },
        ],
      }),
    ).toBe("disabled docker-20.10.24 (built in)\ncurrent  docker-26.1.5\n");
  });
});

test("PID 1 sets a config key for the console user; a request without a key is refused", async () => {
  const p = pid1();
  try {
    await callInit(p.io.initSocket, "POST", "/config/set", { key: "rancher.docker.tls", value: true });
    expect(p.settings).toEqual([["rancher.docker.tls", true]]);
    await expect(callInit(p.io.initSocket, "POST", "/config/set", { value: true })).rejects.toThrow(
      "key must be text",
    );
    expect(p.settings.length).toBe(1);
  } finally {
    p.stop();
  }
});

test("the console user's config get, export and set go through PID 1 (the config is root's)", async () => {
  const p = pid1();
  try {
    const user = { ...p.io, uid: 1100 };
    expect(await configCommand(["get", "corral.upgrade.health_timeout"], user)).toBe(0);
    expect(await configCommand(["get", "corral.nothing"], user)).toBe(0);
    expect(await configCommand(["export"], user)).toBe(0);
    expect(await configCommand(["export", "--full"], user)).toBe(0);
    expect(p.out()).toBe("120\nhostname: user\nhostname: merged\n");
    expect(await configCommand(["set", "rancher.force_console_rebuild", "true"], user)).toBe(0);
    expect(p.settings).toEqual([["rancher.force_console_rebuild", true]]);
    await expect(callInit(p.io.initSocket, "POST", "/config/get", {})).rejects.toThrow("key must be text");
    await expect(callInit(p.io.initSocket, "POST", "/config/export", { full: "yes" })).rejects.toThrow(
      "full must be true or false",
    );
  } finally {
    p.stop();
  }
});

describe("corral tls gen", () => {
  test("client certificates land in the folder given, the key 0600; the server's stay with PID 1", async () => {
    const p = pid1();
    try {
      const dir = join(p.dir, "dot-docker");
      expect(await tlsCommand(["gen", "-d", dir], p.io)).toBe(0);
      expect(readFileSync(join(dir, "cert.pem"), "utf8")).toBe("CERT\n");
      expect(readFileSync(join(dir, "ca.pem"), "utf8")).toBe("CA\n");
      expect(statSync(join(dir, "key.pem")).mode & 0o777).toBe(0o600);
      expect(statSync(dir).mode & 0o777).toBe(0o700);
      expect(await tlsCommand(["gen", "--server", "-H", "box", "-H", "10.0.0.5"], p.io)).toBe(0);
      expect(p.out()).toContain("server-cert.pem for box,10.0.0.5");
      expect(await tlsCommand(["gen", "--server", "-d", dir], p.io)).toBe(2);
      expect(await tlsCommand(["gen", "-H", "x"], p.io)).toBe(2);
      expect(await tlsCommand(["make"], p.io)).toBe(2);
    } finally {
      p.stop();
    }
    expect(parseTlsArgs(["--server"])).toEqual({ server: true, hosts: [] });
  });
});
