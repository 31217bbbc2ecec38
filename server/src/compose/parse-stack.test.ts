// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are compose files, where ${VAR} is the syntax under test
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { ServiceSpec, StackSpec } from "@corral/api";
import { exportStack, parseStack } from "./index.ts";

const dir = join(import.meta.dir, "fixtures");
const read = (name: string): string | undefined => {
  try {
    return readFileSync(join(dir, name), "utf8");
  } catch {
    return undefined;
  }
};

/** The good fixtures, with the variables each needs. */
const fixtures: Record<string, Record<string, string>> = {
  v1: {},
  v2: {},
  v3: {},
  interpolated: { TAG: "1.0", DB_PASS: "pw", HOME: "/root", SCALE: "2" },
  catalog: { DB_PASSWORD: "s3cret" },
  external: {},
};

function load(name: string): { spec: StackSpec; warnings: string[] } {
  return parseStack({
    dockerCompose: read(`${name}.docker-compose.yml`),
    rancherCompose: read(`${name}.rancher-compose.yml`),
    environment: fixtures[name],
  });
}

const service = (spec: StackSpec, name: string): ServiceSpec => {
  const s = spec.services.find((x) => x.name === name);
  if (!s) throw new Error(`no service ${name}`);
  return s;
};

describe("good fixtures", () => {
  test("v1: services at the top level, links, ports, log_driver, net", () => {
    const { spec, warnings } = load("v1");
    expect(warnings).toEqual([]);
    expect(spec.services.map((s) => s.name)).toEqual(["web", "app", "redis"]);
    const web = service(spec, "web").launchConfig!;
    expect(web.imageUuid).toBe("docker:nginx:1.25");
    expect(web.command).toEqual(["nginx", "-g", "daemon off;"]);
    expect(web.ports).toEqual(["80:80/tcp", "443:443/tcp", "127.0.0.1:8080:8080/udp"]);
    expect(web.logConfig).toEqual({ driver: "syslog", config: { tag: "web" } });
    expect(service(spec, "web").links).toEqual([{ target: "app", alias: "backend" }]);
    const app = service(spec, "app");
    expect(app.launchConfig?.memory).toBe(512 * 1024 * 1024);
    expect(app.launchConfig?.dns).toEqual(["8.8.8.8"]);
    expect(app.externalLinks).toEqual([{ target: "shared/postgres", alias: "db" }]);
    const redis = service(spec, "redis").launchConfig!;
    expect(redis.networkMode).toBe("host");
    expect(redis.restartPolicy).toEqual({ name: "on-failure", maximumRetryCount: 5 });
  });

  test("v2: sidekicks fold into the primary; rancher-compose health_check and upgrade_strategy", () => {
    const { spec, warnings } = load("v2");
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("top-level networks");
    expect(spec.services.map((s) => s.name)).toEqual(["web", "db"]);
    const web = service(spec, "web");
    expect(web.scale).toBe(3);
    expect(web.retainIp).toBe(true);
    expect(web.secondaryLaunchConfigs.map((l) => l.name)).toEqual(["web-data", "log-shipper"]);
    expect(web.launchConfig?.dataVolumesFromLaunchConfigs).toEqual(["web-data"]);
    expect(web.launchConfig?.labels["io.rancher.sidekicks"]).toBe("web-data, log-shipper");
    const shipper = web.secondaryLaunchConfigs[1]!;
    expect(shipper.networkMode).toBe("container");
    expect(shipper.networkLaunchConfig).toBe("web");
    expect(shipper.healthCheck?.port).toBe(24224);
    expect(web.launchConfig?.healthCheck).toMatchObject({
      port: 80,
      requestLine: "GET /healthz HTTP/1.0",
      strategy: "recreateOnQuorum",
      recreateOnQuorumStrategyConfig: { quorum: 2 },
    });
    expect(web.upgradeStrategy).toEqual({ startFirst: true, batchSize: 2, intervalMillis: 5000 });
    expect(web.links).toEqual([{ target: "db", alias: "database" }]);
    expect(web.dependsOn).toEqual(["db"]);
    expect(service(spec, "db").metadata).toEqual({ backup: { schedule: "0 3 * * *", keep: 7 } });
    expect(spec.volumes.dbdata).toEqual({
      driver: "local",
      driverOpts: {},
      external: false,
      perContainer: false,
    });
  });

  test("v3: deploy, anchors and merge keys; a Docker healthcheck is only a warning", () => {
    const { spec, warnings } = load("v3");
    const api = service(spec, "api");
    expect(api.scale).toBe(4);
    expect(api.launchConfig?.memoryReservation).toBe(256 * 1024 * 1024);
    expect(api.launchConfig?.memory).toBe(1024 ** 3);
    expect(api.launchConfig?.milliCpuReservation).toBe(500);
    expect(api.upgradeStrategy).toEqual({ batchSize: 2, intervalMillis: 10_000, startFirst: true });
    expect(api.launchConfig?.healthCheck).toBeUndefined();
    expect(api.launchConfig?.restartPolicy).toEqual({ name: "unless-stopped" });
    expect(api.launchConfig?.ports).toEqual(["8000:8000/tcp", "9000:9000/tcp", "9001:9001/tcp"]);
    expect(api.launchConfig?.stopTimeout).toBe(90);
    expect(api.dependsOn).toEqual(["cache"]);
    expect(warnings.some((w) => w.includes("docker-compose.yml:30:5: services.api.healthcheck"))).toBe(true);
    expect(service(spec, "cache").launchConfig?.dataVolumes).toEqual([
      "cachedata:/data",
      "/etc/redis:/usr/local/etc/redis:ro",
    ]);
    expect(service(spec, "node-exporter").global).toBe(true);
  });

  test("interpolation: defaults, $$, required, unset → empty with a warning", () => {
    const { spec, warnings } = load("interpolated");
    const app = service(spec, "app");
    expect(app.launchConfig?.imageUuid).toBe("docker:docker.io/example/app:1.0");
    expect(app.launchConfig?.environment).toEqual({
      DATABASE_URL: "postgres://app:pw@db/app",
      PRICE: "$5",
      HOME_DIR: "/root",
      UNSET_ONE: "",
    });
    expect(app.launchConfig?.ports).toEqual(["8080:80/tcp"]);
    expect(app.scale).toBe(2);
    expect(warnings).toEqual([
      "docker-compose.yml:8:18: services.app.environment.UNSET_ONE: variable NOT_SET is not set; substituting an empty string",
    ]);
  });

  test("catalog stack: question defaults, io.rancher labels, lb service", () => {
    const { spec, warnings } = load("catalog");
    expect(warnings).toEqual([]);
    const wp = service(spec, "wordpress");
    expect(wp.launchConfig?.imageUuid).toBe("docker:wordpress:4.9.8");
    expect(wp.launchConfig?.pullPolicy).toBe("always");
    expect(wp.launchConfig?.labels["io.rancher.scheduler.affinity:container_label_soft_ne"]).toBe(
      "io.rancher.stack_service.name=${stack_name}/${service_name}",
    );
    expect(wp.scale).toBe(2);
    const lb = service(spec, "lb");
    expect(lb.kind).toBe("loadBalancerService");
    expect(lb.global).toBe(true);
    expect(lb.launchConfig?.ports).toEqual(["80:80/tcp"]);
    expect(lb.lbConfig).toEqual({
      certs: [],
      portRules: [{ priority: 1, protocol: "http", service: "wordpress", sourcePort: 80, targetPort: 80 }],
      stickinessPolicy: { name: "wp", cookie: "WPSESSION", mode: "insert" },
    });
  });

  test("external services and a DNS alias", () => {
    const { spec } = load("external");
    const ext = service(spec, "legacy-db");
    expect(ext.kind).toBe("externalService");
    expect(ext.externalIpAddresses).toEqual(["10.1.2.3", "10.1.2.4"]);
    expect(ext.launchConfig?.healthCheck?.port).toBe(5432);
    const alias = service(spec, "search");
    expect(alias.kind).toBe("dnsService");
    expect(alias.links).toEqual([{ target: "es-primary", alias: "es-primary" }, { target: "es-replica" }]);
    const mail = service(spec, "mail");
    expect(mail).toMatchObject({
      kind: "externalService",
      hostname: "smtp.example.com",
      description: "Outside mail relay",
    });
    expect(mail.launchConfig).toBeUndefined();
  });
});

