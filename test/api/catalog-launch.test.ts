/**
 * Stacks from the catalog at the API (no Docker: services wait for hosts): every usable template of
 * the test repository launched, answers checked per question, passwords sealed and never shown,
 * upgrades that keep answers, versions brought by a refresh, and rollback to the earlier version.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
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
import { addCatalog } from "./catalog-kit.ts";
import {
  type Answer,
  adminClient,
  type Client,
  expectStatus,
  nonAuditRows,
  startTestServer,
  until,
} from "./harness.ts";

let server: RunningServer;
let admin: Client;
let daemon: GitDaemon;
let work = "";
let repo = "";
let stacks = "";

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "catalog-launch-"));
  repo = join(work, "repos", "library");
  await commitFiles(repo, testCatalogFiles(), "first");
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

const launch = (name: string, externalId: string, answers: Record<string, string> = {}) =>
  admin.post(stacks, { name, externalId, answers, startOnCreate: false });

/** The services of a stack by name. */
async function services(stack: Answer["body"]): Promise<Record<string, Answer["body"]>> {
  const list = (await admin.get(`${stacks.replace("/stacks", "/services")}?stackId=${stack.id}`)).body.data;
  return Object.fromEntries(list.map((s: { name: string }) => [s.name, s]));
}

describe("launch", () => {
  test("wordpress: plain $VAR files, defaults filled, the password sealed and never shown", async () => {
    const stack = expectStatus(
      await launch("wp", "catalog://library:wordpress:0", { db_password: "pw-one-123" }),
      201,
    ).body;
    expect(stack.externalId).toBe("catalog://library:wordpress:0");
    expect(stack.environment).toEqual({ public_port: "8080" });
    expect(stack.upgradeAvailable).toBe(true);
    expect(stack.upgradeVersions).toEqual({ "2.0.0": "catalog://library:wordpress:1" });
    const shown = JSON.stringify((await admin.get(`${stacks}/${stack.id}`)).body);
    expect(shown).not.toContain("pw-one-123");
    const row = server.store.db
      .query<{ data: string }, []>(`SELECT data FROM resource WHERE type='stack' AND name='wp'`)
      .get()!;
    expect(row.data).not.toContain("pw-one-123");
    const web = (await services(stack)).web;
    // The service keeps the reference; the host is sent the value (catalog-secrets.test.ts).
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the reference the service keeps
    expect(web.launchConfig.environment).toEqual({ DB_PASSWORD: "${db_password}", PORT: "8080" });
    expect(JSON.stringify(web)).not.toContain("pw-one-123");
  });

  test("a .tpl file rendered with each construct, the stack name and the answers", async () => {
    const stack = expectStatus(
      await launch("tpl", "catalog://library:tpl-all:0", { mode: "slow", title: "corral" }),
      201,
    ).body;
    const svc = (await services(stack))["tpl-app"];
    expect(svc).toBeDefined();
    expect(svc.launchConfig.labels).toMatchObject({
      mode: "slow",
      cmp: "ok",
      title: "CORRAL",
      name0: "x",
      name1: "y",
    });
  });

  test("every question type, service and certificate answers from this environment", async () => {
    const ok = await launch("allq", "catalog://library:all-questions:0", {
      s: "abc",
      i: "5",
      b: "false",
      e: "two",
      p: "secret-p",
      m: "line1",
      svc: "wp/web",
      d: "2026-05-01",
      f: "0.5",
    });
    const stack = expectStatus(ok, 201).body;
    expect(stack.environment).toMatchObject({
      s: "abc",
      i: "5",
      b: "false",
      e: "two",
      svc: "wp/web",
      f: "0.5",
    });
    expect(stack.environment.p).toBeUndefined();
  });

  test("the other templates, infra ones included, launch with their defaults", async () => {
    for (const [name, id] of [
      ["redis", "catalog://library:redis:0"],
      ["nginx", "catalog://library:nginx:0"],
      ["multi", "catalog://library:multi:0"],
      ["minimal", "catalog://library:minimal:0"],
      ["half", "catalog://library:half-broken:0"],
      ["netsvc", "catalog://library:infra*network-services:0"],
      ["hc", "catalog://library:infra*healthcheck:0"],
    ])
      expectStatus(await launch(name!, id!), 201);
  });

  test("bad answers, incompatible or broken versions: 4xx naming the problem, nothing written", async () => {
    // Row count, not a fingerprint: the services launched above are still being reconciled.
    const before = nonAuditRows(server);
    const cases: [string, Record<string, string>, string][] = [
      ["catalog://library:wordpress:0", {}, "db_password"],
      ["catalog://library:wordpress:0", { db_password: "x", public_port: "70000" }, "at most 65535"],
      ["catalog://library:redis:0", { maxmemory: "1gb" }, "one of 64mb, 128mb"],
      ["catalog://library:redis:1", {}, "v2.0.0"],
      ["catalog://library:all-questions:0", { s: "ABC" }, "s"],
      ["catalog://library:all-questions:0", { s: "abc", svc: "nope/none" }, "svc"],
      ["catalog://library:all-questions:0", { s: "abc", i: "1.5" }, "whole number"],
      ["catalog://library:all-questions:0", { s: "abc", d: "yesterday" }, "d"],
      ["catalog://library:broken-yaml:0", {}, "broken-yaml"],
      ["catalog://library:half-broken:1", {}, "half-broken"],
      ["catalog://nope:wordpress:0", {}, "nope"],
      ["catalog://library:wordpress", {}, "catalog://"],
      ["catalog://library:tpl-all:0", { mode: "{{" }, ""],
    ];
    for (const [id, answers, says] of cases) {
      const res = await launch(`bad${Math.random().toString(36).slice(2, 7)}`, id, answers);
      if (res.status === 201) throw new Error(`${id} ${JSON.stringify(answers)} was accepted`);
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(res.body.message).toContain(says);
    }
    expect(nonAuditRows(server)).toBe(before);
  });
});

