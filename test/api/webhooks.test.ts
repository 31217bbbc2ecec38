// Webhook receivers as Rancher's webhook service had them, through the in-process server and a fake
// host: CRUD under /v1-webhooks/receivers (and /v2-beta), the key shown once and stored only as a
// salted digest, unknown keys 404 after the same work as known ones, scaleService within min/max,
// serviceUpgrade from Docker Hub's payload and from a registry's v2 envelope, garbage refused
// without a change, and an audit row for every trigger.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import type { RunningServer } from "@corral/server";
import { receiverForKey } from "../../server/src/webhooks/trigger.ts";
import { FakeAgent } from "./fake-agent.ts";
import {
  adminClient,
  type Client,
  createProject,
  expectStatus,
  type ProjectFixture,
  rowsFingerprint,
  settledFingerprint,
  startTestServer,
  until,
} from "./harness.ts";

setDefaultTimeout(60_000);

let server: RunningServer;
let admin: Client;
let project: ProjectFixture;
let agent: FakeAgent;
const services: Record<string, string> = {};

const compose = [
  "services:",
  "  web:",
  "    image: localhost:5000/shop/web:1",
  "    labels: {deploy: auto}",
  "  hub:",
  "    image: acme/site:1",
  "    labels: {deploy: auto}",
  "  other:",
  "    image: localhost:5000/shop/web:1",
  "  counter:",
  "    image: busybox",
  "",
].join("\n");

const p = () => `/v2-beta/projects/${project.id}`;
const hooks = () => `/v1-webhooks/receivers?projectId=${project.id}`;

beforeAll(async () => {
  server = startTestServer();
  admin = adminClient(server);
  project = await createProject(admin);
  agent = await FakeAgent.join(server.url, project.token);
  await until("agent connected", () => server.hub.isConnected(agent.hostId));
  const stack = expectStatus(
    await admin.post(`${p()}/stacks`, { name: "shop", dockerCompose: compose }),
    201,
  );
  const list = expectStatus(await admin.get(`${p()}/services?stackId=${stack.body.id}`), 200).body.data;
  for (const s of list) services[s.name] = s.id;
  await until(
    "services active",
    async () => {
      const all = expectStatus(await admin.get(`${p()}/services?stackId=${stack.body.id}`), 200).body.data;
      return all.every((s: { state: string }) => s.state === "active");
    },
    20_000,
  );
});

afterAll(async () => {
  await agent?.close();
  await server.stop();
});

/** POSTs a payload to a trigger URL with no credentials. */
// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON shapes
async function fire(url: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json().catch(() => null) };
}

async function service(id: string) {
  return expectStatus(await admin.get(`${p()}/services/${id}`), 200).body;
}

async function webhookAudits(): Promise<{ responseCode: number; description: string; resourceId: string }[]> {
  const rows = expectStatus(await admin.get(`${p()}/auditlogs?eventType=webhook.trigger&limit=1000`), 200)
    .body.data;
  return rows;
}

