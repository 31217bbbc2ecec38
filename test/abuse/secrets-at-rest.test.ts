// Probes of secrets at rest (issue 12, findings 8 and 10):
// - secrets are stored salted, old SHA-256 digests are upgraded on use, and failed attempts are
//   limited per client address and per access key (429 with Retry-After);
// - every file in the data folder is private to the server's user, even in a folder that existed.
// Bounded and loopback only: the "other addresses" are 127.0.0.x, which Linux routes to loopback.
import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startServer } from "@corral/server";
import { registerAgent } from "../api/fake-agent.ts";
import { adminClient, basic, createProject, expectStatus, fastTimings, until } from "../api/harness.ts";
import { rawRequest } from "./kit.ts";
import { useProbeServer } from "./probe-server.ts";

const probe = useProbeServer();

/** One request from `localAddress` (any 127.0.0.x) to this file's server; a JSON body parsed. */
async function fromAddress(
  localAddress: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body = "",
  // biome-ignore lint/suspicious/noExplicitAny: probes read arbitrary JSON shapes
): Promise<{ status: number; headers: Record<string, string>; body: any }> {
  const url = new URL(probe.server.url);
  const lines = [`${method} ${path} HTTP/1.1`, `Host: ${url.host}`, "Connection: close"];
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
  if (body) lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
  const answer = await rawRequest(
    Number(url.port),
    `${lines.join("\r\n")}\r\n\r\n`,
    body,
    10_000,
    localAddress,
  );
  try {
    return { ...answer, body: JSON.parse(answer.body) };
  } catch {
    return answer;
  }
}

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

/** A new environment key of `project`, never used yet (so no verdict about it is cached). */
async function freshKey(): Promise<{ id: string; publicValue: string; secretValue: string }> {
  return expectStatus(await probe.admin.post(`/v2-beta/projects/${probe.project.id}/apikeys`, {}), 201).body;
}

describe("finding 8: stored secrets and failed attempts", () => {
  test("a new key's secret is stored salted, never as its plain SHA-256", async () => {
    const key = await freshKey();
    const stored = probe.server.store.secretOf(
      probe.server.store.getByLookup("apiKey", key.publicValue)!.id,
    )!;
    expect(stored).not.toContain(sha256(key.secretValue));
    expect(stored).not.toMatch(/^[0-9a-f]{64}$/);
    // The same secret under two keys gives two digests (a per-key salt).
    const other = await freshKey();
    const row = probe.server.store.getByLookup("apiKey", other.publicValue)!;
    probe.server.store.update(row.id, { secret: stored });
    expect((await probe.admin.as(basic(other.publicValue, key.secretValue)).get("/v2-beta")).status).toBe(
      200,
    );
  });

  test("an old unsalted SHA-256 digest still works once and is replaced by a salted one", async () => {
    const key = await freshKey();
    const row = probe.server.store.getByLookup("apiKey", key.publicValue)!;
    probe.server.store.update(row.id, { secret: sha256(key.secretValue) });
    expect((await probe.admin.as(basic(key.publicValue, key.secretValue)).get("/v2-beta")).status).toBe(200);
    const upgraded = probe.server.store.secretOf(row.id)!;
    expect(upgraded).not.toBe(sha256(key.secretValue));
    expect(upgraded).not.toMatch(/^[0-9a-f]{64}$/);
    expect((await probe.admin.as(basic(key.publicValue, `${key.secretValue}x`)).get("/v2-beta")).status).toBe(
      401,
    );
  });

  test("one client address gets 20 failures, then 429 with Retry-After for any key, until it waits", async () => {
    const from = "127.0.0.10";
    const key = await freshKey();
    const wrong = { Authorization: basic(probe.server.admin.accessKey, "not-the-admin-secret") };
    for (let i = 0; i < 20; i++) expect((await fromAddress(from, "GET", "/v2-beta", wrong)).status).toBe(401);
    const limited = await fromAddress(from, "GET", "/v2-beta", wrong);
    expect(limited.status).toBe(429);
    expect(limited.body).toMatchObject({ type: "error", status: 429, code: "TooManyRequests" });
    expect(typeof limited.body.message).toBe("string");
    const retryAfter = Number(limited.headers["retry-after"]);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    // The right key from the same address is refused too (a lucky guess would not be told apart),
    // and a forwarded-for header does not make it another client.
    const right = { Authorization: basic(key.publicValue, key.secretValue) };
    expect((await fromAddress(from, "GET", "/v2-beta", right)).status).toBe(429);
    expect(
      (await fromAddress(from, "GET", "/v2-beta", { ...wrong, "X-Forwarded-For": "203.0.113.9" })).status,
    ).toBe(429);
    // Other addresses are not affected.
    expect((await fromAddress("127.0.0.11", "GET", "/v2-beta", right)).status).toBe(200);
    // After the wait, the address may try again.
    await until(
      "the address to be let through again",
      async () => (await fromAddress(from, "GET", "/v2-beta", wrong)).status === 401,
      retryAfter * 1000 + 5000,
      250,
    );
  });

  test("one access key gets 20 failures from any number of addresses, then 429 for it alone", async () => {
    const key = await freshKey();
    const other = await freshKey();
    const right = { Authorization: basic(key.publicValue, key.secretValue) };
    // The key's owner works from 127.0.1.200 before the attack.
    expect((await fromAddress("127.0.1.200", "GET", "/v2-beta", right)).status).toBe(200);
    const wrong = { Authorization: basic(key.publicValue, "guess-guess-guess-guess") };
    const answers: number[] = [];
    for (let i = 1; i <= 21; i++)
      answers.push((await fromAddress(`127.0.1.${i}`, "GET", "/v2-beta", wrong)).status);
    expect(answers.slice(0, 20)).toEqual(Array(20).fill(401));
    expect(answers[20]).toBe(429);
    // Even the right secret is refused from an address the key has not been used from, though
    // the owner's use left it in the verdict cache: a right guess looks like a wrong one...
    expect((await fromAddress("127.0.1.100", "GET", "/v2-beta", right)).status).toBe(429);
    // ...but the owner is not locked out by strangers spending the key's failures (a fresh
    // key is created first, which empties the verdict cache, so this is checked, not cached).
    await freshKey();
    expect((await fromAddress("127.0.1.200", "GET", "/v2-beta", right)).status).toBe(200);
    const otherRight = { Authorization: basic(other.publicValue, other.secretValue) };
    expect((await fromAddress("127.0.1.101", "GET", "/v2-beta", otherRight)).status).toBe(200);
  });

  test("wrong registration tokens count as failures of the address too", async () => {
    const from = "127.0.2.1";
    const body = JSON.stringify({
      token: "ABCDEFGHJKLMNPQRSTUVWXYZ23456789ABCDEFGH",
      hostname: "h",
      uuid: "probe-guess-0001",
    });
    const json = { "Content-Type": "application/json" };
    const answers: number[] = [];
    for (let i = 0; i < 21; i++)
      answers.push((await fromAddress(from, "POST", "/v2-beta/register", json, body)).status);
    expect(answers.slice(0, 20)).toEqual(Array(20).fill(401));
    expect(answers[20]).toBe(429);
    expect((await fromAddress(from, "GET", `/v2-beta/scripts/${probe.project.token}`)).status).toBe(429);
  });

  test("an agent key guessed on the agent socket counts as well", async () => {
    const agent = await registerAgent(probe.server.url, probe.project.token);
    const wrong = { Authorization: basic(agent.accessKey, "wrong-agent-secret"), Upgrade: "websocket" };
    const answers: number[] = [];
    for (let i = 1; i <= 21; i++)
      answers.push((await fromAddress(`127.0.3.${i}`, "GET", "/v2-beta/agent/connect", wrong)).status);
    expect(answers.slice(0, 20)).toEqual(Array(20).fill(401));
    expect(answers[20]).toBe(429);
  });
});

