/**
 * `corral ps`, `scale`, `rm` and `logs` against the real server in process (no host joined), the
 * client's paging, and `bun bin/corral.ts up --help` as a real process.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { RunningServer } from "@corral/server";
import { ApiClient } from "./client.ts";
import { main as logs } from "./logs.ts";
import { main as ps } from "./ps.ts";
import { main as rm } from "./rm.ts";
import { main as scale } from "./scale.ts";
import { captureIo, folder, testServer } from "./test-io.ts";
import { main as up } from "./up.ts";

let server: RunningServer;
let env: Record<string, string>;
let api: ApiClient;
let dir: string;

const compose =
  "version: '2'\nservices:\n  web:\n    image: busybox:1.36\n  db:\n    image: docker:redis\n  ext:\n    image: rancher/external-service\n";
const rancher = "version: '2'\nservices:\n  web:\n    scale: 2\n";

beforeAll(async () => {
  ({ server, env } = testServer());
  api = new ApiClient({
    url: server.url,
    accessKey: env.CORRAL_ACCESS_KEY!,
    secretKey: env.CORRAL_SECRET_KEY!,
  });
  dir = folder("shop", { "docker-compose.yml": compose, "rancher-compose.yml": rancher });
  expect(await up(["-d"], captureIo(env, dir))).toBe(0);
});
afterAll(() => server.stop());

async function service(stackName: string, name: string) {
  const [stack] = (await api.list("/v2-beta/projects/1a2/stacks", { name: stackName })).filter(
    (s) => s.state !== "removed",
  );
  const svcs = await api.list("/v2-beta/projects/1a2/services", { stackId: stack!.id });
  return svcs.find((s) => s.name === name)!;
}

describe("corral ps", () => {
  test("lists services with state, running/desired scale, health and image", async () => {
    const io = captureIo(env, dir);
    expect(await ps([], io)).toBe(0);
    const lines = io.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^NAME\s+STATE\s+SCALE\s+HEALTH\s+IMAGE$/);
    expect(lines.find((l) => l.startsWith("web "))).toMatch(/^web\s+\S+\s+0\/2\s+\S+\s+busybox:1\.36$/);
    expect(lines.map((l) => l.split(/\s+/)[0])).toEqual(["NAME", "db", "ext", "web"]);
  });

  test("-a adds the containers table; -p names another stack; an unknown stack fails", async () => {
    const io = captureIo(env, folder("elsewhere", {}));
    expect(await ps(["-a", "-p", "shop"], io)).toBe(0);
    expect(io.stdout).toMatch(/\nNAME\s+STATE\s+HOST\s+IP\s+HEALTH\n$/);
    const missing = captureIo(env, folder("elsewhere", {}));
    expect(await ps([], missing)).toBe(1);
    expect(missing.stderr).toBe("corral ps: no stack named elsewhere in environment Default\n");
    expect(await ps(["extra"], captureIo(env, dir))).toBe(2);
  });
});

describe("corral scale", () => {
  test("-d sets the scale of several services, STACK/SERVICE included", async () => {
    const io = captureIo(env, folder("other", {}));
    expect(await scale(["-d", "shop/web=4", "shop/db=3"], io)).toBe(0);
    expect(io.stdout).toContain("web: scale 2 -> 4\n");
    expect((await service("shop", "web")).scale).toBe(4);
    expect((await service("shop", "db")).scale).toBe(3);
  });

  test("an unknown service changes nothing and names the services there are", async () => {
    const io = captureIo(env, dir);
    expect(await scale(["-d", "web=1", "nope=2"], io)).toBe(1);
    expect(io.stderr).toBe("corral scale: stack shop has no service named nope (services: db, ext, web)\n");
    expect((await service("shop", "web")).scale).toBe(4);
  });

  test("bad arguments exit 2", async () => {
    for (const args of [[], ["web"], ["web=-1"], ["web=two"], ["--lines", "3", "web=1"]]) {
      const io = captureIo(env, dir);
      expect(await scale(args, io)).toBe(2);
      expect(io.stderr).toContain("corral scale:");
    }
  });

  test("without -d it waits for the containers and times out without a host", async () => {
    const io = captureIo(env, dir);
    expect(await scale(["--timeout", "0.2", "web=1"], io)).toBe(1);
    expect(io.stdout).toMatch(/web: 0\/1 running/);
    expect(io.stderr).toContain("timed out");
    expect(io.stdout).not.toContain("db:");
  });

  test("scale 0 settles at once", async () => {
    const io = captureIo(env, dir);
    expect(await scale(["db=0"], io)).toBe(0);
    expect(io.stdout).toContain("db: 0/0 running");
  });
});

describe("corral logs", () => {
  test("an unknown service fails with the services there are; no containers fails too", async () => {
    const io = captureIo(env, dir);
    expect(await logs(["nope"], io)).toBe(1);
    expect(io.stderr).toContain("no service named nope (services: db, ext, web)");
    const none = captureIo(env, dir);
    expect(await logs(["shop/web"], none)).toBe(1);
    expect(none.stderr).toBe("corral logs: service web has no containers yet\n");
    expect(await logs([], captureIo(env, dir))).toBe(2);
    expect(await logs(["--lines", "x", "web"], captureIo(env, dir))).toBe(2);
  });
});

describe("corral rm", () => {
  test("removes stacks and waits until their services are gone", async () => {
    const other = folder("gone", { "docker-compose.yml": compose });
    expect(await up(["-d"], captureIo(env, other))).toBe(0);
    const io = captureIo(env, other);
    expect(await rm(["gone"], io)).toBe(0);
    expect(io.stdout).toContain("removed stack gone");
    expect(
      (await api.list("/v2-beta/projects/1a2/stacks", { name: "gone" })).filter((s) => s.state !== "removed"),
    ).toHaveLength(0);
  });

  test("-d returns at once; an unknown name removes nothing", async () => {
    const a = folder("a1", { "docker-compose.yml": compose });
    expect(await up(["-d"], captureIo(env, a))).toBe(0);
    const typo = captureIo(env, a);
    expect(await rm(["a1", "nosuch"], typo)).toBe(1);
    expect(typo.stderr).toContain("no stack named nosuch in environment Default; nothing removed");
    expect((await service("a1", "web")).state).not.toBe("removing");
    const io = captureIo(env, a);
    expect(await rm(["-d", "a1"], io)).toBe(0);
    expect(io.stdout).toContain("removing stack a1");
    expect(await rm([], captureIo(env, a))).toBe(2);
  });
});

describe("client", () => {
  test("collections are read through every page", async () => {
    for (const n of ["p1", "p2", "p3"]) {
      expect(await up(["-d", "-p", n], captureIo(env, dir))).toBe(0);
    }
    const all = await api.list("/v2-beta/projects/1a2/stacks", { limit: 1, name_prefix: "p" });
    expect(all.map((s) => s.name).sort()).toEqual(["p1", "p2", "p3"]);
  });
});

describe("corral binary", () => {
  test("`bun bin/corral.ts up --help` prints the usage and exits 0", async () => {
    const root = join(import.meta.dir, "..", "..");
    const proc = Bun.spawn([process.execPath, "bin/corral.ts", "up", "--help"], {
      cwd: root,
      stdout: "pipe",
      stderr: "pipe",
    });
    const [out, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
    expect(code).toBe(0);
    expect(out).toContain("usage: corral up");
    const bad = Bun.spawn([process.execPath, "bin/corral.ts", "scale", "web"], {
      cwd: root,
      stdout: "pipe",
      stderr: "pipe",
      env: { ...process.env, CORRAL_ACCESS_KEY: "", CORRAL_SECRET_KEY: "" },
    });
    const [err, badCode] = await Promise.all([new Response(bad.stderr).text(), bad.exited]);
    expect(badCode).toBe(2);
    expect(err).toContain("corral scale: expected SERVICE=N");
  });
});
