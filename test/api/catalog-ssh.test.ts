/**
 * A catalog over ssh added through `/v1-catalog` with a private key, fetched from a real sshd on
 * loopback (server/testing/sshd.ts): the key is write-only (sealed at rest, never in an answer, the
 * audit log or the server's logs; its public half is shown), bad keys and known_hosts are refused at
 * their field with nothing stored, and a wrong key shows git's message on the catalog.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RunningServer } from "@corral/server";
import { execa } from "execa";
import { type CapturedLogs, captureLogs } from "../../server/testing/capture-logs.ts";
import { makeKeyPair, startSshd, type TestKeyPair, type TestSshd } from "../../server/testing/sshd.ts";
import { commitFiles, testCatalogFiles } from "../../server/testing/test-catalog.ts";
import {
  adminClient,
  type Client,
  expectStatus,
  rowsFingerprint,
  settledFingerprint,
  startTestServer,
  until,
} from "./harness.ts";

// Real ssh, git and key generation on a shared, busy machine: seconds, not milliseconds. (On a
// timeout bun kills the processes a test started, sshd included, failing the tests after it.)
setDefaultTimeout(60_000);

let server: RunningServer;
let admin: Client;
let sshd: TestSshd;
let good: TestKeyPair;
let wrong: TestKeyPair;
let logs: CapturedLogs;
let work = "";
let url = "";

/** The lines of a key that would give it away if they showed anywhere. */
const fragments = (k: TestKeyPair) =>
  k.privateKey.split("\n").filter((l) => l.length >= 16 && !l.startsWith("-----"));

beforeAll(async () => {
  logs = captureLogs();
  work = mkdtempSync(join(tmpdir(), "catalog-ssh-api-"));
  good = await makeKeyPair(work, "deploy");
  wrong = await makeKeyPair(work, "other");
  await commitFiles(join(work, "src"), testCatalogFiles(), "first");
  await execa("git", ["clone", "-q", "--bare", join(work, "src"), join(work, "private.git")]);
  sshd = await startSshd([good.publicKey]);
  url = `ssh://${sshd.user}@127.0.0.1:${sshd.port}${join(work, "private.git")}`;
  server = startTestServer({ env: { CORRAL_CATALOG_REFRESH_SECONDS: "0" } });
  admin = adminClient(server);
});

afterAll(async () => {
  logs?.stop();
  await server?.stop();
  await sshd?.stop();
  rmSync(work, { recursive: true, force: true });
});

const settled = (name: string) =>
  until(
    `catalog ${name} fetched or failed`,
    async () => {
      const c = (await admin.get(`/v1-catalog/catalogs/${name}`)).body;
      return c.state === "active" || c.state === "error" ? c : undefined;
    },
    60_000,
    100,
  );

