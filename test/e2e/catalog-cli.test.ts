/**
 * The catalog on the real Docker engine with the real clients: Rancher 1.6's CLI lists the test
 * catalog (served by `git daemon`) and installs a template from it, which runs with its password
 * answer in the container's environment and in no API view; `corral catalog` upgrades that stack to
 * the next version in service, then rolls it back. Run under the host lock.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main as catalog } from "../../bin/commands/catalog.ts";
import { captureIo } from "../../bin/commands/test-io.ts";
import {
  commitFiles,
  type GitDaemon,
  startGitDaemon,
  testCatalogFiles,
} from "../../server/testing/test-catalog.ts";
import { dockerInspect, type Env, removeDockerLeftovers, runPrefix, startEnv, waitFor } from "./harness.ts";
import { rancherArgv, rancherCliPresent, rancherEnv } from "./rancher-cli-kit.ts";

const present = rancherCliPresent;
const stack = `${runPrefix}wp`.replace(/[^a-z0-9-]/g, "");
const password = "pw-cli-1-Zq8";

let env: Env;
let daemon: GitDaemon;
let work = "";

async function rancher(args: string[]) {
  const proc = Bun.spawn(rancherArgv(env, args), {
    cwd: work,
    stdout: "pipe",
    stderr: "pipe",
    stdin: "ignore",
    env: rancherEnv(work),
  });
  const timer = setTimeout(() => proc.kill(), 120_000);
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  clearTimeout(timer);
  return { code, stdout, stderr };
}

/** The rows of a table the CLI printed, cut at the header's column starts. */
function table(text: string): Record<string, string>[] {
  const lines = text.split("\n").filter((l) => l.trim() !== "" && !l.startsWith("time="));
  const header = lines[0] ?? "";
  const starts = [...header.matchAll(/\S+(?: \S+)*/g)].map((m) => ({ name: m[0], at: m.index }));
  return lines
    .slice(1)
    .map((line) =>
      Object.fromEntries(
        starts.map((c, i) => [c.name, line.slice(c.at, starts[i + 1]?.at ?? line.length).trim()]),
      ),
    );
}

const corralEnv = () => ({
  CORRAL_URL: env.server.url,
  CORRAL_ACCESS_KEY: env.adminKey.accessKey,
  CORRAL_SECRET_KEY: env.adminKey.secretKey,
});

async function stackRow() {
  const res = await env.api.request("GET", env.api.project(`/stacks?name=${stack}`));
  return res.body.data[0];
}

/**
 * The password answer is in the Docker container's environment (the template asked for it there)
 * and in no API view of the stack's services and containers, which keep the `${db_password}` reference.
 */
async function passwordOnlyInDocker(): Promise<void> {
  const containers = (
    await env.api.request("GET", env.api.project("/containers?limit=1000"))
  ).body.data.filter(
    (c: { labels?: Record<string, string>; state: string }) =>
      c.labels?.["io.rancher.stack.name"] === stack && c.state === "running",
  );
  expect(containers.length).toBeGreaterThan(0);
  const services = (await env.api.request("GET", env.api.project("/services?limit=1000"))).body;
  expect(JSON.stringify([containers, services])).not.toContain(password);
  for (const c of containers) {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the reference the API shows
    expect(c.environment.DB_PASSWORD).toBe("${db_password}");
    const inspected = await dockerInspect(c.externalId);
    expect(inspected?.Config.Env).toContain(`DB_PASSWORD=${password}`);
  }
}

beforeAll(async () => {
  if (!present) return;
  work = mkdtempSync(join(tmpdir(), `${runPrefix}catalog-`));
  await commitFiles(join(work, "repos", "library"), testCatalogFiles(), "first");
  daemon = await startGitDaemon(join(work, "repos"));
  env = await startEnv();
  const added = await env.api.request("POST", "/v1-catalog/catalogs", {
    name: "library",
    url: `${daemon.url}library`,
  });
  expect(added.status).toBe(201);
  await waitFor(
    "the catalog fetched",
    async () =>
      (await env.api.request("GET", "/v1-catalog/catalogs/library")).body.state === "active" || undefined,
    60_000,
    200,
  );
}, 120_000);

