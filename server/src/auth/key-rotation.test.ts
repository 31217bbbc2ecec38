// Rotating the server key re-seals every stored secret: from the data folder's key to a new one,
// and from a previous CORRAL_DATA_KEY to the current one; the values still open afterwards.
import { afterAll, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { adminClient, createProject, expectStatus } from "../../../test/api/harness.ts";
import { type RunningServer, startServer } from "../server.ts";
import { pullAuthFor, secretFilesFor } from "../services/pull-auth.ts";
import { SecretBox } from "./secret-box.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function seed(server: RunningServer): Promise<string> {
  const env = await createProject(adminClient(server));
  const p = `/v2-beta/projects/${env.id}`;
  const reg = expectStatus(
    await env.client.post(`${p}/registries`, { serverAddress: "reg.example:5000" }),
    201,
  );
  expectStatus(
    await env.client.post(`${p}/registrycredentials`, {
      registryId: reg.body.id,
      publicValue: "u",
      secretValue: "rotate-pw",
    }),
    201,
  );
  expectStatus(await env.client.post(`${p}/secrets`, { name: "s", value: btoa("rotate-secret") }), 201);
  return env.id;
}

function keyIds(server: RunningServer): Set<string> {
  const rows = server.store.db
    .query<{ secret: string }, []>("SELECT secret FROM resource WHERE secret LIKE 'sb1:%'")
    .all();
  return new Set(rows.map((r) => SecretBox.keyIdOf(r.secret)!));
}

function expectOpens(server: RunningServer, projectId: string): void {
  expect(pullAuthFor(server.store, projectId, "reg.example:5000/app:1")?.password).toBe("rotate-pw");
  const [file] = secretFilesFor(server.store, projectId, [{ secretId: "s" }]);
  expect(Buffer.from(file!.value, "base64").toString()).toBe("rotate-secret");
}

test("CORRAL_ROTATE_DATA_KEY=1 makes a new data-folder key and re-seals every value under it", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "corral-rotate-"));
  dirs.push(dataDir);
  let server = startServer({ port: 0, hostname: "127.0.0.1", dataDir, env: {} });
  const projectId = await seed(server);
  const before = keyIds(server);
  const oldKey = readFileSync(join(dataDir, "secret.key"), "utf8");
  await server.stop();
  server = startServer({ port: 0, hostname: "127.0.0.1", dataDir, env: { CORRAL_ROTATE_DATA_KEY: "1" } });
  try {
    expect(readFileSync(join(dataDir, "secret.key"), "utf8")).not.toBe(oldKey);
    expect(statSync(join(dataDir, "secret.key")).mode & 0o777).toBe(0o600);
    expect(existsSync(join(dataDir, "secret.key.next"))).toBe(false);
    const after = keyIds(server);
    expect(after.size).toBe(1);
    expect([...after][0]).not.toBe([...before][0]);
    expectOpens(server, projectId);
  } finally {
    await server.stop();
  }
});

test("CORRAL_DATA_KEY_PREVIOUS re-seals values under a new CORRAL_DATA_KEY", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "corral-rotate-"));
  dirs.push(dataDir);
  const a = randomBytes(32).toString("base64");
  const b = randomBytes(32).toString("base64");
  let server = startServer({ port: 0, hostname: "127.0.0.1", dataDir, env: { CORRAL_DATA_KEY: a } });
  const projectId = await seed(server);
  await server.stop();
  // The new key alone cannot open what the old one sealed: the error says so.
  server = startServer({ port: 0, hostname: "127.0.0.1", dataDir, env: { CORRAL_DATA_KEY: b } });
  expect(() => pullAuthFor(server.store, projectId, "reg.example:5000/x")).toThrow(/another server key/);
  await server.stop();
  server = startServer({
    port: 0,
    hostname: "127.0.0.1",
    dataDir,
    env: { CORRAL_DATA_KEY: b, CORRAL_DATA_KEY_PREVIOUS: a },
  });
  try {
    expectOpens(server, projectId);
    expect(keyIds(server)).toEqual(new Set([new SecretBox(Buffer.from(b, "base64")).keyId]));
  } finally {
    await server.stop();
  }
});
