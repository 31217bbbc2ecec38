// What Rancher 1.6 clients send and read, through the API in-process: project schemas, read-only
// fields sent back, scripts/transform, volumes, typed service collections, settings and consume
// maps; every new endpoint also gets garbage, which is refused with 4xx and writes nothing.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { RunningServer } from "@corral/server";
import { FakeAgent } from "./fake-agent.ts";
import {
  adminClient,
  type Client,
  createProject,
  expectStatus,
  nonAuditRows,
  rowsFingerprint,
  settledFingerprint,
  startTestServer,
  until,
} from "./harness.ts";

let server: RunningServer;
let admin: Client;
let pid = "";
let stackId = "";
const p = () => `/v2-beta/projects/${pid}`;
const json = { "Content-Type": "application/json" };

beforeAll(async () => {
  server = startTestServer();
  admin = adminClient(server);
  pid = server.admin.defaultProjectId;
  stackId = expectStatus(await admin.post(`${p()}/stacks`, { name: "Default" }), 201).body.id;
});

afterAll(async () => {
  await server.stop();
});

/** Sends each request and expects its status, then checks no row was written. */
async function refusedWithoutWrites(cases: [string, string, string | undefined, number][]) {
  const fingerprint = await settledFingerprint(server);
  const before = nonAuditRows(server);
  for (const [method, path, body, status] of cases) {
    const r = await admin.raw(method, path, { body, headers: json });
    expect([method, path, body, r.status, r.body?.type]).toEqual([method, path, body, status, "error"]);
  }
  expect(nonAuditRows(server)).toBe(before);
  expect(rowsFingerprint(server)).toBe(fingerprint);
}

describe("schemas inside a project", () => {
  test("are served with X-API-Schemas and collection links inside the project", async () => {
    const r = expectStatus(await admin.get(`${p()}/schemas`), 200);
    expect(r.headers.get("x-api-schemas")).toBe(`${server.url}${p()}/schemas`);
    const container = r.body.data.find((s: { id: string }) => s.id === "container");
    expect(container.links.collection).toBe(`${server.url}${p()}/containers`);
    const ids = r.body.data.map((s: { id: string }) => s.id);
    for (const id of [
      "schema",
      "instance",
      "volume",
      "loadBalancerService",
      "setting",
      "serviceConsumeMap",
      "subscribe",
    ])
      expect(ids).toContain(id);
    expect(expectStatus(await admin.get(`${p()}/schemas/schemas`), 200).body.id).toBe("schema");
    expect(expectStatus(await admin.get(`${p()}/schemas/volume`), 200).body.links.collection).toBe(
      `${server.url}${p()}/volumes`,
    );
    // Every answer names the schemas of where it was asked.
    expect((await admin.get("/v2-beta/projects")).headers.get("x-api-schemas")).toBe(
      `${server.url}/v2-beta/schemas`,
    );
  });

  test("an unknown project or schema is 404", async () => {
    expect((await admin.get("/v2-beta/projects/1a999999/schemas")).status).toBe(404);
    expect((await admin.get(`${p()}/schemas/nosuch`)).status).toBe(404);
  });
});

describe("read-only fields sent back", () => {
  test("are ignored on create, also inside launch configs", async () => {
    const body = {
      links: null,
      actions: null,
      id: "",
      type: "service",
      state: "",
      name: "ro",
      stackId,
      launchConfig: {
        type: "launchConfig",
        links: null,
        actions: null,
        imageUuid: "docker:busybox",
        logConfig: { links: null, actions: null },
        labels: { type: "kept", links: "kept" },
      },
    };
    const svc = expectStatus(await admin.post(`${p()}/services`, body), 201).body;
    expect(svc.launchConfig.labels).toEqual({ type: "kept", links: "kept" });
    expect(svc.launchConfig.logConfig).toBeUndefined();
  });

  test("a type's own read-only field with a value is still refused", async () => {
    await refusedWithoutWrites([
      ["POST", `${p()}/containers`, '{"imageUuid":"busybox","hostId":"1h1"}', 422],
      ["POST", `${p()}/services`, `{"name":"x","stackId":"${stackId}","bogus":1}`, 422],
    ]);
  });
});

