// Probes of credentials and data at rest, as an attacker with one environment key or a stolen
// registration token would try them (issue 12, findings 6, 7, 8 and 10):
// - registration tokens can be deactivated, activated, rotated and removed, and show their value
//   only while they can be used; a registration may take over an existing host's uuid only with
//   that host's own agent key, and the refusal is the same whether the uuid lives here or elsewhere;
// - a new CORRAL_ADMIN_SECRET_KEY replaces the old one at start, and short ones are refused;
// - secrets are stored salted, old SHA-256 digests are upgraded on use, and failed attempts are
//   limited per client address and per access key (429 with Retry-After);
// - every file in the data folder is private to the server's user, even in a folder that existed.
// Bounded and loopback only: the "other addresses" are 127.0.0.x, which Linux routes to loopback.
import { afterAll, beforeAll, describe, expect, spyOn, test } from "bun:test";
import { createHash } from "node:crypto";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type RunningServer, startServer } from "@corral/server";
import { FakeAgent, registerAgent } from "../api/fake-agent.ts";
import {
  adminClient,
  basic,
  Client,
  createProject,
  expectStatus,
  fastTimings,
  type ProjectFixture,
  until,
} from "../api/harness.ts";

let server: RunningServer;
let admin: Client;
let project: ProjectFixture;
const dirs: string[] = [];

/**
 * The failure limits of the probes: the default burst (20) with a slow refill, so that 21 requests
 * in a row meet an empty bucket however slowly a loaded machine sends them (up to ~4 s). The
 * default refill (5/s) is checked against a clock in server/src/auth/rate-limit.test.ts.
 */
const probeLimits = { perSecond: 0.25, burst: 20 };

beforeAll(async () => {
  server = startServer({
    port: 0,
    hostname: "127.0.0.1",
    dataDir: null,
    timings: fastTimings,
    env: {},
    authFailureLimits: probeLimits,
  });
  admin = adminClient(server);
  project = await createProject(admin);
});

afterAll(async () => {
  await server.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "corral-abuse-"));
  dirs.push(dir);
  return dir;
}

/** An answer to a request sent from a chosen loopback address. */
interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  // biome-ignore lint/suspicious/noExplicitAny: probes read arbitrary JSON shapes
  body: any;
}

/**
 * Sends one HTTP/1.1 request from `localAddress` (any 127.0.0.x): the server sees another client
 * address, as it would for another machine, without leaving loopback.
 */
function fromAddress(
  localAddress: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body = "",
): Promise<RawAnswer> {
  const url = new URL(server.url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: url.hostname, port: Number(url.port), localAddress }, () => {
      const lines = [`${method} ${path} HTTP/1.1`, `Host: ${url.host}`, "Connection: close"];
      for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
      if (body) lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
      socket.write(`${lines.join("\r\n")}\r\n\r\n${body}`);
    });
    const chunks: Buffer[] = [];
    socket.on("data", (d: Buffer) => chunks.push(d));
    socket.on("error", reject);
    socket.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      const split = text.indexOf("\r\n\r\n");
      const head = text.slice(0, split).split("\r\n");
      const status = Number(head[0]?.split(" ")[1]);
      const out: Record<string, string> = {};
      for (const line of head.slice(1)) {
        const colon = line.indexOf(":");
        out[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      let rest = text.slice(split + 4);
      if (out["transfer-encoding"] === "chunked") rest = unchunk(rest);
      let parsed: unknown = rest;
      try {
        parsed = JSON.parse(rest);
      } catch {
        // not JSON: keep the text
      }
      resolve({ status, headers: out, body: parsed });
    });
  });
}

function unchunk(text: string): string {
  let out = "";
  let at = 0;
  for (;;) {
    const eol = text.indexOf("\r\n", at);
    const size = Number.parseInt(text.slice(at, eol), 16);
    if (!size) return out;
    out += text.slice(eol + 2, eol + 2 + size);
    at = eol + 2 + size + 2;
  }
}

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

/** A new environment key of `project`, never used yet (so no verdict about it is cached). */
async function freshKey(): Promise<{ id: string; publicValue: string; secretValue: string }> {
  return expectStatus(await admin.post(`/v2-beta/projects/${project.id}/apikeys`, {}), 201).body;
}

const register = (body: unknown, auth: string | null = null) =>
  admin.as(auth).post("/v2-beta/register", body);

