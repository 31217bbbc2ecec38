/**
 * Rancher's `catalog.url` setting against real git repositories (file:// URLs in a temp folder): its
 * value lists the global catalogs in Rancher's JSON shape; an admin's PUT (JSON or `name=url,...`)
 * adds, changes and removes the catalogs the setting named; garbage and non-admins are refused with
 * nothing changed; the value read back and sent again changes nothing.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RunningServer } from "@corral/server";
import { execa } from "execa";
import { commitFiles } from "../../server/testing/test-catalog.ts";
import { addCatalog } from "./catalog-kit.ts";
import {
  adminClient,
  type Client,
  createProject,
  expectStatus,
  rowsFingerprint,
  settledFingerprint,
  startTestServer,
  until,
} from "./harness.ts";
import { person } from "./roles-kit.ts";

const path = "/v2-beta/settings/catalog.url";
let server: RunningServer;
let admin: Client;
let work = "";
const url = (repo: string) => `file://${join(work, repo)}`;

/** A one-template catalog whose template is named `name` (so each repository is told apart). */
const files = (name: string) => ({
  [`templates/${name}/config.yml`]: `name: ${name}\nversion: 1.0.0\n`,
  [`templates/${name}/0/docker-compose.yml`]: "version: '2'\nservices: {}\n",
});

const value = async () => JSON.parse(expectStatus(await admin.get(path), 200).body.value);
const catalog = async (name: string) => (await admin.get(`/v1-catalog/catalogs/${name}`)).body;
const templateIds = async () =>
  ((await admin.get("/v1-catalog/templates")).body.data as { id: string }[]).map((t) => t.id).sort();
const activeAt = (name: string, commit?: string) =>
  until(
    `catalog ${name} active${commit ? ` at ${commit}` : ""}`,
    async () => {
      const c = await catalog(name);
      return c.state === "active" && (!commit || c.commit === commit);
    },
    30_000,
    100,
  );

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "catalog-setting-"));
  await commitFiles(join(work, "one"), files("alpha"), "first");
  await commitFiles(join(work, "two"), files("beta"), "first");
  await commitFiles(join(work, "three"), files("gamma"), "first");
  // A second branch of `one` that adds another template, for a branch change.
  const git = (...args: string[]) =>
    execa("git", [
      "-C",
      join(work, "one"),
      "-c",
      "user.name=t",
      "-c",
      "user.email=t@example.invalid",
      ...args,
    ]);
  await git("checkout", "-q", "-b", "other");
  await commitFiles(join(work, "one"), files("delta"), "other");
  await git("checkout", "-q", "master");
  server = startTestServer({
    env: { CORRAL_CATALOG_REFRESH_SECONDS: "0", CORRAL_CATALOG_URL: `started=${url("one")}` },
  });
  admin = adminClient(server);
  await activeAt("started");
});

