/**
 * `corral catalog` against the real server in process (no host joined) and a test catalog served by
 * `git daemon`: ls, show, install with answers, upgrade with a new answer, rollback, and bad input.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RunningServer } from "@corral/server";
import {
  commitFiles,
  type GitDaemon,
  startGitDaemon,
  testCatalogFiles,
} from "../../server/testing/test-catalog.ts";
import { main as catalog } from "./catalog.ts";
import { captureIo, testServer } from "./test-io.ts";

let server: RunningServer;
let env: Record<string, string>;
let daemon: GitDaemon;
let work = "";

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "corral-catalog-cli-"));
  await commitFiles(join(work, "repos", "library"), testCatalogFiles(), "first");
  daemon = await startGitDaemon(join(work, "repos"));
  ({ server, env } = testServer());
  const auth = `Basic ${btoa(`${env.CORRAL_ACCESS_KEY}:${env.CORRAL_SECRET_KEY}`)}`;
  const headers = { Authorization: auth, "Content-Type": "application/json" };
  await fetch(`${server.url}/v1-catalog/catalogs`, {
    method: "POST",
    headers,
    body: JSON.stringify({ name: "library", url: `${daemon.url}library` }),
  });
  for (let i = 0; i < 300; i++) {
    const c = (await (await fetch(`${server.url}/v1-catalog/catalogs/library`, { headers })).json()) as {
      state: string;
    };
    if (c.state === "active") break;
    await Bun.sleep(100);
  }
});

afterAll(async () => {
  await server?.stop();
  await daemon?.stop();
  rmSync(work, { recursive: true, force: true });
});

async function run(...argv: string[]) {
  const io = captureIo(env, work);
  const code = await catalog(argv, io);
  return { code, out: io.stdout, err: io.stderr };
}

test("ls, --system and show", async () => {
  const ls = await run("ls");
  expect(ls.code).toBe(0);
  expect(ls.out).toMatch(/wordpress\s+Test\s+library\/wordpress\s+2\.0\.0\s+active/);
  expect(ls.out).toMatch(/broken-yaml .*broken: config\.yml/);
  expect(ls.out).not.toContain("healthcheck");
  expect((await run("ls", "--system")).out).toContain("library/healthcheck");
  const show = await run("show", "library/wordpress:1.0.0");
  expect(show.out).toContain("versions: 1.0.0, 2.0.0 (default 2.0.0)");
  expect(show.out).toContain("db_password (password, required): Database password");
});

test("install with answers, upgrade with a new one, roll back", async () => {
  const install = await run(
    "install",
    "library/wordpress:1.0.0",
    "--name",
    "wp",
    "-a",
    "db_password=pw",
    "-d",
  );
  expect([install.code, install.err]).toEqual([0, ""]);
  expect(install.out).toContain("from library:wordpress:0");
  const up = await run("upgrade", "wp", "-a", "site_title=New", "-d");
  expect([up.code, up.err]).toEqual([0, ""]);
  expect(up.out).toContain("upgrading stack wp to 2.0.0 (catalog://library:wordpress:1)");
  const back = await run("upgrade", "wp", "--rollback", "-d");
  expect(back.code).toBe(0);
  const again = await run("upgrade", "wp", "9.9.9", "-d");
  expect(again.code).toBe(1);
  expect(again.err).toContain("can go to 2.0.0, not 9.9.9");
});

test("bad input: clear messages, exit codes 1 and 2", async () => {
  expect((await run("install", "nonsense")).code).toBe(2);
  const missing = await run("install", "library/wordpress:1.0.0", "--name", "wp2", "-d");
  expect(missing.code).toBe(1);
  expect(missing.err).toContain("db_password");
  expect((await run("install", "library/nope", "-d")).code).toBe(1);
  expect((await run("frobnicate")).code).toBe(2);
  expect((await run("install", "library/wordpress", "-a", "novalue")).code).toBe(2);
});