describe("finding 6: registration tokens", () => {
  test("deactivate, activate, rotate and remove; a token shows its value only while it can be used", async () => {
    const made = expectStatus(
      await admin.post(`/v2-beta/projects/${project.id}/registrationtokens`, { name: "probe" }),
      201,
    ).body;
    const first: string = made.token;
    expect(first).toMatch(/^[A-Z0-9]{40}$/);
    expect(made.command).toContain(first);
    expect(Object.keys(made.actions).sort()).toEqual(["deactivate", "rotate"]);
    const self = `/v2-beta/registrationtokens/${made.id}`;

    const off = expectStatus(await admin.post(`${self}?action=deactivate`), 200).body;
    expect(off).toMatchObject({ state: "inactive", token: null, registrationUrl: null, command: null });
    expect(JSON.stringify(expectStatus(await admin.get(self), 200).body)).not.toContain(first);
    const list = expectStatus(await admin.get(`/v2-beta/projects/${project.id}/registrationtokens`), 200);
    expect(JSON.stringify(list.body)).not.toContain(first);
    expect((await register({ token: first, hostname: "h", uuid: "probe-off-0001" })).status).toBe(401);
    expect((await admin.as(null).get(`/v2-beta/scripts/${first}`)).status).toBe(404);

    const on = expectStatus(await admin.post(`${self}?action=activate`), 200).body;
    expect(on).toMatchObject({ state: "active", token: first });
    expect((await admin.as(null).get(`/v2-beta/scripts/${first}`)).status).toBe(200);

    const rotated = expectStatus(await admin.post(`${self}?action=rotate`), 200).body;
    const second: string = rotated.token;
    expect(second).toMatch(/^[A-Z0-9]{40}$/);
    expect(second).not.toBe(first);
    expect(rotated.id).toBe(made.id);
    expect(rotated.registrationUrl).toContain(second);
    expect((await register({ token: first, hostname: "h", uuid: "probe-old-0001" })).status).toBe(401);
    expect((await admin.as(null).get(`/v2-beta/scripts/${first}`)).status).toBe(404);
    const joined = expectStatus(
      await register({ token: second, hostname: "h", uuid: "probe-new-0001" }),
      201,
    );
    expect(joined.body.projectId).toBe(project.id);

    const removed = expectStatus(await admin.del(self), 200).body;
    expect(removed).toMatchObject({ state: "removed", token: null, command: null });
    expect((await register({ token: second, hostname: "h", uuid: "probe-gone-0001" })).status).toBe(401);
    // Nothing usable is left at rest either.
    const row = JSON.stringify(server.store.db.query("SELECT * FROM resource WHERE lookup IS NULL").all());
    expect(row).not.toContain(second);
    // The audit log kept the verbs, never a token value.
    const audit = JSON.stringify(
      expectStatus(await admin.get(`/v2-beta/projects/${project.id}/auditlogs?limit=1000`), 200).body,
    );
    expect(audit).toContain("api.registrationToken.rotate");
    expect(audit).not.toContain(first);
    expect(audit).not.toContain(second);
  });

  test("an environment key manages its own environment's tokens, never another's", async () => {
    const other = await createProject(admin);
    const theirs = `/v2-beta/registrationtokens/${other.tokenId}`;
    for (const action of ["deactivate", "rotate"])
      expect((await project.client.post(`${theirs}?action=${action}`)).status).toBe(404);
    expect((await project.client.del(theirs)).status).toBe(404);
    expect((await register({ token: other.token, hostname: "h", uuid: "probe-still-0001" })).status).toBe(
      201,
    );
    const mine = expectStatus(await project.client.post("/v2-beta/registrationtokens", {}), 201).body;
    expect(mine.accountId).toBe(project.id);
    expectStatus(await project.client.post(`/v2-beta/registrationtokens/${mine.id}?action=rotate`), 200);
  });

  test("a registration cannot take over an existing host's uuid without that host's agent key", async () => {
    const victim = await FakeAgent.join(server.url, project.token, { uuid: "probe-victim-0001" });
    await until("victim connected", () => server.hub.isConnected(victim.hostId));
    const victimKey = basic(victim.registration.accessKey, victim.registration.secretKey);
    const other = await createProject(admin);
    const bystander = await registerAgent(server.url, project.token, { uuid: "probe-bystander-01" });

    const attempts = [
      // A token of the host's own environment, no key.
      await register({ token: project.token, hostname: "evil", uuid: "probe-victim-0001" }),
      // A token of another environment.
      await register({ token: other.token, hostname: "evil", uuid: "probe-victim-0001" }),
      // Another host's agent key.
      await register(
        { token: project.token, hostname: "evil", uuid: "probe-victim-0001" },
        basic(bystander.accessKey, bystander.secretKey),
      ),
      // A wrong secret for the host's own access key.
      await register(
        { token: project.token, hostname: "evil", uuid: "probe-victim-0001" },
        basic(victim.registration.accessKey, "not-the-secret-at-all"),
      ),
      // The host's own key, but a token of another environment: moving needs a removal first.
      await register({ token: other.token, hostname: "evil", uuid: "probe-victim-0001" }, victimKey),
    ];
    for (const res of attempts) {
      expect(res.status).toBe(409);
      expect(res.body).toMatchObject({ type: "error", status: 409, code: "NotUnique" });
    }
    // One answer for all: nobody learns where (or whether) the uuid is registered.
    expect(new Set(attempts.map((a) => JSON.stringify(a.body))).size).toBe(1);

    // The victim is untouched: same name, its key still works, its connection still open.
    const host = expectStatus(await admin.get(`/v2-beta/hosts/${victim.hostId}`), 200).body;
    expect(host.hostname).not.toBe("evil");
    expect((await admin.as(victimKey).get(`/v2-beta/hosts/${victim.hostId}`)).status).toBe(200);
    expect(victim.closeInfo).toBeNull();
    expect(server.hub.isConnected(victim.hostId)).toBe(true);
    await victim.close();
  });

  test("the 409 for a uuid of another environment is the 409 for a uuid of this one", async () => {
    const other = await createProject(admin);
    await registerAgent(server.url, other.token, { uuid: "probe-elsewhere-01" });
    await registerAgent(server.url, project.token, { uuid: "probe-here-000001" });
    const elsewhere = await register({ token: project.token, hostname: "h", uuid: "probe-elsewhere-01" });
    const here = await register({ token: project.token, hostname: "h", uuid: "probe-here-000001" });
    expect(elsewhere.status).toBe(409);
    expect(here.status).toBe(409);
    expect(elsewhere.body).toEqual(here.body);
    expect(JSON.stringify(elsewhere.body)).not.toContain(other.id);
  });

  test("the host's own agent key re-registers it: same host, new key, the old one stops", async () => {
    const first = await registerAgent(server.url, project.token, { uuid: "probe-rejoin-0001" });
    const own = basic(first.accessKey, first.secretKey);
    const again = expectStatus(
      await register({ token: project.token, hostname: "renamed", uuid: "probe-rejoin-0001" }, own),
      201,
    ).body;
    expect(again.hostId).toBe(first.hostId);
    expect(again.accessKey).not.toBe(first.accessKey);
    expect((await admin.as(own).get(`/v2-beta/hosts/${first.hostId}`)).status).toBe(401);
    const renewed = basic(again.accessKey, again.secretKey);
    expect((await admin.as(renewed).get(`/v2-beta/hosts/${first.hostId}`)).status).toBe(200);
    expect(expectStatus(await admin.get(`/v2-beta/hosts/${first.hostId}`), 200).body.hostname).toBe(
      "renamed",
    );
  });
});