describe("finding 10: files at rest", () => {
  const modes = (dir: string) =>
    Object.fromEntries(readdirSync(dir).map((f) => [f, statSync(join(dir, f)).mode & 0o777]));

  test("a data folder that already existed gets 0700 and every file in it 0600, also after a restart", async () => {
    const previous = process.umask(0o022);
    try {
      const dataDir = join(probe.tempDir(), "data");
      mkdirSync(dataDir, { mode: 0o755 });
      chmodSync(dataDir, 0o755);
      const one = startServer({ port: 0, hostname: "127.0.0.1", dataDir, timings: fastTimings, env: {} });
      // Write through the store so the WAL and its index exist.
      await createProject(adminClient(one));
      expect(existsSync(join(dataDir, "corral.db-wal"))).toBe(true);
      expect(existsSync(join(dataDir, "corral.db-shm"))).toBe(true);
      expect(statSync(dataDir).mode & 0o777).toBe(0o700);
      for (const [file, mode] of Object.entries(modes(dataDir))) expect([file, mode]).toEqual([file, 0o600]);
      expect(Object.keys(modes(dataDir))).toEqual(expect.arrayContaining(["corral.db", "admin-key.json"]));
      await one.stop();

      // Files left readable by an older version (or a copy) are made private at the next start.
      chmodSync(dataDir, 0o755);
      for (const file of readdirSync(dataDir)) chmodSync(join(dataDir, file), 0o644);
      mkdirSync(join(dataDir, "agent"), { mode: 0o755 });
      writeFileSync(join(dataDir, "agent", "agent.json"), "{}", { mode: 0o644 });
      const two = startServer({ port: 0, hostname: "127.0.0.1", dataDir, timings: fastTimings, env: {} });
      try {
        expect(statSync(dataDir).mode & 0o777).toBe(0o700);
        for (const [file, mode] of Object.entries(modes(dataDir)))
          expect([file, mode]).toEqual([file, file === "agent" ? 0o700 : 0o600]);
        expect(statSync(join(dataDir, "agent", "agent.json")).mode & 0o777).toBe(0o600);
      } finally {
        await two.stop();
      }
    } finally {
      process.umask(previous);
    }
  });
});
