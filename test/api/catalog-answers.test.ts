/**
 * Answers as JSON numbers and booleans (what a YAML or JSON answers file gives a script): the API
 * takes them for any question and turns them into the string a template gets (`8081`, `0.5`,
 * `false`), then checks that string against the question. The real `rancher catalog install` with
 * an answers file of unquoted numbers works too (v0.6.14 sends them as strings itself; seen in its
 * request body). No Docker: services wait for hosts.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RunningServer } from "@corral/server";
import { $ } from "bun";
import {
  commitFiles,
  type GitDaemon,
  startGitDaemon,
  testCatalogFiles,
} from "../../server/testing/test-catalog.ts";
import { addCatalog } from "./catalog-kit.ts";
import { adminClient, type Client, expectStatus, nonAuditRows, startTestServer, until } from "./harness.ts";

// The CLI and git on a busy machine take seconds.
setDefaultTimeout(60_000);

const cli = join(import.meta.dir, "..", "..", "..", "shared", "tools", "rancher-cli", "rancher");

let server: RunningServer;
let admin: Client;
let daemon: GitDaemon;
let work = "";
let stacks = "";

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "catalog-answers-"));
  await commitFiles(join(work, "repos", "library"), testCatalogFiles(), "first");
  daemon = await startGitDaemon(join(work, "repos"));
  server = startTestServer({ env: { CORRAL_CATALOG_REFRESH_SECONDS: "0" } });
  admin = adminClient(server);
  stacks = `/v2-beta/projects/${server.admin.defaultProjectId}/stacks`;
  await addCatalog(admin, "library", `${daemon.url}library`);
});

afterAll(async () => {
  await server?.stop();
  await daemon?.stop();
  rmSync(work, { recursive: true, force: true });
});

const launch = (name: string, externalId: string, answers: Record<string, unknown>) =>
  admin.post(stacks, { name, externalId, answers, startOnCreate: false });

describe("numbers and booleans as answers", () => {
  test("int, float and boolean questions take JSON numbers and booleans, kept as their strings", async () => {
    const stack = expectStatus(
      await launch("nums", "catalog://library:all-questions:0", { s: "abc", i: 7, f: 0.25, b: false }),
      201,
    ).body;
    expect(stack.environment).toMatchObject({ s: "abc", i: "7", f: "0.25", b: "false" });
  });

  test("a number is checked as its string is: not whole, out of range; an object is refused", async () => {
    const before = nonAuditRows(server);
    const cases: [Record<string, unknown>, number, RegExp][] = [
      [{ s: "abc", i: 1.5 }, 422, /i must be a whole number, got "1.5"/],
      [{ s: "abc", i: 11 }, 422, /i must be at most 10, got 11/],
      [{ s: "abc", f: 2.5 }, 422, /f must be at most 2, got 2.5/],
      [{ s: "abc", b: 1 }, 422, /b must be true or false, got "1"/],
      [{ s: "abc", i: { n: 1 } }, 422, /answers\.i: must be a string, a number or a boolean/],
      [{ s: "abc", i: [1] }, 422, /answers\.i: must be a string, a number or a boolean/],
    ];
    for (const [answers, status, says] of cases) {
      const res = await launch(
        `bad${Math.random().toString(36).slice(2, 7)}`,
        "catalog://library:all-questions:0",
        answers,
      );
      expect([res.status, res.body.message]).toEqual([status, expect.stringMatching(says)]);
    }
    expect(nonAuditRows(server)).toBe(before);
  });

  test.skipIf(!existsSync(cli))(
    "the real rancher CLI installs with an answers file of unquoted numbers (it sends strings)",
    async () => {
      const dir = join(work, "cli");
      await $`mkdir -p ${dir}`;
      writeFileSync(join(dir, "answers.yml"), "db_password: pw-cli-2\npublic_port: 8082\n");
      const res =
        await $`${cli} --url ${server.url} --access-key ${server.admin.accessKey} --secret-key ${server.admin.secretKey!} --env ${server.admin.defaultProjectId} catalog install --name cliwp --answers answers.yml library:wordpress:0`
          .cwd(dir)
          .env({ HOME: dir, PATH: process.env.PATH ?? "" })
          .nothrow()
          .quiet();
      expect([res.exitCode, res.stderr.toString()]).toEqual([0, ""]);
      const stack = await until(
        "the stack made by the CLI",
        async () => (await admin.get(`${stacks}?name=cliwp`)).body.data[0],
        30_000,
        100,
      );
      expect(stack.externalId).toBe("catalog://library:wordpress:0");
      expect(stack.environment).toEqual({ public_port: "8082" });
    },
  );
});