describe("a catalog over ssh with a private key", () => {
  test("fetched with its key; the key is never shown, logged or audited, and sealed at rest", async () => {
    const created = expectStatus(
      await admin.post("/v1-catalog/catalogs", { name: "private", url, sshKey: good.privateKey }),
      201,
    ).body;
    expect(created.hasCredentials).toBe(true);
    expect(created.sshPublicKey).toBe(good.publicKey);
    expect(created.knownHosts).toBeNull();
    const c = await settled("private");
    expect([c.state, c.transitioningMessage]).toEqual(["active", null]);
    const templates = (await admin.get("/v1-catalog/templates?catalogId=private")).body.data;
    expect(templates.length).toBeGreaterThan(5);
    const shown = [
      JSON.stringify(created),
      JSON.stringify((await admin.get("/v1-catalog/catalogs")).body),
      JSON.stringify(expectStatus(await admin.get("/v2-beta/auditlogs?limit=1000"), 200).body),
    ].join("\n");
    expect(shown).toContain("api.catalog.create");
    const rows = server.store.db
      .query<{ data: string; secret: string | null }, []>(
        "SELECT data, secret FROM resource WHERE type IN ('catalog', 'auditLog')",
      )
      .all()
      .map((r) => `${r.data}${r.secret ?? ""}`)
      .join("\n");
    expect(rows).toContain("sb1:");
    for (const line of fragments(good)) {
      expect(shown).not.toContain(line);
      expect(rows).not.toContain(line);
      expect(logs.text()).not.toContain(line);
    }
    expectStatus(await admin.raw("DELETE", "/v1-catalog/catalogs/private"), 200);
  });

  test("a wrong key: git's message on the catalog, without the key", async () => {
    expectStatus(
      await admin.post("/v1-catalog/catalogs", { name: "wrongkey", url, sshKey: wrong.privateKey }),
      201,
    );
    const c = await settled("wrongkey");
    expect(c.state).toBe("error");
    expect(c.transitioningMessage).toMatch(/Permission denied \(publickey\)/);
    for (const line of fragments(wrong)) {
      expect(c.transitioningMessage).not.toContain(line);
      expect(logs.text()).not.toContain(line);
    }
    expectStatus(await admin.raw("DELETE", "/v1-catalog/catalogs/wrongkey"), 200);
  });

  test("pinned host keys: the server's fetches, another one fails the fetch", async () => {
    const pinned = expectStatus(
      await admin.post("/v1-catalog/catalogs", {
        name: "pinned",
        url,
        sshKey: good.privateKey,
        knownHosts: sshd.knownHostsLine,
      }),
      201,
    ).body;
    expect(pinned.knownHosts).toBe(sshd.knownHostsLine);
    expect((await settled("pinned")).state).toBe("active");
    const other = (await makeKeyPair(work, "not-the-host")).publicKey.split(" ");
    expectStatus(
      await admin.post("/v1-catalog/catalogs", {
        name: "mispinned",
        url,
        sshKey: good.privateKey,
        knownHosts: `[127.0.0.1]:${sshd.port} ${other[0]} ${other[1]}`,
      }),
      201,
    );
    const failed = await settled("mispinned");
    expect(failed.state).toBe("error");
    expect(failed.transitioningMessage).toMatch(/Host key verification failed|HAS CHANGED/);
    for (const name of ["pinned", "mispinned"])
      expectStatus(await admin.raw("DELETE", `/v1-catalog/catalogs/${name}`), 200);
  });

  test("changed with PUT: a new key replaces the old, one left out is kept, a garbage one changes nothing", async () => {
    expectStatus(
      await admin.post("/v1-catalog/catalogs", { name: "rotating", url, sshKey: wrong.privateKey }),
      201,
    );
    expect((await settled("rotating")).state).toBe("error");
    const before = await settledFingerprint(server);
    const garbage = expectStatus(
      await admin.put("/v1-catalog/catalogs/rotating", { sshKey: "not a key at all, long enough" }),
      422,
    ).body;
    expect(garbage.detail).toEqual([{ field: "sshKey", message: expect.stringMatching(/private key/) }]);
    expect(rowsFingerprint(server)).toBe(before);
    /** Waits for a fetch that ended after `since` and returns the catalog then. */
    const fetchedAfter = (since: number) =>
      until(
        "a fetch after the change",
        async () => {
          const c = (await admin.get("/v1-catalog/catalogs/rotating")).body;
          const at = c.lastRefreshTimestamp ? Date.parse(c.lastRefreshTimestamp) : 0;
          return at >= since && c.state !== "refreshing" ? c : undefined;
        },
        60_000,
        100,
      );
    let since = Date.now();
    const changed = expectStatus(
      await admin.put("/v1-catalog/catalogs/rotating", { sshKey: good.privateKey }),
      200,
    ).body;
    expect(changed.sshPublicKey).toBe(good.publicKey);
    expect((await fetchedAfter(since)).state).toBe("active");
    // Left out (as a client sends back what it was shown): the stored key stays and still fetches.
    since = Date.now();
    expectStatus(await admin.put("/v1-catalog/catalogs/rotating", { branch: "master", sshKey: "" }), 200);
    expect((await fetchedAfter(since)).state).toBe("active");
    // A pin that does not match fails; dropping it goes back to the key learned at the first fetch.
    const other = (await makeKeyPair(work, "pin-other")).publicKey.split(" ");
    since = Date.now();
    expectStatus(
      await admin.put("/v1-catalog/catalogs/rotating", {
        knownHosts: `[127.0.0.1]:${sshd.port} ${other[0]} ${other[1]}`,
      }),
      200,
    );
    expect((await fetchedAfter(since)).transitioningMessage).toMatch(
      /Host key verification failed|HAS CHANGED/,
    );
    since = Date.now();
    expectStatus(await admin.put("/v1-catalog/catalogs/rotating", { knownHosts: "" }), 200);
    const back = await fetchedAfter(since);
    expect([back.state, back.knownHosts]).toEqual(["active", null]);
    const audit = JSON.stringify(expectStatus(await admin.get("/v2-beta/auditlogs?limit=1000"), 200).body);
    expect(audit).toContain("api.catalog.update");
    for (const line of [...fragments(good), ...fragments(wrong)]) {
      expect(audit).not.toContain(line);
      expect(logs.text()).not.toContain(line);
    }
    // Another URL drops the stored key: it is not sent to another server unless given again.
    const moved = expectStatus(
      await admin.put("/v1-catalog/catalogs/rotating", { url: `${url.replace(/\.git$/, "")}-moved.git` }),
      200,
    ).body;
    expect([moved.hasCredentials, moved.sshPublicKey]).toEqual([false, null]);
    expectStatus(await admin.raw("DELETE", "/v1-catalog/catalogs/rotating"), 200);
  });

  test("a garbage key, a key for an http URL or bad known_hosts: 422 at the field, nothing stored", async () => {
    const before = await settledFingerprint(server);
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [
        { sshKey: "-----BEGIN OPENSSH PRIVATE KEY-----\ngarbage-garbage-garbage\n-----END" },
        "sshKey",
        /private key/,
      ],
      [{ sshKey: good.privateKey, url: "https://git.example.invalid/c.git" }, "sshKey", /ssh:\/\//],
      [{ sshKey: good.privateKey, knownHosts: "SHA256:abcdef" }, "knownHosts", /known_hosts line/],
    ];
    for (const [extra, field, message] of cases) {
      const res = expectStatus(await admin.post("/v1-catalog/catalogs", { name: "bad", url, ...extra }), 422);
      expect(res.body.message).toMatch(message);
      expect(res.body.detail).toEqual([{ field, message: expect.stringMatching(message) }]);
      expect(JSON.stringify(res.body)).not.toContain("garbage-garbage");
      for (const line of fragments(good)) expect(JSON.stringify(res.body)).not.toContain(line);
    }
    expect(rowsFingerprint(server)).toBe(before);
    expect((await admin.get("/v1-catalog/catalogs/bad")).status).toBe(404);
  });
});
