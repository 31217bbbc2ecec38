import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { request } from "node:http";
import { createLogger } from "@corral/lib";
import { sampleState } from "../../testing/dns-state.ts";
import { HostStateBus } from "../host-state-bus.ts";
import { type MetadataServer, startMetadataServer } from "./server.ts";

let server: MetadataServer;
const bus = new HostStateBus();

beforeAll(async () => {
  bus.publish(sampleState(1));
  server = await startMetadataServer({ bus, logger: createLogger("md-test"), address: "127.0.0.1", port: 0 });
});

afterAll(() => server.stop());

/** GET through node:http so the client can choose its source address (Bun's fetch cannot). */
function get(path: string, opts: { source?: string; json?: boolean } = {}) {
  return new Promise<{ status: number; body: string; type: string }>((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port: server.port,
        path,
        localAddress: opts.source ?? "127.0.0.1",
        headers: opts.json ? { accept: "application/json" } : {},
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => {
          body += c;
        });
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, body, type: String(res.headers["content-type"] ?? "") }),
        );
      },
    );
    req.on("error", reject);
    req.end();
  });
}

const WEB1 = { source: "127.0.0.2" };

describe("metadata paths", () => {
  test("root lists versions; each version lists its keys", async () => {
    expect((await get("/")).body).toBe("2015-07-25\n2015-12-19\n2016-07-29\nlatest");
    for (const v of ["latest", "2015-12-19", "2016-07-29"]) {
      expect((await get(`/${v}`)).body).toBe("containers/\nhosts/\nself/\nservices/\nstacks/\nversion\n");
    }
    expect((await get("/2014-01-01/self")).status).toBe(404);
  });

  test("self/container answers by source address, scalars print bare", async () => {
    expect((await get("/latest/self/container/name", WEB1)).body).toBe("mystack-web-1");
    expect((await get("/latest/self/container/primary_ip", WEB1)).body).toBe("127.0.0.2");
    expect((await get("/latest/self/container/create_index", WEB1)).body).toBe("1");
    expect((await get("/latest/self/container/name", { source: "127.0.0.3" })).body).toBe("other-app-1");
    expect((await get("/latest/self/container/name")).status).toBe(404);
    const keys = (await get("/latest/self/container", WEB1)).body.split("\n");
    for (const k of [
      "create_index",
      "health_state",
      "host_uuid",
      "ips/",
      "labels/",
      "name",
      "ports/",
      "primary_ip",
    ])
      expect(keys).toContain(k);
    for (const k of ["service_name", "stack_name", "state", "uuid"]) expect(keys).toContain(k);
  });

  test("self/service, its metadata and links; self/stack; self/host", async () => {
    expect((await get("/latest/self/service/name", WEB1)).body).toBe("web");
    expect((await get("/latest/self/service/metadata/color", WEB1)).body).toBe("blue");
    expect((await get("/latest/self/service/metadata", WEB1)).body).toBe("color\nnested/\n");
    expect((await get("/latest/self/service/metadata/nested/a", WEB1)).body).toBe("1");
    expect((await get("/latest/self/service/links", WEB1)).body).toBe("mystack%2Fdb\n");
    expect((await get("/latest/self/service/containers", WEB1)).body).toBe(
      "0=mystack-web-1\n1=mystack-web-2\n",
    );
    expect((await get("/latest/self/service/sidekicks", WEB1)).body).toBe("0\n");
    expect((await get("/latest/self/service/sidekicks/0", WEB1)).body).toBe("logger");
    expect((await get("/latest/self/stack/name", WEB1)).body).toBe("mystack");
    expect((await get("/latest/self/host/name", WEB1)).body).toBe("host-a");
    expect((await get("/latest/self/host/agent_ip")).body).toBe("192.168.1.10");
    expect((await get("/latest/self/container/ips", WEB1)).body).toBe("0\n");
    expect((await get("/latest/self/container/health_state", { source: "127.0.0.4" })).body).toBe("");
  });

  test("a sidekick container's self/service is its own launch config", async () => {
    const state = sampleState(2);
    state.containers.find((c) => c.name === "mystack-web-logger-1")!.ip = "127.0.0.5";
    bus.publish(state);
    expect((await get("/latest/self/service/name", { source: "127.0.0.5" })).body).toBe("logger");
    expect((await get("/latest/self/service/primary_service_name", { source: "127.0.0.5" })).body).toBe(
      "web",
    );
    bus.publish(sampleState(3));
  });

  test("collections list index=name and walk by name or index", async () => {
    const services = (await get("/latest/services")).body;
    expect(services).toContain("0=web\n1=logger\n2=db\n");
    expect((await get("/latest/services/db/containers")).body).toBe(
      "0=mystack-db-1\n1=mystack-db-2\n2=mystack-db-3\n3=mystack-db-4\n",
    );
    expect((await get("/latest/services/db/containers/mystack-db-3/primary_ip")).body).toBe("10.42.1.12");
    expect((await get("/latest/services/0/name")).body).toBe("web");
    expect((await get("/latest/stacks")).body).toBe("0=mystack\n1=other\n");
    expect((await get("/latest/stacks/other/services")).body).toBe("0=db\n1=app\n");
    expect((await get("/latest/hosts")).body).toBe("0=host-a\n1=host-b\n");
    expect((await get("/latest/hosts/host-a/labels/zone")).body).toBe("a");
    expect((await get("/latest/containers/solo/links/mydb")).body).toBe("mystack/db");
    expect((await get("/latest/services/ext/external_ips")).body).toBe("0\n1\n");
    expect((await get("/latest/services/exthost/hostname")).body).toBe("example.test");
    expect((await get("/latest/services/web/fqdn")).body).toBe("web.mystack.rancher.internal");
    expect((await get("/latest/containers/mystack-web-1/labels")).body).toBe(
      "io.rancher.stack_service.name\n",
    );
  });

  test("unknown paths are 404", async () => {
    for (const p of [
      "/latest/nope",
      "/latest/services/nope",
      "/latest/self/container/name/x",
      "/latest/services/99",
    ])
      expect((await get(p, WEB1)).status).toBe(404);
  });

  test("JSON with Accept: application/json", async () => {
    const r = await get("/latest/self/container", { ...WEB1, json: true });
    expect(r.type).toContain("application/json");
    const c = JSON.parse(r.body);
    expect(c).toMatchObject({
      name: "mystack-web-1",
      primary_ip: "127.0.0.2",
      ips: ["127.0.0.2"],
      stack_name: "mystack",
    });
    expect(c).toMatchObject({
      service_name: "web",
      health_state: "healthy",
      state: "running",
      host_uuid: "1h1",
    });
    expect(JSON.parse((await get("/latest/self/container/name", { ...WEB1, json: true })).body)).toBe(
      "mystack-web-1",
    );
    const svc = JSON.parse((await get("/latest/services/web", { json: true })).body);
    expect(Object.keys(svc)).toEqual(
      expect.arrayContaining(["kind", "scale", "containers", "links", "metadata", "labels"]),
    );
    expect(Object.keys(svc)).toEqual(
      expect.arrayContaining(["sidekicks", "ports", "health_state", "external_ips", "hostname", "fqdn"]),
    );
    expect(svc.ports).toEqual(["8080:80/tcp"]);
    const all = JSON.parse((await get("/latest", { ...WEB1, json: true })).body);
    expect(all.self.container.name).toBe("mystack-web-1");
  });
});

describe("version long-poll", () => {
  test("returns at once when the version differs, and wakes within a second of a new one", async () => {
    const current = (await get("/latest/version")).body;
    expect((await get("/latest/version?wait=true&value=stale&maxWait=5")).body).toBe(current);
    const started = Date.now();
    const pending = get(`/latest/version?wait=true&value=${current}&maxWait=30`);
    await Bun.sleep(200);
    bus.publish(sampleState(Number(current) + 1));
    const r = await pending;
    expect(r.body).toBe(String(Number(current) + 1));
    expect(Date.now() - started).toBeLessThan(1200);
  });

  test("gives up after maxWait with the unchanged version", async () => {
    const current = (await get("/latest/version")).body;
    const started = Date.now();
    expect((await get(`/latest/version?wait=true&value=${current}&maxWait=1`)).body).toBe(current);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });
});