afterAll(async () => {
  if (!present) return;
  await env?.stop();
  await daemon?.stop();
  await removeDockerLeftovers();
  rmSync(work, { recursive: true, force: true });
}, 60_000);

describe.skipIf(!present)("catalog with the real clients on Docker", () => {
  test("rancher catalog ls lists the user templates, not the infra ones", async () => {
    const ls = await rancher(["catalog", "ls"]);
    expect([ls.code, ls.stderr]).toEqual([0, ""]);
    const rows = table(ls.stdout);
    expect(rows).toContainEqual({
      ID: "library:wordpress",
      NAME: "wordpress",
      CATEGORY: "Test",
      VERSION: "2.0.0",
      "VERSION ID": "library:wordpress:1",
    });
    expect(rows.map((r) => r.ID)).toContain("library:tpl-all");
    expect(rows.map((r) => r.ID)).not.toContain("library:infra*healthcheck");
    const system = table((await rancher(["catalog", "ls", "--system"])).stdout);
    expect(system.map((r) => r.ID).sort()).toEqual([
      "library:infra*healthcheck",
      "library:infra*network-services",
    ]);
    const show = table((await rancher(["catalog", "show", "library:wordpress"])).stdout);
    expect(show).toEqual([
      { ID: "library:wordpress:0", VERSION: "1.0.0" },
      { ID: "library:wordpress:1", VERSION: "2.0.0" },
    ]);
  }, 60_000);

  test("rancher catalog install library:wordpress:0 runs the stack with the answers", async () => {
    writeFileSync(join(work, "answers.yml"), `db_password: ${password}\npublic_port: '8081'\n`);
    const res = await rancher([
      "catalog",
      "install",
      "--name",
      stack,
      "--answers",
      "answers.yml",
      "library:wordpress:0",
    ]);
    expect([res.code, res.stderr]).toEqual([0, ""]);
    const row = await waitFor(
      "the stack active",
      async () => {
        const s = await stackRow();
        return s?.state === "active" && s.healthState === "healthy" ? s : undefined;
      },
      90_000,
      500,
    );
    expect(row.externalId).toBe("catalog://library:wordpress:0");
    expect(row.environment).toEqual({ public_port: "8081" });
    expect(row.upgradeVersions).toEqual({ "2.0.0": "catalog://library:wordpress:1" });
    await passwordOnlyInDocker();
  }, 120_000);

  test("corral catalog upgrade moves it to 2.0.0 in service with the kept answers, --rollback brings 1.0.0 back", async () => {
    const io = captureIo(corralEnv(), work);
    expect(await catalog(["upgrade", stack, "-a", "site_title=Mine", "--timeout", "90"], io)).toBe(0);
    const up = await stackRow();
    expect(up.externalId).toBe("catalog://library:wordpress:1");
    expect(up.environment).toEqual({ public_port: "8081", site_title: "Mine" });
    // The containers of 2.0.0 are made from the kept (sealed) answer.
    await passwordOnlyInDocker();
    const io2 = captureIo(corralEnv(), work);
    expect(await catalog(["upgrade", stack, "--rollback", "--timeout", "90"], io2)).toBe(0);
    const back = await waitFor(
      "rolled back",
      async () => {
        const s = await stackRow();
        return s?.state === "active" ? s : undefined;
      },
      90_000,
      500,
    );
    expect(back.externalId).toBe("catalog://library:wordpress:0");
    expect(back.environment).toEqual({ public_port: "8081" });
    await passwordOnlyInDocker();
    const ls = captureIo(corralEnv(), work);
    expect(await catalog(["ls"], ls)).toBe(0);
    expect(ls.stdout).toContain("library/wordpress");
  }, 200_000);
});
