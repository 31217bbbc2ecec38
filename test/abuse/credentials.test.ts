// Probes of credentials, as an attacker with one environment key or a stolen registration token
// would try them (issue 12, findings 6 and 7; 8 and 10 are in secrets-at-rest.test.ts):
// - registration tokens can be deactivated, activated, rotated and removed, and show their value
//   only while they can be used; a registration may take over an existing host's uuid only with
//   that host's own agent key, and the refusal is the same whether the uuid lives here or elsewhere;
// - a new CORRAL_ADMIN_SECRET_KEY replaces the old one at start, and short ones are refused.
import { describe, expect, spyOn, test } from "bun:test";
import { join } from "node:path";
import { type RunningServer, startServer } from "@corral/server";
import { FakeAgent, registerAgent } from "../api/fake-agent.ts";
import { basic, Client, createProject, expectStatus, fastTimings, until } from "../api/harness.ts";
import { useProbeServer } from "./probe-server.ts";

const probe = useProbeServer();

const register = (body: unknown, auth: string | null = null) =>
  probe.admin.as(auth).post("/v2-beta/register", body);

describe("finding 6: registration tokens", () => {
  test("deactivate, activate, rotate and remove; a token shows its value only while it can be used", async () => {
    const made = expectStatus(
      await probe.admin.post(`/v2-beta/projects/${probe.project.id}/registrationtokens`, { name: "probe" }),
      201,
    ).body;
    const first: string = made.token;
    expect(first).toMatch(/^[A-Z0-9]{40}$/);
    expect(made.command).toContain(first);
    expect(Object.keys(made.actions).sort()).toEqual(["deactivate", "rotate"]);
    const self = `/v2-beta/registrationtokens/${made.id}`;

    const off = expectStatus(await probe.admin.post(`${self}?action=deactivate`), 200).body;
    expect(off).toMatchObject({ state: "inactive", token: null, registrationUrl: null, command: null });
    expect(JSON.stringify(expectStatus(await probe.admin.get(self), 200).body)).not.toContain(first);
    const list = expectStatus(
      await probe.admin.get(`/v2-beta/projects/${probe.project.id}/registrationtokens`),
      200,
    );
    expect(JSON.stringify(list.body)).not.toContain(first);
    expect((await register({ token: first, hostname: "h", uuid: "probe-off-0001" })).status).toBe(401);
    expect((await probe.admin.as(null).get(`/v2-beta/scripts/${first}`)).status).toBe(404);

    const on = expectStatus(await probe.admin.post(`${self}?action=activate`), 200).body;
    expect(on).toMatchObject({ state: "active", token: first });
    expect((await probe.admin.as(null).get(`/v2-beta/scripts/${first}`)).status).toBe(200);

    const rotated = expectStatus(await probe.admin.post(`${self}?action=rotate`), 200).body;
    const second: string = rotated.token;
    expect(second).toMatch(/^[A-Z0-9]{40}$/);
    expect(second).not.toBe(first);
    expect(rotated.id).toBe(made.id);
    expect(rotated.registrationUrl).toContain(second);
    expect((await register({ token: first, hostname: "h", uuid: "probe-old-0001" })).status).toBe(401);
    expect((await probe.admin.as(null).get(`/v2-beta/scripts/${first}`)).status).toBe(404);
    const joined = expectStatus(
      await register({ token: second, hostname: "h", uuid: "probe-new-0001" }),
      201,
    );
    expect(joined.body.projectId).toBe(probe.project.id);

    const removed = expectStatus(await probe.admin.del(self), 200).body;
    expect(removed).toMatchObject({ state: "removed", token: null, command: null });
    expect((await register({ token: second, hostname: "h", uuid: "probe-gone-0001" })).status).toBe(401);
    // Nothing usable is left at rest either.
    const row = JSON.stringify(
      probe.server.store.db.query("SELECT * FROM resource WHERE lookup IS NULL").all(),
    );
    expect(row).not.toContain(second);
    // The audit log kept the verbs, never a token value.
    const audit = JSON.stringify(
      expectStatus(await probe.admin.get(`/v2-beta/projects/${probe.project.id}/auditlogs?limit=1000`), 200)
        .body,
    );
    expect(audit).toContain("api.registrationToken.rotate");
    expect(audit).not.toContain(first);
    expect(audit).not.toContain(second);
  });

  test("an environment key manages its own environment's tokens, never another's", async () => {
    const other = await createProject(probe.admin);
    const theirs = `/v2-beta/registrationtokens/${other.tokenId}`;
    for (const action of ["deactivate", "rotate"])
      expect((await probe.project.client.post(`${theirs}?action=${action}`)).status).toBe(404);
    expect((await probe.project.client.del(theirs)).status).toBe(404);
    expect((await register({ token: other.token, hostname: "h", uuid: "probe-still-0001" })).status).toBe(
      201,
    );
    const mine = expectStatus(await probe.project.client.post("/v2-beta/registrationtokens", {}), 201).body;
    expect(mine.accountId).toBe(probe.project.id);
    expectStatus(
      await probe.project.client.post(`/v2-beta/registrationtokens/${mine.id}?action=rotate`),
      200,
    );
  });

  test("a registration cannot take over an existing host's uuid without that host's agent key", async () => {
    const victim = await FakeAgent.join(probe.server.url, probe.project.token, { uuid: "probe-victim-0001" });
    await until("victim connected", () => probe.server.hub.isConnected(victim.hostId));
    const victimKey = basic(victim.registration.accessKey, victim.registration.secretKey);
    const other = await createProject(probe.admin);
    const bystander = await registerAgent(probe.server.url, probe.project.token, {
      uuid: "probe-bystander-01",
    });

    const attempts = [
      // A token of the host's own environment, no key.
      await register({ token: probe.project.token, hostname: "evil", uuid: "probe-victim-0001" }),
      // A token of another environment.
      await register({ token: other.token, hostname: "evil", uuid: "probe-victim-0001" }),
      // Another host's agent key.
      await register(
        { token: probe.project.token, hostname: "evil", uuid: "probe-victim-0001" },
        basic(bystander.accessKey, bystander.secretKey),
      ),
      // A wrong secret for the host's own access key.
      await register(
        { token: probe.project.token, hostname: "evil", uuid: "probe-victim-0001" },
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
    const host = expectStatus(await probe.admin.get(`/v2-beta/hosts/${victim.hostId}`), 200).body;
    expect(host.hostname).not.toBe("evil");
    expect((await probe.admin.as(victimKey).get(`/v2-beta/hosts/${victim.hostId}`)).status).toBe(200);
    expect(victim.closeInfo).toBeNull();
    expect(probe.server.hub.isConnected(victim.hostId)).toBe(true);
    await victim.close();
  });

  test("the 409 for a uuid of another environment is the 409 for a uuid of this one", async () => {
    const other = await createProject(probe.admin);
    await registerAgent(probe.server.url, other.token, { uuid: "probe-elsewhere-01" });
    await registerAgent(probe.server.url, probe.project.token, { uuid: "probe-here-000001" });
    const elsewhere = await register({
      token: probe.project.token,
      hostname: "h",
      uuid: "probe-elsewhere-01",
    });
    const here = await register({ token: probe.project.token, hostname: "h", uuid: "probe-here-000001" });
    expect(elsewhere.status).toBe(409);
    expect(here.status).toBe(409);
    expect(elsewhere.body).toEqual(here.body);
    expect(JSON.stringify(elsewhere.body)).not.toContain(other.id);
  });

  test("the host's own agent key re-registers it: same host, new key, the old one stops", async () => {
    const first = await registerAgent(probe.server.url, probe.project.token, { uuid: "probe-rejoin-0001" });
    const own = basic(first.accessKey, first.secretKey);
    const again = expectStatus(
      await register({ token: probe.project.token, hostname: "renamed", uuid: "probe-rejoin-0001" }, own),
      201,
    ).body;
    expect(again.hostId).toBe(first.hostId);
    expect(again.accessKey).not.toBe(first.accessKey);
    expect((await probe.admin.as(own).get(`/v2-beta/hosts/${first.hostId}`)).status).toBe(401);
    const renewed = basic(again.accessKey, again.secretKey);
    expect((await probe.admin.as(renewed).get(`/v2-beta/hosts/${first.hostId}`)).status).toBe(200);
    expect(expectStatus(await probe.admin.get(`/v2-beta/hosts/${first.hostId}`), 200).body.hostname).toBe(
      "renamed",
    );
  });
});

describe("finding 7: the configured admin secret", () => {
  const access = "PROBEADMINKEY0001";
  const oldSecret = "probe-old-secret-0123456789";
  const newSecret = "probe-new-secret-9876543210";

  test("a restart with a new CORRAL_ADMIN_SECRET_KEY applies it at once and logs the rotation, not the value", async () => {
    const dataDir = join(probe.tempDir(), "data");
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
    const dataDir = join(probe.tempDir(), "data");
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
    const dataDir = join(probe.tempDir(), "data");
    expect(() => startServer({ port: 0, hostname: "127.0.0.1", dataDir, env })).toThrow(message);
  });
});