describe("receivers", () => {
  test("CRUD with Rancher's fields; the URL (with its key) only in the answer to create", async () => {
    const made = expectStatus(
      await admin.post(hooks(), {
        name: "scale-web",
        driver: "scaleService",
        scaleServiceConfig: { serviceId: services.counter, action: "up", amount: 2, min: 1, max: 4 },
      }),
      201,
    ).body;
    expect(made.type).toBe("receiver");
    expect(made.driver).toBe("scaleService");
    expect(made.scaleServiceConfig).toEqual({
      serviceId: services.counter,
      action: "up",
      amount: 2,
      min: 1,
      max: 4,
    });
    expect(made.url).toStartWith(`${server.url}/v1-webhooks/endpoint?key=`);
    const key = new URL(made.url).searchParams.get("key")!;
    expect(key).toHaveLength(60);
    expect(new URL(made.url).searchParams.get("projectId")).toBe(project.id);
    // Read back (both doors): no URL, no key.
    const got = expectStatus(
      await admin.get(`/v1-webhooks/receivers/${made.id}?projectId=${project.id}`),
      200,
    ).body;
    expect(got.url).toBeNull();
    expect(JSON.stringify(got)).not.toContain(key.slice(20));
    const listed = expectStatus(await admin.get(`${p()}/receivers`), 200).body.data;
    expect(listed.map((r: { id: string }) => r.id)).toContain(made.id);
    // At rest: the public part finds the row, the secret is a salted HMAC digest only.
    const row = server.store.db
      .query<{ lookup: string; secret: string; data: string }, [string]>(
        "SELECT lookup, secret, data FROM resource WHERE type = 'receiver' AND name = ?",
      )
      .get("scale-web")!;
    expect(row.lookup).toBe(key.slice(0, 20));
    expect(row.secret).toMatch(/^hmac-sha256\$[A-Za-z0-9_-]+\$[A-Za-z0-9_-]+$/);
    const dump = JSON.stringify(server.store.db.query("SELECT * FROM resource").all());
    expect(dump).not.toContain(key.slice(20));
    // An environment key of the project works too; removal makes the URL a 404.
    const byKey = expectStatus(await project.client.get(hooks()), 200).body.data;
    expect(byKey.map((r: { id: string }) => r.id)).toContain(made.id);
    expectStatus(await admin.raw("DELETE", `/v1-webhooks/receivers/${made.id}?projectId=${project.id}`), 200);
    expect((await fire(made.url)).status).toBe(404);
  });

  test("bad receivers are refused with a clear 4xx and write nothing", async () => {
    const before = await settledFingerprint(server);
    const cases: [unknown, RegExp][] = [
      [{ name: "x", driver: "scaleHost" }, /driver/],
      [{ name: "x", driver: "scaleService" }, /scaleServiceConfig/],
      [
        { name: "x", driver: "scaleService", scaleServiceConfig: { serviceId: "1s999999", action: "up" } },
        /not found/,
      ],
      [
        {
          name: "x",
          driver: "scaleService",
          scaleServiceConfig: { serviceId: services.counter, action: "sideways" },
        },
        /action/,
      ],
      [
        {
          name: "x",
          driver: "scaleService",
          scaleServiceConfig: { serviceId: services.counter, action: "up", min: 5, max: 2 },
        },
        /min/,
      ],
      [
        { name: "x", driver: "serviceUpgrade", serviceUpgradeConfig: { serviceSelector: {}, tag: "v2" } },
        /labels/,
      ],
      [
        {
          name: "x",
          driver: "serviceUpgrade",
          serviceUpgradeConfig: { serviceSelector: { a: "b" }, tag: "v2", payloadFormat: "gitlab" },
        },
        /payloadFormat/,
      ],
      [{ name: "bad name!", driver: "scaleService" }, /name/],
      ["[]", /./],
    ];
    for (const [body, message] of cases) {
      const res =
        typeof body === "string"
          ? await admin.raw("POST", hooks(), { body, headers: { "Content-Type": "application/json" } })
          : await admin.post(hooks(), body);
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(`${res.body.message} ${JSON.stringify(res.body.detail ?? "")}`).toMatch(message);
    }
    expect(rowsFingerprint(server)).toBe(before);
  });
});