describe("export round trip", () => {
  for (const name of Object.keys(fixtures)) {
    test(`${name}: parseStack(exportStack(spec)) equals spec`, () => {
      const { spec } = load(name);
      const out = exportStack(spec);
      expect(out.dockerCompose).toStartWith('version: "2"\n');
      expect(parseStack(out).spec).toEqual(spec);
    });
  }

  test("dollar signs survive (escaped as $$)", () => {
    const { spec } = parseStack({
      dockerCompose: "services:\n  a:\n    image: x\n    command: echo $$HOME\n",
    });
    expect(spec.services[0]?.launchConfig?.command).toEqual(["echo", "$HOME"]);
    const out = exportStack(spec);
    expect(out.dockerCompose).toContain("$$HOME");
    expect(parseStack(out).spec).toEqual(spec);
  });

  test("strings YAML 1.1 would misread stay strings on export", () => {
    const { spec } = parseStack({
      dockerCompose:
        "services:\n  a:\n    image: x\n    restart: 'no'\n    environment: {A: 'yes', B: '0755', C: '22:22'}\n",
    });
    const out = exportStack(spec);
    expect(out.dockerCompose).toContain('restart: "no"');
    expect(parseStack(out).spec).toEqual(spec);
  });

  test("global without the label exports as deploy.mode", () => {
    const { spec } = load("v3");
    expect(exportStack(spec).dockerCompose).toContain("mode: global");
  });
});