afterAll(async () => {
  await server?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("catalog.url", () => {
  test("the value lists the global catalogs in Rancher's JSON shape", async () => {
    const s = expectStatus(await admin.get(path), 200).body;
    expect([s.name, s.source, s.inDb]).toEqual(["catalog.url", "Database", true]);
    expect(JSON.parse(s.value)).toEqual({ catalogs: { started: { url: url("one"), branch: "master" } } });
    const listed = (await admin.get("/v2-beta/settings?name=catalog.url")).body.data;
    expect(listed.map((x: { value: string }) => x.value)).toEqual([s.value]);
    const schema = (await admin.get("/v2-beta/schemas/setting")).body;
    expect(schema.resourceMethods).toContain("PUT");
  });

  test("garbage, clashes and non-admins are refused with the problem named, nothing changed", async () => {
    const env = await createProject(admin);
    expectStatus(
      await admin.post("/v1-catalog/catalogs", { name: "envcat", url: url("three"), environmentId: env.id }),
      201,
    );
    await activeAt("envcat");
    const before = await settledFingerprint(server);
    const bad: [unknown, number, RegExp][] = [
      [{ value: "{nope" }, 422, /not JSON/],
      [{ value: '{"catalogs":[]}' }, 422, /expected \{"catalogs"/],
      [{ value: '{"catalogs":{"a":{}}}' }, 422, /catalog a has no url/],
      [{ value: "justaurl" }, 422, /expected name=url/],
      [{ value: `bad name!=${url("two")}` }, 422, /catalog name bad name!/],
      [{ value: "x=ext::sh -c id" }, 422, /catalog x: use a file:\/\//],
      [{ value: `{"catalogs":{"x":{"url":"${url("two")}","branch":"--orphan"}}}` }, 422, /not a branch name/],
      [{ value: `x=${url("two")},x=${url("three")}` }, 422, /x is named twice/],
      [{ value: `envcat=${url("two")}` }, 422, /envcat is the name of an environment's catalog/],
      [{ value: 42 }, 422, /catalog.url is a string/],
      [{}, 422, /catalog.url is a string/],
      [[], 400, /JSON object/],
    ];
    for (const [body, status, message] of bad) {
      const r = await admin.put(path, body);
      expect([JSON.stringify(body), r.status, message.test(r.body?.message)]).toEqual([
        JSON.stringify(body),
        status,
        true,
      ]);
    }
    // A catalog of the setting is changed in the setting, not at `/v1-catalog`; a non-owner may
    // not change an environment's catalog.
    const fromSetting = await admin.put("/v1-catalog/catalogs/started", { branch: "other" });
    expect([fromSetting.status, fromSetting.body.message]).toEqual([
      409,
      "catalog started comes from the catalog.url setting: change it there",
    ]);
    expect(rowsFingerprint(server)).toBe(before);
    const catalogRows = () =>
      JSON.stringify(
        server.store.db
          .query("SELECT id, name, state, data FROM resource WHERE type = 'catalog' ORDER BY id")
          .all(),
      );
    const rows = catalogRows();
    const bob = await person(admin, "bob");
    const refused = await bob.client.put(path, { value: `x=${url("two")}` });
    expect([refused.status, refused.body.code]).toEqual([403, "PermissionDenied"]);
    expect((await bob.client.put("/v1-catalog/catalogs/started", { branch: "x" })).status).toBe(403);
    // Other settings stay read-only.
    expect((await admin.put("/v2-beta/settings/api.host", { value: "x" })).status).toBe(405);
    expect(catalogRows()).toBe(rows);
    expect(await value()).toEqual({ catalogs: { started: { url: url("one"), branch: "master" } } });
    expect(await templateIds()).toEqual(["envcat:gamma", "started:alpha"]);
  });

  test("a PUT adds, changes and removes the setting's catalogs; /v1-catalog ones stay", async () => {
    await addCatalog(admin, "added", url("three"));
    const oneMaster = (await catalog("started")).commit;
    // JSON shape: `started` moves to branch `other`, `second` is new.
    const json = { catalogs: { started: { url: url("one"), branch: "other" }, second: { url: url("two") } } };
    const put = expectStatus(await admin.put(path, { value: JSON.stringify(json) }), 200).body;
    expect(JSON.parse(put.value)).toEqual({
      catalogs: {
        added: { url: url("three"), branch: "master" },
        second: { url: url("two"), branch: "master" },
        started: { url: url("one"), branch: "other" },
      },
    });
    await until(
      "started refetched from branch other",
      async () => {
        const c = await catalog("started");
        return c.state === "active" && c.commit !== oneMaster;
      },
      30_000,
      100,
    );
    await activeAt("second");
    expect(await templateIds()).toEqual([
      "added:gamma",
      "envcat:gamma",
      "second:beta",
      "started:alpha",
      "started:delta",
    ]);

    // The older shape: only `second` is named, so `started` (from the setting) goes; `added` stays.
    expectStatus(await admin.put(path, { value: `second=${url("two")}` }), 200);
    expect((await admin.get("/v1-catalog/catalogs/started")).status).toBe(404);
    expect(await value()).toEqual({
      catalogs: {
        added: { url: url("three"), branch: "master" },
        second: { url: url("two"), branch: "master" },
      },
    });
    expect(await templateIds()).toEqual(["added:gamma", "envcat:gamma", "second:beta"]);
  });

  test("the value read back and sent again changes no catalog", async () => {
    const s = expectStatus(await admin.get(path), 200).body;
    await activeAt("second");
    await activeAt("added");
    const before = server.store.db
      .query(
        "SELECT id, name, state, data FROM resource WHERE type = 'catalog' AND state != 'removed' ORDER BY id",
      )
      .all() as { data: string }[];
    // Rancher's clients send the whole setting back.
    expectStatus(await admin.put(path, s), 200);
    const after = server.store.db
      .query(
        "SELECT id, name, state, data FROM resource WHERE type = 'catalog' AND state != 'removed' ORDER BY id",
      )
      .all() as { data: string }[];
    // `added` is now named by the setting (so a later value may remove it); nothing else moved.
    const strip = (rows: { data: string }[]) =>
      rows.map((r) => ({ ...r, data: { ...JSON.parse(r.data), fromSetting: undefined } }));
    expect(strip(after)).toEqual(strip(before));
    expect(expectStatus(await admin.get(path), 200).body.value).toBe(s.value);
  });

  test("credentials: never in the value, kept while the URL stays, dropped when it changes", async () => {
    // Port 9 on loopback: the fetch fails at once, which is all this test needs.
    const secretUrl = "https://bob:s3cret-pw@127.0.0.1:9/c.git";
    const posted = await admin.post("/v1-catalog/catalogs", {
      name: "private",
      url: secretUrl,
      username: "bob",
      password: "token-123",
    });
    expectStatus(posted, 201);
    await until(
      "private's fetch failed",
      async () => (await catalog("private")).state === "error",
      30_000,
      100,
    );
    const shown = expectStatus(await admin.get(path), 200).body.value as string;
    expect(shown).not.toContain("s3cret");
    expect(JSON.parse(shown).catalogs.private.url).toBe("https://***@127.0.0.1:9/c.git");
    const stored = () =>
      JSON.parse(
        (
          server.store.db
            .query(
              "SELECT data FROM resource WHERE type = 'catalog' AND name = 'private' AND state != 'removed'",
            )
            .get() as { data: string }
        ).data,
      );
    // The value sent back as shown: the stored URL and the credentials stay.
    expectStatus(await admin.put(path, { value: shown }), 200);
    expect([stored().url, typeof stored().credentials]).toEqual([secretUrl, "string"]);
    expect((await catalog("private")).hasCredentials).toBe(true);
    // Another URL: the credentials given for the old one are not sent to it.
    const moved = JSON.parse(shown);
    moved.catalogs.private.url = "https://127.0.0.1:9/other.git";
    expectStatus(await admin.put(path, { value: JSON.stringify(moved) }), 200);
    expect([stored().url, stored().credentials]).toEqual(["https://127.0.0.1:9/other.git", undefined]);
    expect((await catalog("private")).hasCredentials).toBe(false);
  });
});