describe("the endpoint", () => {
  test("unknown keys, wrong projects and removed receivers are all the same 404; no timing tells them apart", async () => {
    const made = expectStatus(
      await admin.post(hooks(), {
        name: "timing",
        driver: "scaleService",
        scaleServiceConfig: { serviceId: services.counter, action: "up", amount: 1, min: 1, max: 1 },
      }),
      201,
    ).body;
    const key: string = new URL(made.url).searchParams.get("key")!;
    const endpoint = `${server.url}/v1-webhooks/endpoint`;
    const wrongSecret = `${key.slice(0, 20)}${"x".repeat(40)}`;
    const unknown = "Z".repeat(60);
    for (const url of [
      `${endpoint}?key=${unknown}&projectId=${project.id}`,
      `${endpoint}?key=${wrongSecret}&projectId=${project.id}`,
      `${endpoint}?key=${key}&projectId=1a999999`,
      `${endpoint}?projectId=${project.id}`,
      `${endpoint}?key=${"k".repeat(5000)}`,
    ]) {
      const res = await fire(url, { any: "thing" });
      expect([res.status, res.body.message]).toEqual([404, "unknown webhook key"]);
    }
    const get = await fetch(`${endpoint}?key=${key}&projectId=${project.id}`);
    expect(get.status).toBe(405);
    // The check itself, without HTTP's noise: interleaved, unknown public part against a known
    // public part with a wrong secret. Medians of many runs; the difference must be below what a
    // network client could see (a few microseconds), whatever the machine's load.
    const time = (k: string) => {
      const t = Bun.nanoseconds();
      try {
        receiverForKey(server.store, k, project.id);
      } catch {}
      return Bun.nanoseconds() - t;
    };
    const a: number[] = [];
    const b: number[] = [];
    for (let i = 0; i < 4000; i++) {
      a.push(time(unknown));
      b.push(time(wrongSecret));
    }
    const median = (xs: number[]) => xs.sort((x, y) => x - y)[xs.length >> 1]!;
    const [ma, mb] = [median(a), median(b)];
    console.log(`receiver key check: unknown ${ma} ns, known public part + wrong secret ${mb} ns (medians)`);
    expect(Math.abs(ma - mb)).toBeLessThan(Math.max(5000, 0.5 * Math.max(ma, mb)));
  });

  test("scaleService: up and down by amount, within min and max; each trigger audited", async () => {
    const make = async (action: string) =>
      new URL(
        expectStatus(
          await admin.post(hooks(), {
            name: `counter-${action}`,
            driver: "scaleService",
            scaleServiceConfig: { serviceId: services.counter, action, amount: 2, min: 1, max: 4 },
          }),
          201,
        ).body.url,
      );
    const up = await make("up");
    const down = await make("down");
    const audits = (await webhookAudits()).length;
    expect((await service(services.counter!)).scale).toBe(1);
    const steps: [URL, number][] = [
      [up, 3],
      [up, 4],
      [up, 4],
      [down, 2],
      [down, 1],
      [down, 1],
    ];
    for (const [url, want] of steps) {
      // No credentials at all: the key is the credential. A body is not needed (or read).
      const res = await fire(url.toString());
      expect(res.status).toBe(200);
      expect(res.body.driver).toBe("scaleService");
      expect((await service(services.counter!)).scale).toBe(want);
    }
    const rows = await webhookAudits();
    expect(rows.length - audits).toBe(steps.length);
    expect(rows.map((r) => r.description)).toEqual(
      expect.arrayContaining([
        "service counter scaled from 1 to 3",
        "service counter stays at scale 4 (max 4)",
      ]),
    );
  });
});

