/**
 * The catalog against a real git server: a repository of our own (server/testing/test-catalog.ts)
 * served by `git daemon` on loopback, added through `/v1-catalog`, listed, refreshed, broken on
 * purpose; stacks launched from every template, upgraded across versions with answers kept, and
 * rolled back. No Docker: stacks are checked at the API (services wait for hosts).
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
  rowsFingerprint,
  settledFingerprint,
  startTestServer,
  until,
} from "./harness.ts";

let server: RunningServer;
let admin: Client;
let anon: Client;
let daemon: GitDaemon;
let work = "";
let repo = "";
let pid = "";

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "catalog-api-"));
  repo = join(work, "repos", "library");
  await commitFiles(repo, testCatalogFiles(), "first");
  daemon = await startGitDaemon(join(work, "repos"));
  server = startTestServer({ env: { CORRAL_CATALOG_REFRESH_SECONDS: "0" } });
  admin = adminClient(server);
  anon = admin.as(null);
  pid = server.admin.defaultProjectId;
  await addCatalog(admin, "library", `${daemon.url}library`);
});

afterAll(async () => {
  await server?.stop();
  await daemon?.stop();
  rmSync(work, { recursive: true, force: true });
});

const templates = async (query = "") =>
  (await admin.get(`/v1-catalog/templates${query}`)).body.data as Answer["body"][];

describe("catalogs and templates", () => {
  test("every template is listed, broken ones with their reason, infra ones under templateBase infra", async () => {
    const all = await templates();
    const byId = Object.fromEntries(all.map((t) => [t.id, t]));
    expect(Object.keys(byId).sort()).toEqual(
      [
        "library:all-questions",
        "library:broken-yaml",
        "library:half-broken",
        "library:infra*healthcheck",
        "library:infra*network-services",
        "library:minimal",
        "library:multi",
        "library:nginx",
        "library:no-versions",
        "library:redis",
        "library:tpl-all",
        "library:wordpress",
      ].sort(),
    );
    expect(byId["library:broken-yaml"]!.state).toBe("broken");
    expect(byId["library:broken-yaml"]!.transitioningMessage).toContain("config.yml");
    expect(byId["library:no-versions"]!.transitioningMessage).toBe("no version folder (N/)");
    expect(byId["library:half-broken"]!.state).toBe("active");
    expect(byId["library:half-broken"]!.transitioningMessage).toContain("1/docker-compose.yml: missing");
    expect(byId["library:infra*healthcheck"]!.templateBase).toBe("infra");
    expect(byId["library:infra*healthcheck"]!.path).toBe("library/infra*healthcheck");
    const wp = byId["library:wordpress"]!;
    expect(wp.defaultVersion).toBe("2.0.0");
    expect(Object.keys(wp.versionLinks).sort()).toEqual(["1.0.0", "2.0.0"]);
    expect(wp.links.icon).toEndWith("/v1-catalog/templates/library:wordpress/icon");
    // A version needing a newer Rancher than v1.6.30 is not offered.
    expect(Object.keys(byId["library:redis"]!.versionLinks)).toEqual(["1.0.0"]);
  });

  test("the filters Rancher's CLI sends, and unknown filters refused", async () => {
    const cli = await templates("?minimumRancherVersion_lte=v1.6.30&category_ne=system");
    expect(cli.length).toBe(12);
    expect((await templates("?templateBase=infra")).map((t) => t.id).sort()).toEqual([
      "library:infra*healthcheck",
      "library:infra*network-services",
    ]);
    expect((await templates("?catalogId=nothere")).length).toBe(0);
    expectStatus(await admin.get("/v1-catalog/templates?nosuch=1"), 422);
  });

  test("a template version: files, questions, README, upgrade links; icon served", async () => {
    const v = expectStatus(await admin.get("/v1-catalog/templateversions/library:wordpress:0"), 200).body;
    expect(v.version).toBe("1.0.0");
    expect(Object.keys(v.files).sort()).toEqual(["README.md", "docker-compose.yml", "rancher-compose.yml"]);
    expect(v.questions.map((q: { variable: string }) => q.variable)).toEqual(["db_password", "public_port"]);
    expect(Object.keys(v.upgradeVersionLinks)).toEqual(["2.0.0"]);
    const readme = await admin.get("/v1-catalog/templateversions/library:wordpress:0/readme");
    expect(readme.body).toContain("# WordPress");
    const icon = await fetch(`${server.url}/v1-catalog/templates/library:wordpress/icon`, {
      headers: { Authorization: admin.auth! },
    });
    expect(icon.headers.get("content-type")).toBe("image/svg+xml");
    expect(await icon.text()).toContain("<svg");
    for (const bad of ["library:wordpress:x", "library:wordpress:9", "nope:wordpress:0", "library"])
      expectStatus(await admin.get(`/v1-catalog/templateversions/${bad}`), 404);
  });

  test("garbage catalogs are refused with 4xx and nothing written", async () => {
    const before = await settledFingerprint(server);
    const bodies = [
      { name: "x", url: "ext::sh -c touch% /tmp/pwned" },
      { name: "x", url: "/etc" },
      { name: "x", url: "--upload-pack=touch /tmp/pwned" },
      { name: "bad name!", url: "https://example.invalid/x.git" },
      { name: "x", url: "https://example.invalid/x.git", branch: "--orphan" },
      { name: "x", url: "https://example.invalid/x.git", extra: 1 },
      { name: "library", url: "https://example.invalid/x.git" },
      { name: "x", url: "https://example.invalid/x.git", environmentId: "1a999999" },
      "not an object",
    ];
    for (const body of bodies) {
      const res = await admin.post("/v1-catalog/catalogs", body);
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
    }
    expectStatus(
      await anon.post("/v1-catalog/catalogs", { name: "y", url: "https://example.invalid/y.git" }),
      401,
    );
    expect(rowsFingerprint(server)).toBe(before);
  });

  test("an environment catalog with credentials: never shown, anonymous readers refused", async () => {
    const res = expectStatus(
      await admin.post("/v1-catalog/catalogs", {
        name: "private",
        url: `http://user:hunter22@127.0.0.1:1/nothing.git`,
        environmentId: pid,
        username: "user",
        password: "s3cret-pass",
      }),
      201,
    );
    expect(JSON.stringify(res.body)).not.toContain("hunter22");
    expect(JSON.stringify(res.body)).not.toContain("s3cret-pass");
    const failed = await until(
      "the private catalog failed",
      async () => {
        const c = (await admin.get("/v1-catalog/catalogs/private")).body;
        return c.state === "error" ? c : undefined;
      },
      30_000,
      100,
    );
    expect(failed.transitioningMessage).not.toContain("s3cret-pass");
    expect(failed.transitioningMessage).not.toContain("hunter22");
    // Without credentials nothing of the catalog is served (Rancher's CLI sends its key here).
    expectStatus(await anon.get("/v1-catalog/catalogs/private"), 401);
    expectStatus(await anon.get("/v1-catalog/templates"), 401);
    expectStatus(await admin.raw("DELETE", "/v1-catalog/catalogs/private"), 200);
  });

  test("a failed refresh shows git's message and the last good copy keeps serving", async () => {
    const moved = join(work, "repos", "moved");
    await Bun.$`mv ${repo} ${moved}`.quiet();
    try {
      const c = expectStatus(await admin.post("/v1-catalog/catalogs/library?action=refresh"), 200).body;
      expect(c.state).toBe("error");
      expect(c.transitioningMessage.length).toBeGreaterThan(0);
      expect((await templates()).length).toBe(12);
    } finally {
      await Bun.$`mv ${moved} ${repo}`.quiet();
    }
    const c = expectStatus(await admin.post("/v1-catalog/catalogs/library?action=refresh"), 200).body;
    expect(c.state).toBe("active");
    expect(c.transitioningMessage).toBeNull();
  });
});