describe("finding 7: the configured admin secret", () => {
  const access = "PROBEADMINKEY0001";
  const oldSecret = "probe-old-secret-0123456789";
  const newSecret = "probe-new-secret-9876543210";

  test("a restart with a new CORRAL_ADMIN_SECRET_KEY applies it at once and logs the rotation, not the value", async () => {
    const dataDir = join(tempDir(), "data");
    const start = (secret: string) =>
      startServer({
        port: 0,
        hostname: "127.0.0.1",
        dataDir,
        timings: fastTimings,
        env: { CORRAL_ADMIN_ACCESS_KEY: access, CORRAL_ADMIN_SECRET_KEY: secret },
      });
    const one = start(oldSecret);
    expect((await new Client(one.url, basic(access, oldSecret)).get("/v2-beta/projects")).status).toBe(200);
    await one.stop();

    const written: string[] = [];
    const spy = spyOn(process.stderr, "write").mockImplementation((chunk: unknown) => {
      written.push(String(chunk));
      return true;
    });
    let two: RunningServer;
    try {
      two = start(newSecret);
    } finally {
      spy.mockRestore();
    }
    try {
      expect((await new Client(two.url, basic(access, newSecret)).get("/v2-beta/projects")).status).toBe(200);
      expect((await new Client(two.url, basic(access, oldSecret)).get("/v2-beta/projects")).status).toBe(401);
      const log = written.join("");
      expect(log).toMatch(/admin secret key .*rotated/i);
      expect(log).toContain(access);
      expect(log).not.toContain(newSecret);
      expect(log).not.toContain(oldSecret);
    } finally {
      await two.stop();
    }
  });

  test("a restart with another CORRAL_ADMIN_ACCESS_KEY retires the key configured before", async () => {
    const dataDir = join(tempDir(), "data");
    const start = (key: string) =>
      startServer({
        port: 0,
        hostname: "127.0.0.1",
        dataDir,
        timings: fastTimings,
        env: { CORRAL_ADMIN_ACCESS_KEY: key, CORRAL_ADMIN_SECRET_KEY: newSecret },
      });
    await start("PROBEADMINKEYOLD").stop();
    const two = start("PROBEADMINKEYNEW");
    try {
      expect((await new Client(two.url, basic("PROBEADMINKEYNEW", newSecret)).get("/v2-beta")).status).toBe(
        200,
      );
      expect((await new Client(two.url, basic("PROBEADMINKEYOLD", newSecret)).get("/v2-beta")).status).toBe(
        401,
      );
    } finally {
      await two.stop();
    }
  });

  test.each([
    [
      "a secret shorter than 16 characters",
      { CORRAL_ADMIN_ACCESS_KEY: access, CORRAL_ADMIN_SECRET_KEY: "short-secret" },
      /CORRAL_ADMIN_SECRET_KEY.*16/,
    ],
    ["only an access key", { CORRAL_ADMIN_ACCESS_KEY: access }, /CORRAL_ADMIN_SECRET_KEY/],
    ["only a secret", { CORRAL_ADMIN_SECRET_KEY: newSecret }, /CORRAL_ADMIN_ACCESS_KEY/],
    [
      "an access key with a colon",
      { CORRAL_ADMIN_ACCESS_KEY: "a:b", CORRAL_ADMIN_SECRET_KEY: newSecret },
      /CORRAL_ADMIN_ACCESS_KEY/,
    ],
  ])("refuses to start with %s, saying why", (_name, env, message) => {
    const dataDir = join(tempDir(), "data");
    expect(() => startServer({ port: 0, hostname: "127.0.0.1", dataDir, env })).toThrow(message);
  });
});