describe("scripts/transform", () => {
  test("turns Docker's container shape into a launch config", async () => {
    const r = await admin.post(`${p()}/scripts/transform`, {
      Name: "/web",
      Config: {
        Image: "nginx:1.25",
        Cmd: ["nginx", "-g", "daemon off;"],
        Env: ["A=1", "B=x=y"],
        Labels: { l: "v" },
        ExposedPorts: { "80/tcp": {}, "443/tcp": {}, "53/udp": {} },
        Volumes: { "/cache": {} },
        WorkingDir: "/srv",
      },
      HostConfig: {
        Binds: ["data:/data"],
        PortBindings: {
          "80/tcp": [{ HostIp: "", HostPort: "8080" }],
          "53/udp": [{ HostIp: "127.0.0.1", HostPort: "53" }],
        },
        RestartPolicy: { Name: "always", MaximumRetryCount: 0 },
        LogConfig: { Type: "json-file", Config: { "max-size": "1m" } },
        CapAdd: ["NET_ADMIN"],
      },
    });
    const lc = expectStatus(r, 200).body;
    expect(lc).toMatchObject({
      imageUuid: "docker:nginx:1.25",
      command: ["nginx", "-g", "daemon off;"],
      environment: { A: "1", B: "x=y" },
      labels: { l: "v" },
      ports: ["8080:80/tcp", "127.0.0.1:53:53/udp"],
      expose: ["443/tcp"],
      dataVolumes: ["data:/data", "/cache"],
      workingDir: "/srv",
      restartPolicy: { name: "always" },
      logConfig: { driver: "json-file", config: { "max-size": "1m" } },
      capAdd: ["NET_ADMIN"],
    });
  });

  test("refuses garbage and settings it cannot apply, writing nothing", async () => {
    const t = `${p()}/scripts/transform`;
    await refusedWithoutWrites([
      ["POST", t, "{", 400],
      ["POST", t, "[]", 400],
      ["POST", t, "{}", 422],
      ["POST", t, '{"Config":{"Image":5}}', 422],
      ["POST", t, '{"Config":{"Image":"x","Env":"A=1"}}', 422],
      ["POST", t, '{"Config":{"Image":"x"},"HostConfig":{"PortBindings":{"80/tcp":"8080"}}}', 422],
      ["POST", "/v2-beta/projects/1a999999/scripts/transform", '{"Config":{"Image":"x"}}', 404],
    ]);
  });
});

describe("volumes", () => {
  test("create, list, refuse duplicates and removal while mounted, remove", async () => {
    const v = expectStatus(
      await admin.post(`${p()}/volumes`, { name: "data1", links: null, actions: null }),
      201,
    ).body;
    expect([v.type, v.name, v.driver]).toEqual(["volume", "data1", "local"]);
    const listed = expectStatus(await admin.get(`${p()}/volumes?name=data1`), 200).body.data;
    expect(listed.map((x: { id: string }) => x.id)).toEqual([v.id]);
    await refusedWithoutWrites([["POST", `${p()}/volumes`, '{"name":"data1"}', 409]]);
    const svc = expectStatus(
      await admin.post(`${p()}/services`, {
        name: "uses-data",
        stackId,
        startOnCreate: false,
        launchConfig: { imageUuid: "docker:busybox", dataVolumes: ["data1:/data"] },
      }),
      201,
    ).body;
    await refusedWithoutWrites([["DELETE", `${p()}/volumes/${v.id}`, undefined, 409]]);
    expectStatus(await admin.del(`${p()}/services/${svc.id}`), 200);
    await until(
      "service removed",
      async () => (await admin.get(`${p()}/services/${svc.id}`)).body.state === "removed",
    );
    expectStatus(await admin.del(`${p()}/volumes/${v.id}`), 200);
    await until(
      "volume removed",
      async () => (await admin.get(`${p()}/volumes/${v.id}`)).body.state === "removed",
    );
  });

  test("garbage is refused and writes nothing", async () => {
    const v = `${p()}/volumes`;
    await refusedWithoutWrites([
      ["POST", v, "{", 400],
      ["POST", v, "null", 400],
      ["POST", v, "{}", 422],
      ["POST", v, '{"name":"a"}', 422],
      ["POST", v, '{"name":"-bad"}', 422],
      ["POST", v, '{"name":"x/y"}', 422],
      ["POST", v, `{"name":"${"v".repeat(300)}"}`, 422],
      ["POST", v, '{"name":"ok1","driver":"a b"}', 422],
      ["POST", v, '{"name":"ok1","driverOpts":{"a":1}}', 422],
      ["POST", v, '{"name":"ok1","bogus":true}', 422],
      ["PUT", `${v}/1v999999`, '{"name":"x"}', 404],
      ["DELETE", `${v}/1v999999`, undefined, 404],
      ["GET", `${v}?created_gt=abc`, undefined, 422],
    ]);
  });
});

describe("typed service collections", () => {
  test("create through them with their kind; services lists every kind", async () => {
    const ext = expectStatus(
      await admin.post(`${p()}/externalservices`, {
        name: "ext",
        stackId,
        externalIpAddresses: ["10.9.9.9"],
      }),
      201,
    ).body;
    expect([ext.type, ext.baseType, ext.kind]).toEqual(["externalService", "service", "externalService"]);
    const all = expectStatus(await admin.get(`${p()}/services`), 200).body.data.map(
      (s: { id: string }) => s.id,
    );
    expect(all).toContain(ext.id);
    const externals = expectStatus(await admin.get(`${p()}/externalservices`), 200).body;
    expect(externals.resourceType).toBe("externalService");
    expect(externals.data.map((s: { id: string }) => s.id)).toEqual([ext.id]);
    expect(expectStatus(await admin.get(`${p()}/loadbalancerservices`), 200).body.data).toEqual([]);
    expect((await admin.get(`${p()}/dnsservices/${ext.id}`)).status).toBe(404);
    expectStatus(await admin.get(`${p()}/externalservices/${ext.id}`), 200);
  });

  test("garbage and a conflicting kind are refused, writing nothing", async () => {
    await refusedWithoutWrites([
      ["POST", `${p()}/dnsservices`, "[]", 400],
      ["POST", `${p()}/dnsservices`, `{"name":"d","stackId":"${stackId}","kind":"service"}`, 422],
      ["POST", `${p()}/loadbalancerservices`, '{"name":"lb"}', 422],
      ["POST", `${p()}/instances`, '{"imageUuid":"busybox"}', 405],
    ]);
  });
});

