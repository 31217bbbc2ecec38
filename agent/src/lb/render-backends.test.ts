import { describe, expect, test } from "bun:test";
import { labelKeys } from "@corral/api";
import {
  container,
  haproxyCheck,
  hostState,
  lbService,
  makeCertificate,
  renderDir,
  service,
} from "../../testing/lb-fixtures.ts";
import { containers, render, rule, section, web } from "../../testing/lb-render.ts";
import { renderLoadBalancer, renderVersioned } from "./render.ts";

// These run openssl and haproxy on real TLS files: give them room on a loaded machine.
const certTimeoutMs = 30_000;

describe("rendering haproxy.cfg: certificates, backends, custom config", () => {
  test(
    "https terminates with a crt-list of every certificate and its names; default first",
    () => {
      const def = makeCertificate("1c1", ["default.example.com"]);
      const other = makeCertificate("1c2", ["a.example.com", "*.b.example.com"]);
      const r = render(
        {
          portRules: [rule({ sourcePort: 443, protocol: "https" })],
          certificateIds: ["1c2"],
          defaultCertificateId: "1c1",
        },
        { certificates: [def, other] },
      );
      expect(r.section("frontend 443")[0]).toBe(`bind :443 ssl crt-list ${r.dir}/crt-list`);
      expect(r.files["crt-list"]).toBe(
        `${r.dir}/certs/1c1.pem\n${r.dir}/certs/1c2.pem a.example.com *.b.example.com\n`,
      );
      expect(r.files["certs/1c2.pem"]).toContain("BEGIN CERTIFICATE");
      expect(r.files["certs/1c2.pem"]).toContain("PRIVATE KEY");
    },
    certTimeoutMs,
  );

  test(
    "without a default certificate the bind is strict-sni; tls terminates in tcp mode",
    () => {
      const cert = makeCertificate("1c3", ["t.example.com"]);
      const r = render(
        {
          portRules: [rule({ sourcePort: 993, protocol: "tls", hostname: "t.example.com" })],
          certs: ["t.example.com"],
        },
        { certificates: [cert] },
      );
      const fe = r.section("frontend 993");
      expect(fe[0]).toBe(`bind :993 ssl crt-list ${r.dir}/crt-list strict-sni`);
      expect(fe).toContain("acl r0_host ssl_fc_sni -m str -i t.example.com");
    },
    certTimeoutMs,
  );

  test("https without any certificate is not served, with a warning", () => {
    const r = render({ portRules: [rule({ sourcePort: 443, protocol: "https" }), rule({})] });
    expect(r.config).not.toContain("frontend 443");
    expect(r.warnings.join()).toContain("needs a certificate");
  });

  test("stickiness becomes a cookie line and a cookie per server", () => {
    const r = render({
      portRules: [rule({})],
      stickinessPolicy: {
        cookie: "SRV",
        mode: "insert",
        indirect: true,
        nocache: true,
        postonly: true,
        domain: ".x.com",
      },
    });
    const be = r.section("backend 80__");
    expect(be).toContain("cookie SRV insert indirect nocache postonly domain .x.com");
    expect(be).toContain("server web-1 10.42.0.2:8080 cookie web-1");
  });

  test("a target's health check becomes check port inter rise fall and option httpchk", () => {
    const check = {
      port: 8081,
      requestLine: "GET /ping HTTP/1.0",
      interval: 3000,
      healthyThreshold: 2,
      unhealthyThreshold: 4,
    };
    const checked = service("1s1", "web", { labels: { [labelKeys.healthCheck]: JSON.stringify(check) } });
    const dir = renderDir();
    const lb = lbService({ portRules: [rule({})] });
    const rendered = renderLoadBalancer(
      { lb, state: hostState(1, [checked, lb], containers) },
      { dir, configId: "x" },
    );
    expect(haproxyCheck(dir, rendered).ok).toBe(true);
    const be = section(rendered.config, "backend 80__");
    expect(be).toContain("option httpchk GET /ping HTTP/1.0");
    expect(be).toContain("server web-1 10.42.0.2:8080 check port 8081 inter 3000ms rise 2 fall 4");
  });

  test("servers: healthy running primaries only, all of them when none is healthy", () => {
    const lb = lbService({ portRules: [rule({})] });
    const some = [
      container("1i1", "web-1", "1s1", "10.0.0.1", { healthState: "healthy" }),
      container("1i2", "web-2", "1s1", "10.0.0.2", { healthState: "unhealthy" }),
      container("1i3", "web-3", "1s1", "10.0.0.3", { state: "stopped" }),
      container("1i4", "web-side", "1s1", "10.0.0.4", { launchConfigName: "side" }),
    ];
    const servers = (cs: typeof some) =>
      renderLoadBalancer({ lb, state: hostState(1, [web, lb], cs) }, { dir: "/d", configId: "x" })
        .config.split("\n")
        .filter((l) => l.trim().startsWith("server "))
        .map((l) => l.trim().split(" ")[1]);
    expect(servers(some)).toEqual(["web-1"]);
    const none = some.map((c) => ({ ...c, healthState: "initializing" as const }));
    expect(servers(none)).toEqual(["web-1", "web-2"]);
  });

  test("selector rules target every service whose labels match; no target answers 503", () => {
    const r = render({
      portRules: [
        rule({ serviceId: null, selector: "tier=api" }),
        rule({ sourcePort: 81, serviceId: "1s9" }),
      ],
    });
    expect(r.section("backend 80__")).toContain("server api-1 10.42.0.4:8080");
    expect(r.section("backend 81__").some((l) => l.startsWith("server"))).toBe(false);
    expect(r.warnings.join()).toContain("targets no service");
  });

  test("rules with one backendName share a backend; two services on one rule share one too", () => {
    const r = render({
      portRules: [
        rule({ backendName: "shared" }),
        rule({ sourcePort: 81, serviceId: "1s2", backendName: "shared" }),
      ],
    });
    expect(r.section("backend shared").filter((l) => l.startsWith("server"))).toHaveLength(3);
    const both = render({ portRules: [rule({}), rule({ serviceId: "1s2" })] });
    expect(both.section("backend 80__").filter((l) => l.startsWith("server"))).toHaveLength(3);
  });

  test("custom config merges section by section: same keys replace, new lines and sections add", () => {
    const custom = [
      "global",
      "  maxconn 2000",
      "defaults",
      "  timeout client 1m",
      "  no option http-server-close",
      "frontend 80",
      "  http-request set-header X-Test yes",
      "backend 80__",
      "  server $IP maxconn 10",
      "  balance leastconn",
      "backend extra",
      "  server x 127.0.0.1:9",
    ].join("\n");
    const r = render({ portRules: [rule({})], config: custom });
    expect(r.section("global")).toContain("maxconn 2000");
    expect(r.section("global")).not.toContain("maxconn 4096");
    expect(r.section("defaults")).toContain("timeout client 1m");
    expect(r.section("defaults")).not.toContain("timeout client 50s");
    expect(r.section("defaults")).toContain("timeout server 50s");
    expect(r.section("defaults")).toContain("no option http-server-close");
    expect(r.section("defaults")).not.toContain("option http-server-close");
    expect(r.section("frontend 80")).toContain("http-request set-header X-Test yes");
    expect(r.section("backend 80__")).toEqual(
      expect.arrayContaining(["balance leastconn", "server web-1 10.42.0.2:8080 maxconn 10"]),
    );
    expect(r.section("backend extra")).toEqual(["server x 127.0.0.1:9"]);
  });

  test("a bad custom config renders as written, for haproxy to refuse", () => {
    const lb = lbService({ portRules: [rule({})], config: "defaults\n  bogus-keyword 1\n" });
    const dir = renderDir();
    const rendered = renderLoadBalancer(
      { lb, state: hostState(1, [web, lb], containers) },
      { dir, configId: "x" },
    );
    const checked = haproxyCheck(dir, rendered);
    expect(checked.ok).toBe(false);
    expect(checked.output).toContain("bogus-keyword");
  });

  test(
    "versioned rendering: the id is a content hash, used in paths and on /config",
    () => {
      const cert = makeCertificate("1c4", ["v.example.com"]);
      const lb = lbService({
        portRules: [rule({ sourcePort: 443, protocol: "https" })],
        defaultCertificateId: "1c4",
      });
      const state = hostState(1, [web, lb], containers, [cert]);
      const a = renderVersioned({ lb, state }, "/etc/haproxy");
      expect(
        renderVersioned({ lb, state: hostState(2, [web, lb], containers, [cert]) }, "/etc/haproxy").id,
      ).toBe(a.id);
      expect(a.config).toContain(`crt-list /etc/haproxy/${a.id}/crt-list`);
      expect(a.config).toContain(`string "${a.id}"`);
      expect(a.files["crt-list"]).toBe(`/etc/haproxy/${a.id}/certs/1c4.pem\n`);
      const fewer = hostState(2, [web, lb], containers.slice(1), [cert]);
      expect(renderVersioned({ lb, state: fewer }, "/etc/haproxy").id).not.toBe(a.id);
    },
    certTimeoutMs,
  );
});