describe("finding 8: stored secrets and failed attempts", () => {
  test("a new key's secret is stored salted, never as its plain SHA-256", async () => {
    const key = await freshKey();
    const stored = server.store.secretOf(server.store.getByLookup("apiKey", key.publicValue)!.id)!;
    expect(stored).not.toContain(sha256(key.secretValue));
    expect(stored).not.toMatch(/^[0-9a-f]{64}$/);
    // The same secret under two keys gives two digests (a per-key salt).
    const other = await freshKey();
    const row = server.store.getByLookup("apiKey", other.publicValue)!;
    server.store.update(row.id, { secret: stored });
    expect((await admin.as(basic(other.publicValue, key.secretValue)).get("/v2-beta")).status).toBe(200);
  });

  test("an old unsalted SHA-256 digest still works once and is replaced by a salted one", async () => {
    const key = await freshKey();
    const row = server.store.getByLookup("apiKey", key.publicValue)!;
    server.store.update(row.id, { secret: sha256(key.secretValue) });
    expect((await admin.as(basic(key.publicValue, key.secretValue)).get("/v2-beta")).status).toBe(200);
    const upgraded = server.store.secretOf(row.id)!;
    expect(upgraded).not.toBe(sha256(key.secretValue));
    expect(upgraded).not.toMatch(/^[0-9a-f]{64}$/);
    expect((await admin.as(basic(key.publicValue, `${key.secretValue}x`)).get("/v2-beta")).status).toBe(401);
  });

  test("one client address gets 20 failures, then 429 with Retry-After for any key, until it waits", async () => {
    const from = "127.0.0.10";
    const key = await freshKey();
    const wrong = { Authorization: basic(server.admin.accessKey, "not-the-admin-secret") };
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
    expect((await fromAddress(from, "GET", `/v2-beta/scripts/${project.token}`)).status).toBe(429);
  });

  test("an agent key guessed on the agent socket counts as well", async () => {
    const agent = await registerAgent(server.url, project.token);
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
      const dataDir = join(tempDir(), "data");
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
