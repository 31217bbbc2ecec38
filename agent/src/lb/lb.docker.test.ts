import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { labelKeys, type StateContainer } from "@corral/api";
import { type ControllerHandle, createLogger } from "@corral/lib";
import Docker from "dockerode";
import { type TestHost, testHost } from "../../testing/host.ts";
import { container, hostState, lbService, makeCertificate, service } from "../../testing/lb-fixtures.ts";
import { createDockerDriver } from "../dockerode-driver.ts";
import { createLoadBalancerController, type LoadBalancerController } from "./controller.ts";

// End to end against the local dockerd: the real image, real HAProxy, busybox httpd backends.
const socket = "/var/run/docker.sock";
const haveDocker = existsSync(socket);
const run = Math.random().toString(36).slice(2, 8);
const prefix = `corral-lb-test-${run}`;
const docker = new Docker({ socketPath: socket });
const logger = createLogger("lb-test");

/** A busybox httpd that answers its own name on / and on /api/. */
async function backend(name: string): Promise<{ id: string; ip: string }> {
  const page = `mkdir -p /w/api && echo ${name} > /w/index.html && echo ${name} > /w/api/index.html`;
  const c = await docker.createContainer({
    name: `${prefix}-${name}`,
    Image: "corral/busybox:latest",
    Cmd: ["sh", "-c", `${page} && exec httpd -f -p 80 -h /w`],
    Labels: { "test.run": run },
    HostConfig: { NetworkMode: prefix },
  });
  await c.start();
  const info = await c.inspect();
  return { id: c.id, ip: info.NetworkSettings.Networks[prefix]!.IPAddress };
}