describe("format details", () => {
  test("an empty file is an empty stack", () => {
    expect(parseStack({ dockerCompose: "" }).spec).toEqual({ services: [], volumes: {} });
    expect(parseStack({}).spec.services).toEqual([]);
  });

  test("x- extension keys are ignored everywhere", () => {
    const { spec, warnings } = parseStack({
      dockerCompose: "x-top: 1\nservices:\n  a:\n    image: x\n    x-note: hello\n",
    });
    expect(spec.services).toHaveLength(1);
    expect(warnings).toEqual([]);
  });

  test("unsupported but known keys warn", () => {
    const { warnings } = parseStack({
      dockerCompose: "services:\n  a:\n    image: x\n    oom_score_adj: 5\n",
    });
    expect(warnings).toEqual([
      "docker-compose.yml:4:5: services.a.oom_score_adj: oom_score_adj is not supported by Corral; ignored",
    ]);
  });

  test("yes/no booleans, environment list without value, labels as a list", () => {
    const { spec, warnings } = parseStack({
      dockerCompose:
        "services:\n  a:\n    image: x\n    tty: yes\n    stdin_open: 'on'\n    environment: [A=1, FROM_ENV, MISSING]\n    labels: [k=v, flag]\n",
      environment: { FROM_ENV: "e" },
    });
    const lc = spec.services[0]?.launchConfig;
    expect(lc?.tty).toBe(true);
    expect(lc?.stdinOpen).toBe(true);
    expect(lc?.environment).toEqual({ A: "1", FROM_ENV: "e" });
    expect(lc?.labels).toEqual({ k: "v", flag: "" });
    expect(warnings[0]).toContain("environment MISSING has no value");
  });

  test("rancher-compose may define lb and external services on its own", () => {
    const { spec } = parseStack({
      dockerCompose: "services:\n  web: {image: nginx}\n",
      rancherCompose:
        "lb:\n  lb_config:\n    port_rules:\n      - source_port: 80\n        target_port: 8080\n        service: web\n",
    });
    expect(spec.services[1]).toMatchObject({ name: "lb", kind: "loadBalancerService" });
    expect(spec.services[1]?.lbConfig).toEqual({
      portRules: [{ sourcePort: 80, targetPort: 8080, service: "web" }],
    });
  });

  test("io.rancher.scheduler.global and sidekick volumes_from in a v1 file", () => {
    const { spec } = parseStack({
      dockerCompose:
        "app:\n  image: a\n  labels:\n    io.rancher.scheduler.global: 'true'\n    io.rancher.sidekicks: data\n  volumes_from: [data]\ndata:\n  image: busybox\n",
    });
    expect(spec.services).toHaveLength(1);
    expect(spec.services[0]).toMatchObject({
      global: true,
      launchConfig: { dataVolumesFromLaunchConfigs: ["data"] },
    });
  });
});
