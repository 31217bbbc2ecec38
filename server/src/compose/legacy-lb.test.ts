import { describe, expect, test } from "bun:test";
import { type Case, D, R, runCases } from "../../testing/compose-support.ts";
import { lbServiceSpec } from "../network/lb-service.ts";
import { parseStack } from "./index.ts";
import { isLegacyLbImage, parseTargetLabel } from "./legacy-lb.ts";

const lbFile = (body: string): string =>
  `lb:\n  image: rancher/load-balancer-service\n${body}web:\n  image: nginx\napi:\n  image: nginx\n`;

function lbOf(docker: string, rancher?: string) {
  const { spec, warnings } = parseStack({ dockerCompose: docker, rancherCompose: rancher });
  const lb = spec.services.find((s) => s.name === "lb");
  if (!lb) throw new Error("no lb");
  return { lb, warnings };
}

describe("1.x load balancer (rancher/load-balancer-service)", () => {
  test("the image, with or without a tag", () => {
    expect(isLegacyLbImage("rancher/load-balancer-service")).toBe(true);
    expect(isLegacyLbImage("rancher/load-balancer-service:v0.7.1")).toBe(true);
    expect(isLegacyLbImage("rancher/lb-service-haproxy")).toBe(false);
    expect(isLegacyLbImage("myrancher/load-balancer-service")).toBe(false);
  });

  test("ports x links become port rules; ports are then published by the balancer itself", () => {
    const { lb } = lbOf(
      lbFile('  ports:\n    - "8080:80"\n    - 81/tcp\n  links:\n    - web\n    - api:backend\n'),
    );
    expect(lb.kind).toBe("loadBalancerService");
    expect(lb.lbConfig?.portRules).toEqual([
      { sourcePort: 8080, targetPort: 80, protocol: "http", service: "web" },
      { sourcePort: 8080, targetPort: 80, protocol: "http", service: "api" },
      { sourcePort: 81, targetPort: 81, protocol: "tcp", service: "web" },
      { sourcePort: 81, targetPort: 81, protocol: "tcp", service: "api" },
    ]);
    expect(lb.launchConfig?.ports).toEqual([]);
    expect(lb.launchConfig?.imageUuid).toBe("docker:rancher/lb-service-haproxy");
    expect(lb.links).toEqual([{ target: "web" }, { target: "api", alias: "backend" }]);
    const stored = lbServiceSpec(lb);
    expect(stored.launchConfig?.ports).toEqual(["8080:8080/tcp", "81:81/tcp"]);
  });

  test("expose adds rules too (with a note: they are published), external links are targets", () => {
    const { lb, warnings } = lbOf(
      lbFile('  expose:\n    - "9000:9001"\n  external_links:\n    - other/db:db\n'),
    );
    expect(lb.lbConfig?.portRules).toEqual([
      { sourcePort: 9000, targetPort: 9001, protocol: "http", service: "other/db" },
    ]);
    expect(warnings.join("\n")).toContain("expose ports of a 1.x load balancer are published");
  });

  test("target labels refine their service's rules; ssl.ports make https; proxy-protocol", () => {
    const docker = lbFile(
      '  ports: ["80", "443:80"]\n  links: [web, api]\n  labels:\n' +
        '    io.rancher.loadbalancer.target.web: "example.com:80/app=8080"\n' +
        '    io.rancher.loadbalancer.target.api: "api.example.com"\n' +
        '    io.rancher.loadbalancer.ssl.ports: "443"\n' +
        '    io.rancher.loadbalancer.proxy-protocol.ports: "80"\n',
    );
    const rancher =
      "lb:\n  default_cert: site\n  load_balancer_config:\n    haproxy_config:\n      defaults: |\n        timeout client 60000\n" +
      "    lb_cookie_stickiness_policy:\n      cookie: SRV\n      mode: insert\n";
    const { lb } = lbOf(docker, rancher);
    expect(lb.lbConfig?.portRules).toEqual([
      {
        sourcePort: 80,
        targetPort: 8080,
        protocol: "http",
        service: "web",
        hostname: "example.com",
        path: "/app",
      },
      { sourcePort: 80, targetPort: 80, protocol: "http", service: "api", hostname: "api.example.com" },
      { sourcePort: 443, targetPort: 80, protocol: "https", service: "web" },
      { sourcePort: 443, targetPort: 80, protocol: "https", service: "api", hostname: "api.example.com" },
    ]);
    expect(lb.lbConfig?.defaultCert).toBe("site");
    expect(lb.lbConfig?.stickinessPolicy).toEqual({ cookie: "SRV", mode: "insert" });
    expect(lb.lbConfig?.config).toBe(
      "defaults\n    timeout client 60000\nfrontend 80\n    tcp-request connection expect-proxy layer4",
    );
    // The stored form passes the load balancer checks (certificate present for https).
    expect(lbServiceSpec(lb).launchConfig?.ports).toEqual(["80:80/tcp", "443:443/tcp"]);
  });

  test("target label syntax, as Rancher read it", () => {
    const one = (v: string) => (parseTargetLabel(v) as unknown[])[0];
    expect(one("example.com:80/path=81")).toEqual({
      hostname: "example.com",
      sourcePort: 80,
      path: "/path",
      targetPort: 81,
    });
    expect(one("example.com:80")).toEqual({
      hostname: "example.com",
      sourcePort: 80,
      path: "",
      targetPort: 0,
    });
    expect(one("example.com=81")).toEqual({
      hostname: "example.com",
      sourcePort: 0,
      path: "",
      targetPort: 81,
    });
    expect(one("81")).toEqual({ hostname: "", sourcePort: 0, path: "", targetPort: 81 });
    expect(one("80=81")).toEqual({ hostname: "", sourcePort: 80, path: "", targetPort: 81 });
    expect(one("/path=81")).toEqual({ hostname: "", sourcePort: 0, path: "/path", targetPort: 81 });
    expect(one("*.example.com/x")).toEqual({
      hostname: "*.example.com",
      sourcePort: 0,
      path: "/x",
      targetPort: 0,
    });
    expect(parseTargetLabel("81, 82")).toHaveLength(2);
    expect(parseTargetLabel("a b")).toContain("is not [hostname]");
    expect(parseTargetLabel("80=99999")).toContain("65535");
  });

  test("no links: accepted with a note that it has no targets", () => {
    const { lb, warnings } = lbOf(lbFile('  ports: ["80"]\n'));
    expect(lb.lbConfig?.portRules).toEqual([]);
    expect(warnings.join("\n")).toContain("load balancer lb has no links");
  });
});

