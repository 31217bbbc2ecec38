/**
 * The real Rancher 1.6 CLI (v0.6.14, unchanged) against a server with a joined host: every command
 * of its README's list, tables checked row by row. The binary lives beside the repository
 * (`../shared/tools/rancher-cli/rancher`); without it these tests are skipped.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  docker,
  type Env,
  removeDockerLeftovers,
  runPrefix,
  startEnv,
  testImage,
  waitFor,
} from "./harness.ts";
import { rancherArgv, rancherCliPresent, rancherEnv } from "./rancher-cli-kit.ts";

const present = rancherCliPresent;

let env: Env;
let work = "";
const stack = `${runPrefix}cli`.replace(/[^a-z0-9-]/g, "");

/** Runs the CLI in `work` against the test server; `tty` gives it a terminal (exec needs one). */
async function rancher(args: string[], options: { tty?: boolean; timeoutMs?: number } = {}) {
  const base = rancherArgv(env, args);
  const quoted = base.map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ");
  const argv = options.tty ? ["script", "-qec", quoted, "/dev/null"] : base;
  const proc = Bun.spawn(argv, {
    cwd: work,
    stdout: "pipe",
    stderr: "pipe",
    env: rancherEnv(work),
  });
  const timer = setTimeout(() => proc.kill(), options.timeoutMs ?? 60_000);
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  clearTimeout(timer);
  return { code, stdout, stderr };
}

/** Polls with room for a loaded machine: each check runs the CLI, so not too often. */
function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  return waitFor(what, check, timeoutMs, 500);
}

/** A table the CLI printed, as rows of cells cut at the header's column positions (cells may be empty). */
function table(text: string): Record<string, string>[] {
  const lines = text.split("\n").filter((l) => l.trim() !== "" && !l.startsWith("time="));
  const header = lines[0] ?? "";
  const starts = [...header.matchAll(/\S+(?: \S+)*/g)].map((m) => ({ name: m[0], at: m.index }));
  return lines
    .slice(1)
    .map((line) =>
      Object.fromEntries(
        starts.map((col, i) => [col.name, line.slice(col.at, starts[i + 1]?.at ?? line.length).trim()]),
      ),
    );
}

function composeFiles(message: string): void {
  writeFileSync(
    join(work, "docker-compose.yml"),
    [
      "version: '2'",
      "services:",
      "  web:",
      `    image: ${testImage}`,
      `    command: ["sh", "-c", "trap 'exit 0' TERM; while true; do echo ${message}; sleep 1; done & wait"]`,
      "",
    ].join("\n"),
  );
  writeFileSync(
    join(work, "rancher-compose.yml"),
    [
      "version: '2'",
      "services:",
      "  web:",
      "    scale: 2",
      "    upgrade_strategy:",
      "      start_first: true",
      "",
    ].join("\n"),
  );
}

beforeAll(async () => {
  if (!present) return;
  work = mkdtempSync(join(tmpdir(), `${runPrefix}rancher-cli-`));
  env = await startEnv();
}, 90_000);

afterAll(async () => {
  if (!present) return;
  await env?.stop();
  await removeDockerLeftovers();
  await docker("volume", "rm", "-f", `${stack}-data`);
  rmSync(work, { recursive: true, force: true });
}, 60_000);