describe.skipIf(!haveDocker)("load balancer against dockerd", () => {
  const driver = createDockerDriver(socket);
  let host: TestHost;
  let controller: LoadBalancerController;
  let runner: ControllerHandle;
  const web = service("1s1", "web");
  const api = service("1s2", "api");
  const certs = [
    makeCertificate("1c1", ["default.example.com"]),
    makeCertificate("1c2", ["secure.example.com"]),
  ];
  const backends = new Map<string, { id: string; ip: string }>();
  let lbIp = "";
  let lbDockerId = "";
  let version = 0;
  let custom = "";

  const lbConfig = () => ({
    portRules: [
      { sourcePort: 80, targetPort: 80, serviceId: "1s2", hostname: "api.example.com" },
      { sourcePort: 80, targetPort: 80, serviceId: "1s2", path: "/api" },
      { sourcePort: 80, targetPort: 80, serviceId: "1s1" },
      {
        sourcePort: 443,
        targetPort: 80,
        protocol: "https",
        serviceId: "1s2",
        hostname: "secure.example.com",
      },
      { sourcePort: 443, targetPort: 80, protocol: "https", serviceId: "1s1" },
    ],
    certificateIds: ["1c2"],
    defaultCertificateId: "1c1",
    config: custom,
  });

  /** Publishes a view with these backends (by name) and waits until the controller applied it. */
  const publish = async (names: string[]) => {
    const lb = lbService(lbConfig());
    const cs: StateContainer[] = names.map((n, i) =>
      container(`1i${i + 1}`, n, n.startsWith("api") ? "1s2" : "1s1", backends.get(n)!.ip),
    );
    const lbC = container("1i50", "lb-1", lb.id, lbIp, { labels: { "io.corral.lb": "true" } });
    host.bus.publish(hostState(++version, [web, api, lb], [lbC, ...cs], certs));
    await runner.sync();
  };

  const get = async (path: string, host = "www.example.com") => {
    const res = await fetch(`http://${lbIp}${path}`, {
      headers: { host },
      signal: AbortSignal.timeout(15_000),
    });
    return { status: res.status, body: (await res.text()).trim() };
  };

  beforeAll(async () => {
    const started = Date.now();
    execFileSync("bash", [join(import.meta.dir, "../../../images/lb-haproxy/build.sh")], { stdio: "ignore" });
    logger.info("image ready", { ms: Date.now() - started });
    await docker.createNetwork({ Name: prefix, Labels: { "test.run": run } });
    for (const name of ["web-1", "web-2", "web-3", "api-1"]) backends.set(name, await backend(name));
    const lb = await docker.createContainer({
      name: `${prefix}-lb`,
      Image: "corral/lb-haproxy:latest",
      Labels: { "test.run": run, "io.corral.lb": "true", [labelKeys.containerId]: "1i50" },
      HostConfig: { NetworkMode: prefix },
    });
    await lb.start();
    lbDockerId = lb.id;
    lbIp = (await lb.inspect()).NetworkSettings.Networks[prefix]!.IPAddress;
    // The controller follows this host's views and the real engine's events, as in the agent.
    host = testHost(driver);
    controller = createLoadBalancerController(host);
    runner = host.run(controller);
    await publish(["web-1", "web-2", "api-1"]);
  }, 120_000);

  afterAll(async () => {
    await host?.stop();
    const listed = await docker.listContainers({ all: true, filters: { label: [`test.run=${run}`] } });
    await Promise.all(listed.map((c) => docker.getContainer(c.Id).remove({ force: true })));
    await docker
      .getNetwork(prefix)
      .remove()
      .catch(() => {});
  });

  test("Host headers and paths reach the right backend", async () => {
    expect(controller.report()[0]).toMatchObject({ error: null, dockerId: lbDockerId });
    expect((await get("/", "api.example.com")).body).toBe("api-1");
    expect((await get("/api/")).body).toBe("api-1");
    expect((await get("/")).body).toMatch(/^web-[12]$/);
  });

  test("round robin across the two servers of a service", async () => {
    const bodies = [];
    for (let i = 0; i < 6; i++) bodies.push((await get("/")).body);
    expect(new Set(bodies)).toEqual(new Set(["web-1", "web-2"]));
    expect(bodies[0]).not.toBe(bodies[1]);
  });

  test("https terminates with the SNI-chosen certificate", () => {
    const curl = (name: string) =>
      execFileSync(
        "curl",
        ["-sk", "--resolve", `${name}:443:${lbIp}`, "-w", " %{http_code}", `https://${name}/`],
        { encoding: "utf8", timeout: 10_000 },
      )
        .trim()
        .split(/\s+/)
        .join(" ");
    expect(curl("secure.example.com")).toBe("api-1 200");
    expect(curl("other.example.com")).toMatch(/^web-[12] 200$/);
    const subject = (name: string) =>
      execFileSync(
        "sh",
        [
          "-c",
          `openssl s_client -connect ${lbIp}:443 -servername ${name} </dev/null 2>/dev/null | openssl x509 -noout -subject`,
        ],
        { encoding: "utf8", timeout: 10_000 },
      );
    expect(subject("secure.example.com")).toContain("CN = secure.example.com");
    expect(subject("unknown.example.com")).toContain("CN = default.example.com");
  });

  test("an invalid custom config is refused with HAProxy's message; the old config keeps serving", async () => {
    const before = controller.report()[0]!.configId;
    custom = "defaults\n  bogus-keyword 1\n";
    await publish(["web-1", "web-2", "api-1"]);
    const status = controller.report()[0]!;
    expect(status.configId).toBe(before);
    expect(status.error).toContain("unknown keyword 'bogus-keyword'");
    expect((await get("/api/")).body).toBe("api-1");
    custom = "";
    await publish(["web-1", "web-2", "api-1"]);
    expect(controller.report()[0]!.error).toBeNull();
  });

  test("no request fails while backends come and go and the LB reloads", async () => {
    let ok = 0;
    let failed = 0;
    let slowest = 0;
    const errors = new Map<string, number>();
    const stopAt = Date.now() + 10_000;
    const fetcher = async () => {
      while (Date.now() < stopAt) {
        const t0 = performance.now();
        try {
          const r = await get("/");
          slowest = Math.max(slowest, performance.now() - t0);
          if (r.status === 200 && /^web-\d$/.test(r.body)) ok++;
          else throw new Error(`${r.status} ${r.body.slice(0, 40)}`);
        } catch (e) {
          failed++;
          const key = e instanceof Error ? e.message : String(e);
          errors.set(key, (errors.get(key) ?? 0) + 1);
        }
      }
    };
    const loops = Array.from({ length: 20 }, fetcher);
    const reloadsBefore = controller.report()[0]!.configId;
    let reloads = 0;
    const steps: string[][] = [
      ["web-1", "web-2", "web-3", "api-1"],
      ["web-2", "web-3", "api-1"],
      ["web-3", "api-1"],
      ["web-1", "web-3", "api-1"],
      ["web-1", "web-2", "api-1"],
      ["web-1", "web-2", "web-3", "api-1"],
    ];
    let current = ["web-1", "web-2", "api-1"];
    for (const names of steps) {
      await Bun.sleep(1_000);
      // A backend joins once it runs, and stops only after the LB stopped sending it requests.
      for (const name of names.filter((n) => !current.includes(n))) {
        const c = docker.getContainer(backends.get(name)!.id);
        await c.start().catch(() => {});
        backends.get(name)!.ip = (await c.inspect()).NetworkSettings.Networks[prefix]!.IPAddress;
      }
      await publish(names);
      reloads++;
      await Bun.sleep(300);
      for (const name of current.filter((n) => !names.includes(n)))
        await docker.getContainer(backends.get(name)!.id).stop({ t: 1 });
      current = names;
    }
    await Promise.all(loops);
    logger.info("request loop", {
      ok,
      failed,
      reloads,
      slowestMs: Math.round(slowest),
      errors: Object.fromEntries(errors),
    });
    expect(controller.report()[0]!.configId).not.toBe(reloadsBefore);
    // The count depends on the machine's load; what matters is that requests flowed and none failed.
    expect(ok).toBeGreaterThan(100);
    expect(failed).toBe(0);
  }, 60_000);

  test("a restarted LB container gets its config again", async () => {
    const before = controller.report()[0]!.appliedAt;
    await docker.getContainer(lbDockerId).restart({ t: 1 });
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && controller.report()[0]!.appliedAt === before) await Bun.sleep(200);
    expect(controller.report()[0]!.appliedAt).not.toBe(before);
    expect(controller.report()[0]!.error).toBeNull();
    expect((await get("/api/")).body).toBe("api-1");
  }, 30_000);
});