const bad: Case[] = [
  {
    name: "1.x lb: a port that is not source[:target]",
    docker: lbFile('  ports: ["1.2.3.4:80:80"]\n  links: [web]\n'),
    at: `${D}:3:11`,
    reason: 'invalid load balancer port "1.2.3.4:80:80"',
  },
  {
    name: "1.x lb: udp",
    docker: lbFile('  ports: ["53/udp"]\n  links: [web]\n'),
    at: `${D}:3:11`,
    reason: 'load balancer protocol "udp" is not supported',
  },
  {
    name: "1.x lb: ports as a string",
    docker: lbFile("  ports: 80\n  links: [web]\n"),
    at: `${D}:3:10`,
    reason: "must be a list, not a number",
  },
  {
    name: "1.x lb: garbage target label",
    docker: lbFile(
      '  ports: ["80"]\n  links: [web]\n  labels:\n    io.rancher.loadbalancer.target.web: "!!"\n',
    ),
    at: `${D}:5:3`,
    reason: 'label io.rancher.loadbalancer.target.web: "!!" is not',
  },
  {
    name: "1.x lb: ssl.ports not ports",
    docker: lbFile(
      '  ports: ["443"]\n  links: [web]\n  labels:\n    io.rancher.loadbalancer.ssl.ports: "https"\n',
    ),
    at: `${D}:5:3`,
    reason: 'io.rancher.loadbalancer.ssl.ports: "https" is not a port',
  },
  {
    name: "1.x lb: ssl.ports without a certificate",
    docker: lbFile(
      '  ports: ["443"]\n  links: [web]\n  labels:\n    io.rancher.loadbalancer.ssl.ports: "443"\n',
    ),
    at: `${D}:5:3`,
    reason: "https needs a certificate: set default_cert",
  },
  {
    name: "1.x lb: load_balancer_config garbage",
    docker: lbFile('  ports: ["80"]\n  links: [web]\n'),
    rancher: "lb:\n  load_balancer_config:\n    haproxy_config: 5\n",
    at: `${R}:3:21`,
    reason: "must be a mapping, not a number",
  },
  {
    name: "1.x lb: load_balancer_config unknown key",
    docker: lbFile('  ports: ["80"]\n  links: [web]\n'),
    rancher: "lb:\n  load_balancer_config:\n    haproxy: {}\n",
    at: `${R}:3:5`,
    reason: 'unknown load_balancer_config key "haproxy"',
  },
  {
    name: "1.x lb: certs not a list",
    docker: lbFile('  ports: ["80"]\n  links: [web]\n'),
    rancher: "lb:\n  certs: 5\n",
    at: `${R}:2:10`,
    reason: "must be a list, not a number",
  },
  {
    name: "1.x lb: default_cert not a string",
    docker: lbFile('  ports: ["80"]\n  links: [web]\n'),
    rancher: "lb:\n  default_cert: [a]\n",
    at: `${R}:2:17`,
    reason: "must be a string, not a list",
  },
  {
    name: "1.x lb: stickiness policy unknown key",
    docker: lbFile('  ports: ["80"]\n  links: [web]\n'),
    rancher: "lb:\n  load_balancer_config:\n    lb_cookie_stickiness_policy:\n      cookies: x\n",
    at: `${R}:4:7`,
    reason: 'unknown lb_cookie_stickiness_policy key "cookies"',
  },
];

describe("bad 1.x load balancers", () => runCases(bad));

test("certs and default_cert on a service that is not a 1.x load balancer: a warning", () => {
  const { warnings } = parseStack({
    dockerCompose: "web:\n  image: nginx\n",
    rancherCompose: "web:\n  default_cert: site\n",
  });
  expect(warnings).toEqual([
    "rancher-compose.yml:1:1: web: certs, default_cert and load_balancer_config only apply to 1.x load balancers; ignored",
  ]);
});