test("host lookups: a local storage pool per host, labels with their hosts; read-only", async () => {
  const env = await createProject(admin);
  const agent = await FakeAgent.join(server.url, env.token);
  try {
    const hosts = (await until(
      "the host",
      async () =>
        (await env.client.get(`/v2-beta/projects/${env.id}/hosts`)).body.data.length &&
        (
          await env.client.get(`/v2-beta/projects/${env.id}/hosts`)
        ).body.data,
    )) as { id: string }[];
    const base = `/v2-beta/projects/${env.id}/storagepools`;
    const pools = expectStatus(await env.client.get(base), 200).body;
    expect(pools.resourceType).toBe("storagePool");
    expect(
      pools.data.map((x: { type: string; driverName: string; hostIds: string[] }) => [
        x.type,
        x.driverName,
        x.hostIds,
      ]),
    ).toEqual([["storagePool", "local", [hosts[0]!.id]]]);
    expect(expectStatus(await env.client.get(`${base}/${hosts[0]!.id}`), 200).body.volumeAccessMode).toBe(
      "singleHostRW",
    );
    // The other environment's list holds no pool of this one's host.
    expect(expectStatus(await admin.get(`${p()}/storagepools`), 200).body.data).toEqual([]);
    // Labels: each key=value pair of the environment's hosts, with the hosts carrying it.
    const host = `/v2-beta/projects/${env.id}/hosts/${hosts[0]!.id}`;
    expectStatus(await env.client.put(host, { labels: { zone: "a", disk: "ssd" } }), 200);
    const labels = expectStatus(
      await env.client.get(`/v2-beta/projects/${env.id}/labels?key=zone`),
      200,
    ).body;
    expect(labels.resourceType).toBe("label");
    expect(
      labels.data.map((l: { key: string; value: string; labelType: string; hostIds: string[] }) => [
        l.key,
        l.value,
        l.labelType,
        l.hostIds,
      ]),
    ).toEqual([["zone", "a", "host", [hosts[0]!.id]]]);
    expect(expectStatus(await admin.get(`${p()}/labels`), 200).body.data).toEqual([]);
    await refusedWithoutWrites([
      ["POST", base, '{"name":"p"}', 405],
      ["PUT", `${base}/${hosts[0]!.id}`, '{"name":"p"}', 405],
      ["DELETE", `${base}/${hosts[0]!.id}`, undefined, 405],
    ]);
  } finally {
    await agent.close();
  }
});

describe("settings, consume maps, environment templates", () => {
  test("settings users query are readable, not writable", async () => {
    const v = expectStatus(await admin.get("/v2-beta/settings/rancher.server.version"), 200).body;
    expect([v.type, v.name, typeof v.value]).toEqual(["setting", "rancher.server.version", "string"]);
    expect((await admin.get("/v2-beta/settings/nosuch")).status).toBe(404);
    await refusedWithoutWrites([
      ["PUT", "/v2-beta/settings/api.host", '{"value":"x"}', 405],
      ["POST", "/v2-beta/settings", '{"name":"x"}', 405],
    ]);
  });

  test("a service's links show as serviceConsumeMaps", async () => {
    const a = expectStatus(
      await admin.post(`${p()}/services`, {
        name: "a",
        stackId,
        startOnCreate: false,
        launchConfig: { imageUuid: "docker:busybox" },
      }),
      201,
    ).body;
    const b = expectStatus(
      await admin.post(`${p()}/services`, {
        name: "b",
        stackId,
        startOnCreate: false,
        launchConfig: { imageUuid: "docker:busybox" },
        links: [{ target: "a", alias: "db" }],
      }),
      201,
    ).body;
    const maps = expectStatus(await admin.get(`${p()}/serviceconsumemaps?serviceId=${b.id}`), 200).body.data;
    expect(
      maps.map((m: { consumedServiceId: string; name: string }) => [m.consumedServiceId, m.name]),
    ).toEqual([[a.id, "db"]]);
    expect((await admin.get("/v2-beta/projects/1a999999/serviceconsumemaps")).status).toBe(404);
  });

  test("env create's template: only Cattle", async () => {
    const t = expectStatus(await admin.get("/v2-beta/projecttemplates?name=Cattle"), 200).body.data;
    expect(t.map((x: { id: string }) => x.id)).toEqual(["1pt1"]);
    const env = expectStatus(
      await admin.post("/v2-beta/projects", { name: "tpl-env", projectTemplateId: "1pt1" }),
      201,
    );
    expect(env.body.name).toBe("tpl-env");
    await refusedWithoutWrites([
      ["POST", "/v2-beta/projects", '{"name":"tpl2","projectTemplateId":"1pt9"}', 422],
    ]);
  });
});