describe("serviceUpgrade", () => {
  const upgradeHook = async (payloadFormat: string, tag: string, name: string) =>
    expectStatus(
      await admin.post(hooks(), {
        name,
        driver: "serviceUpgrade",
        serviceUpgradeConfig: {
          serviceSelector: { deploy: "auto" },
          tag,
          payloadFormat,
          batchSize: 1,
          intervalMillis: 0,
          startFirst: true,
        },
      }),
      201,
    ).body.url as string;

  const waitState = (id: string, state: string) =>
    until(`${id} ${state}`, async () => (await service(id)).state === state, 20_000);

  test("a registry v2 envelope upgrades the selected services whose repository was pushed", async () => {
    const url = await upgradeHook("registry", "2", "registry-push");
    const envelope = (tag: string, action = "push") => ({
      events: [
        // A layer push and a pull come in the same envelopes: neither is a tagged push.
        { action: "push", target: { repository: "shop/web", mediaType: "application/octet-stream" } },
        { action: "pull", target: { repository: "shop/web", tag }, request: { host: "localhost:5000" } },
        {
          id: "e1",
          timestamp: new Date().toISOString(),
          action,
          target: {
            mediaType: "application/vnd.docker.distribution.manifest.v2+json",
            repository: "shop/web",
            tag,
          },
          request: { host: "localhost:5000", method: "PUT" },
        },
      ],
    });
    // Another tag than the receiver's: answered, nothing done.
    const before = await settledFingerprint(server);
    const other = await fire(url, envelope("3"));
    expect(other.status).toBe(200);
    expect(other.body.message).toContain("reacts to tag 2");
    expect(rowsFingerprint(server).replace(/:.*/, "")).toBe(before.replace(/:.*/, ""));
    expect((await service(services.web!)).state).toBe("active");

    const res = await fire(url, envelope("2"));
    expect(res.status).toBe(200);
    // web matches (label and repository); hub has the label but another repository; other has the
    // repository but not the label.
    expect(res.body.services.map((s: { name: string }) => s.name)).toEqual(["web"]);
    await waitState(services.web!, "upgraded");
    const web = await service(services.web!);
    expect(web.launchConfig.imageUuid).toBe("docker:localhost:5000/shop/web:2");
    expect((await service(services.other!)).launchConfig.imageUuid).toBe("docker:localhost:5000/shop/web:1");
    expect((await service(services.hub!)).state).toBe("active");

    // A second push while the first upgrade waits for finishupgrade: finished, then upgraded again.
    const url3 = await upgradeHook("registry", "3", "registry-push-3");
    const again = await fire(url3, envelope("3"));
    expect(again.body.services[0].outcome).toContain("finishing the last upgrade");
    await until(
      "second upgrade",
      async () => {
        const s = await service(services.web!);
        return s.state === "upgraded" && s.launchConfig.imageUuid === "docker:localhost:5000/shop/web:3";
      },
      30_000,
    );
    expectStatus(await admin.post(`${p()}/services/${services.web}?action=finishupgrade`), 202);
    await waitState(services.web!, "active");
  });

  test("Docker Hub's push payload upgrades by repo_name (Docker Hub's default host)", async () => {
    const url = await upgradeHook("dockerhub", "2", "hub-push");
    const res = await fire(url, {
      callback_url: "https://registry.hub.docker.com/u/acme/site/hook/x/",
      push_data: { pushed_at: 1, pusher: "ci", tag: "2" },
      repository: { repo_name: "acme/site", name: "site", namespace: "acme" },
    });
    expect(res.status).toBe(200);
    expect(res.body.services.map((s: { name: string }) => s.name)).toEqual(["hub"]);
    await waitState(services.hub!, "upgraded");
    expect((await service(services.hub!)).launchConfig.imageUuid).toBe("docker:acme/site:2");
    expectStatus(await admin.post(`${p()}/services/${services.hub}?action=finishupgrade`), 202);
    await waitState(services.hub!, "active");
  });

  test("garbage payloads get a 4xx, change nothing, and are audited", async () => {
    const hub = await upgradeHook("dockerhub", "9", "hub-garbage");
    const reg = await upgradeHook("registry", "9", "reg-garbage");
    const before = await settledFingerprint(server);
    const audits = (await webhookAudits()).length;
    const cases: [string, unknown][] = [
      [hub, "{"],
      [hub, "[1,2]"],
      [hub, { push_data: { tag: 9 }, repository: { repo_name: "acme/site" } }],
      [hub, { repository: { repo_name: "acme/site" } }],
      [hub, ""],
      [reg, { events: "push" }],
      [reg, { events: [{ action: 5 }] }],
      [reg, { target: { repository: "shop/web", tag: "9" } }],
      [reg, "null"],
    ];
    for (const [url, body] of cases) {
      const res = await fire(url, body);
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
    }
    expect(rowsFingerprint(server)).toBe(before);
    const rows = await webhookAudits();
    expect(rows.length - audits).toBe(cases.length);
    expect((await service(services.web!)).state).toBe("active");
  });
});