describe.skipIf(!present)("the real rancher CLI", () => {
  test("env ls / env create, hosts ls, stacks ls on an empty environment", async () => {
    const envs = await rancher(["env", "ls"]);
    expect(envs.code).toBe(0);
    expect(table(envs.stdout)).toEqual([
      expect.objectContaining({ ID: env.server.admin.defaultProjectId, NAME: "Default", STATE: "active" }),
    ]);
    const created = await rancher(["env", "create", `${stack}-env`]);
    expect([created.code, created.stderr]).toEqual([0, ""]);
    const id = created.stdout.trim();
    expect(id).toMatch(/^1a\d+$/);
    expect(table((await rancher(["env", "ls"])).stdout).map((r) => [r.ID, r.NAME])).toContainEqual([
      id,
      `${stack}-env`,
    ]);
    const hosts = table((await rancher(["hosts", "ls"])).stdout);
    expect(hosts).toEqual([expect.objectContaining({ ID: env.hostId, STATE: "active", CONTAINERS: "0" })]);
    const stacks = await rancher(["stacks", "ls"]);
    expect([stacks.code, table(stacks.stdout)]).toEqual([0, []]);
  }, 60_000);

  test("up -d with docker-compose.yml and rancher-compose.yml, then ps, ps -c, stacks ls", async () => {
    composeFiles("hello-v1");
    const up = await rancher(["up", "-s", stack, "-d"], { timeoutMs: 120_000 });
    expect(up.code).toBe(0);
    // It prints the service's id among its log lines (logrus writes to stdout here).
    const serviceId = up.stdout
      .split("\n")
      .find((l) => /^1s\d+$/.test(l.trim()))
      ?.trim();
    expect(serviceId).toMatch(/^1s\d+$/);
    await until("two running containers", async () => {
      const rows = table((await rancher(["ps", "-c"])).stdout).filter((r) =>
        r.NAME?.startsWith(`${stack}-web-`),
      );
      return rows.length === 2 && rows.every((r) => r.STATE === "running") ? rows : undefined;
    });
    const ps = table((await rancher(["ps"])).stdout);
    expect(ps).toEqual([
      expect.objectContaining({
        ID: serviceId,
        TYPE: "service",
        NAME: `${stack}/web`,
        IMAGE: testImage,
        SCALE: "2/2",
      }),
    ]);
    const containers = table((await rancher(["ps", "-c"])).stdout);
    expect(containers.map((r) => [r.NAME, r.IMAGE, r.STATE, r.HOST]).sort()).toEqual([
      [`${stack}-web-1`, testImage, "running", env.hostId],
      [`${stack}-web-2`, testImage, "running", env.hostId],
    ]);
    const stacks = table((await rancher(["stacks", "ls"])).stdout);
    expect(stacks).toEqual([expect.objectContaining({ NAME: stack, SERVICES: "1", SYSTEM: "false" })]);
    // It counts the host's instanceIds: the two containers the host runs now.
    const hosts = table((await rancher(["hosts", "ls"])).stdout);
    expect(hosts).toEqual([expect.objectContaining({ ID: env.hostId, STATE: "active", CONTAINERS: "2" })]);
  }, 180_000);

  test("scale, logs, exec (through a terminal), inspect", async () => {
    expect((await rancher(["scale", `${stack}/web=3`])).code).toBe(0);
    await until("three running containers", async () => {
      const rows = table((await rancher(["ps", "-c"])).stdout).filter((r) => r.STATE === "running");
      return rows.length === 3 ? rows : undefined;
    });
    const logs = await until("log lines", async () => {
      const r = await rancher(["logs", "--tail", "2", `${stack}-web-1`]);
      return r.stdout.includes("hello-v1") ? r : undefined;
    });
    expect(logs.code).toBe(0);
    const exec = await rancher(["exec", `${stack}-web-1`, "echo", "from-exec"], { tty: true });
    expect(exec.code).toBe(0);
    expect(exec.stdout).toContain("from-exec");
    const inspect = await rancher(["inspect", `${stack}/web`]);
    expect(inspect.code).toBe(0);
    const service = JSON.parse(inspect.stdout);
    expect([service.type, service.name, service.scale, service.launchConfig.imageUuid]).toEqual([
      "service",
      "web",
      3,
      `docker:${testImage}`,
    ]);
  }, 120_000);

  test("up --upgrade, --confirm-upgrade, then --upgrade and --rollback", async () => {
    composeFiles("hello-v2");
    const upgrade = await rancher(
      ["up", "-s", stack, "-d", "--upgrade", "--batch-size", "1", "--interval", "100"],
      {
        timeoutMs: 180_000,
      },
    );
    expect(upgrade.code).toBe(0);
    await until(
      "upgraded",
      async () => {
        const [row] = table((await rancher(["ps"])).stdout);
        return row?.STATE === "upgraded" ? row : undefined;
      },
      120_000,
    );
    expect((await rancher(["up", "-s", stack, "-d", "--confirm-upgrade"], { timeoutMs: 120_000 })).code).toBe(
      0,
    );
    await until(
      "active again with new containers only",
      async () => {
        const [row] = table((await rancher(["ps"])).stdout);
        return row?.STATE !== "upgraded" && row?.SCALE === "3/3" ? row : undefined;
      },
      120_000,
    );
    const logs = await until("the new command's output", async () => {
      const rows = table((await rancher(["ps", "-c"])).stdout).filter((r) => r.STATE === "running");
      const r = await rancher(["logs", "--tail", "2", rows[0]!.NAME!]);
      return r.stdout.includes("hello-v2") ? r : undefined;
    });
    expect(logs.stdout).not.toContain("hello-v1");

    composeFiles("hello-v3");
    expect(
      (
        await rancher(["up", "-s", stack, "-d", "--upgrade", "--batch-size", "1", "--interval", "100"], {
          timeoutMs: 180_000,
        })
      ).code,
    ).toBe(0);
    await until(
      "upgraded to v3",
      async () => {
        const [row] = table((await rancher(["ps"])).stdout);
        return row?.STATE === "upgraded" ? row : undefined;
      },
      120_000,
    );
    expect((await rancher(["up", "-s", stack, "-d", "--rollback"], { timeoutMs: 120_000 })).code).toBe(0);
    await until(
      "rolled back to v2",
      async () => {
        const services = JSON.parse((await rancher(["inspect", `${stack}/web`])).stdout);
        return services.state === "active" && services.launchConfig.command.join(" ").includes("hello-v2")
          ? services
          : undefined;
      },
      120_000,
    );
  }, 600_000);

  test("stop, start; wait; events; restart", async () => {
    expect((await rancher(["stop", `${stack}/web`])).code).toBe(0);
    await until("inactive", async () => {
      const s = JSON.parse((await rancher(["inspect", `${stack}/web`])).stdout);
      return s.state === "inactive" ? s : undefined;
    });
    expect(table((await rancher(["ps"])).stdout)).toEqual([]);
    expect(table((await rancher(["ps", "-a"])).stdout)).toEqual([
      expect.objectContaining({ NAME: `${stack}/web`, STATE: "inactive" }),
    ]);
    expect((await rancher(["start", `${stack}/web`])).code).toBe(0);
    const wait = await rancher(["wait", `${stack}/web`], { timeoutMs: 120_000 });
    expect(wait.code).toBe(0);
    expect((await rancher(["inspect", `${stack}/web`])).stdout).toContain('"state":"active"');
    // events streams until stopped: read what it prints while a change happens.
    const proc = Bun.spawn(rancherArgv(env, ["events"]), {
      cwd: work,
      stdout: "pipe",
      stderr: "pipe",
      env: rancherEnv(work),
    });
    await Bun.sleep(1500);
    const scaled = await rancher(["scale", `${stack}/web=2`]);
    expect([scaled.code, scaled.stderr]).toEqual([0, ""]);
    await until("scaled to 2", async () => {
      const s = JSON.parse((await rancher(["inspect", `${stack}/web`])).stdout);
      return s.scale === 2 && s.currentScale === 2 ? s : undefined;
    });
    proc.kill();
    const printed = await new Response(proc.stdout).text();
    expect(printed).toContain(`service`);
    expect(printed).toContain(`[web]`);
    expect((await rancher(["restart", `${stack}/web`])).code).toBe(0);
    const restarted = await rancher(["wait", `${stack}/web`], { timeoutMs: 120_000 });
    expect(restarted.code).toBe(0);
    expect((await rancher(["inspect", `${stack}/web`])).stdout).toContain('"state":"active"');
  }, 240_000);

  test("volume create, ls, rm: a named Docker volume on the environment's host", async () => {
    const name = `${stack}-data`;
    const created = await rancher(["volume", "create", "--driver", "local", name]);
    expect(created.code).toBe(0);
    await until("volume active", async () => {
      const row = table((await rancher(["volume", "ls"])).stdout).find((r) => r.NAME === name);
      return row?.STATE === "active" ? row : undefined;
    });
    expect((await docker("volume", "inspect", name)).code).toBe(0);
    expect((await rancher(["volume", "rm", name])).code).toBe(0);
    await until("volume gone from ls and from Docker", async () => {
      const rows = table((await rancher(["volume", "ls"])).stdout).filter((r) => r.NAME === name);
      return rows.length === 0 && (await docker("volume", "inspect", name)).code !== 0 ? true : undefined;
    });
  }, 120_000);

  test("export writes the stack's compose files; rm removes the stack", async () => {
    const exported = await rancher(["export", stack]);
    expect(exported.code).toBe(0);
    expect(readFileSync(join(work, stack, "docker-compose.yml"), "utf8")).toContain(testImage);
    expect(readFileSync(join(work, stack, "rancher-compose.yml"), "utf8")).toContain("web");
    expect((await rancher(["rm", stack])).code).toBe(0);
    await until(
      "stack gone",
      async () => {
        const rows = table((await rancher(["stacks", "ls"])).stdout).filter((r) => r.NAME === stack);
        return rows.length === 0 ? true : undefined;
      },
      120_000,
    );
    await until(
      "containers gone from Docker",
      async () => {
        const left = (await docker("ps", "-aq", "--filter", `name=${stack}-web-`)).stdout;
        return left === "" ? true : undefined;
      },
      120_000,
    );
  }, 180_000);

  test("secrets create and ls: the secret is listed by name, its value never shown", async () => {
    const value = `cli-secret-${runPrefix}`;
    await Bun.write(join(work, "secret.txt"), value);
    const created = await rancher(["secrets", "create", `${stack}-pass`, "secret.txt"]);
    expect(created.code).toBe(0);
    const id = created.stdout.trim();
    expect(id).toMatch(/^1sec\d+$/);
    const ls = await rancher(["secrets", "ls"]);
    expect(table(ls.stdout).map((r) => [r.ID, r.NAME])).toContainEqual([id, `${stack}-pass`]);
    const json = await rancher(["secrets", "ls", "--format", "json"]);
    expect(json.stdout).toContain(`${stack}-pass`);
    expect(`${ls.stdout}${json.stdout}`).not.toContain(value);
    expect((await rancher(["rm", id])).code).toBe(0);
    const after = await rancher(["secrets", "ls"]);
    expect(table(after.stdout).map((r) => r.ID)).not.toContain(id);
  }, 60_000);
});