describe("upgrade and rollback", () => {
  test("upgrade keeps the answers and asks the new question; rollback restores files, externalId and answers", async () => {
    const [stack] = (await admin.get(`${stacks}?name=wp`)).body.data;
    const up = await admin.post(`${stacks}/${stack.id}?action=upgrade`, {
      externalId: "catalog://library:wordpress:1",
      answers: { site_title: "Mine" },
    });
    expect(up.status).toBeLessThan(300);
    const after = (await admin.get(`${stacks}/${stack.id}`)).body;
    expect(after.externalId).toBe("catalog://library:wordpress:1");
    expect(after.environment).toEqual({ public_port: "8080", site_title: "Mine" });
    expect(after.upgradeAvailable).toBe(false);
    const web = (await services(after)).web;
    const lc = web.upgrade?.inServiceStrategy?.launchConfig ?? web.launchConfig;
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the kept password stays a reference
    expect(lc.environment).toEqual({ DB_PASSWORD: "${db_password}", PORT: "8080", TITLE: "Mine" });
    expectStatus(await admin.post(`${stacks}/${stack.id}?action=rollback`), 202);
    const back = (await admin.get(`${stacks}/${stack.id}`)).body;
    expect(back.externalId).toBe("catalog://library:wordpress:0");
    expect(back.environment).toEqual({ public_port: "8080" });
    expect(back.dockerCompose).toContain("rev: '0'");
    expect(back.upgradeVersions).toEqual({ "2.0.0": "catalog://library:wordpress:1" });
  });

  test("a refresh bringing a newer version offers it to the stacks upgrade_from allows", async () => {
    const [wp] = (await admin.get(`${stacks}?name=wp`)).body.data;
    await until(
      "wp settled",
      async () => ["active", "inactive"].includes((await admin.get(`${stacks}/${wp.id}`)).body.state),
      30_000,
      100,
    );
    // wp goes to 2.0.0 and is confirmed, then 3.0.0 arrives (from >=2.0.0 only).
    expect(
      (await admin.post(`${stacks}/${wp.id}?action=upgrade`, { externalId: "catalog://library:wordpress:1" }))
        .status,
    ).toBeLessThan(300);
    expect((await admin.post(`${stacks}/${wp.id}?action=finishupgrade`)).status).toBeLessThan(300);
    const files = testCatalogFiles();
    await commitFiles(
      repo,
      {
        "templates/wordpress/2/docker-compose.yml": files["templates/wordpress/1/docker-compose.yml"]!,
        "templates/wordpress/2/rancher-compose.yml": files[
          "templates/wordpress/1/rancher-compose.yml"
        ]!.replace("version: 2.0.0", "version: 3.0.0").replace('">=1.0.0 <2.0.0"', '">=2.0.0"'),
      },
      "wordpress 3.0.0",
    );
    expectStatus(await admin.post("/v1-catalog/catalogs/library?action=refresh"), 200);
    const now = (await admin.get(`${stacks}/${wp.id}`)).body;
    expect(now.upgradeAvailable).toBe(true);
    expect(now.upgradeVersions).toEqual({ "3.0.0": "catalog://library:wordpress:2" });
    const t = (await admin.get("/v1-catalog/templates/library:wordpress")).body;
    expect(Object.keys(t.versionLinks).sort()).toEqual(["1.0.0", "2.0.0", "3.0.0"]);
  });
});
