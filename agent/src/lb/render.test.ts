import { describe, expect, test } from "bun:test";
import { render, rule } from "../../testing/lb-render.ts";

describe("rendering haproxy.cfg: frontends and rules", () => {
  test("defaults follow Rancher: global, defaults and the :42 health listener", () => {
    const r = render({ portRules: [rule({})] });
    expect(r.section("global")).toEqual(
      expect.arrayContaining(["maxconn 4096", "ssl-default-bind-options no-sslv3 no-tlsv10"]),
    );
    expect(r.section("defaults")).toEqual(
      expect.arrayContaining([
        "mode http",
        "retries 3",
        "option redispatch",
        "option forwardfor",
        "option http-server-close",
        "timeout connect 5s",
        "timeout client 50s",
        "timeout server 50s",
      ]),
    );
    expect(r.section("listen default")).toContain("bind :42");
    expect(r.config).toContain('string "test" if { path /config }');
  });

  test("a default rule: one frontend, default_backend, servers on the target port, round robin", () => {
    const r = render({ portRules: [rule({})] });
    expect(r.section("frontend 80")).toEqual(
      expect.arrayContaining(["bind :80", "mode http", "default_backend 80__"]),
    );
    expect(r.section("backend 80__")).toEqual([
      "mode http",
      "balance roundrobin",
      "server web-1 10.42.0.2:8080",
      "server web-2 10.42.0.3:8080",
    ]);
  });

  test("hostnames: exact, *.x as a suffix, x.* as a prefix, Host header port ignored", () => {
    const r = render({
      portRules: [
        rule({ hostname: "a.example.com" }),
        rule({ hostname: "*.example.org" }),
        rule({ hostname: "www.*", serviceId: "1s2" }),
      ],
    });
    const fe = r.section("frontend 80");
    expect(fe).toContain("acl r0_host req.hdr(host),field(1,:) -m str -i a.example.com");
    expect(fe).toContain("acl r1_host req.hdr(host),field(1,:) -m end -i .example.org");
    expect(fe).toContain("acl r2_host req.hdr(host),field(1,:) -m beg -i www.");
    expect(fe).toContain("use_backend 80_wildcard.example.org_ if r1_host");
    expect(fe.some((l) => l.startsWith("default_backend"))).toBe(false);
  });

  test("Rancher's default order: host+path, host, wildcard+path, wildcard, path, default", () => {
    const r = render({
      portRules: [
        rule({ backendName: "def" }),
        rule({ path: "/p", backendName: "path" }),
        rule({ hostname: "*.w.com", backendName: "wild" }),
        rule({ hostname: "*.w.com", path: "/p", backendName: "wildpath" }),
        rule({ hostname: "h.com", backendName: "host" }),
        rule({ hostname: "h.com", path: "/p", backendName: "hostpath" }),
      ],
    });
    const uses = r.section("frontend 80").filter((l) => /^(use|default)_backend/.test(l));
    expect(uses.map((l) => l.split(" ")[1])).toEqual(["hostpath", "host", "wildpath", "wild", "path", "def"]);
    expect(uses.at(-1)).toBe("default_backend def");
  });

  test("paths are prefixes; a longer path is tried first", () => {
    const r = render({
      portRules: [
        rule({ path: "/api", backendName: "short" }),
        rule({ path: "/api/v2", backendName: "long" }),
      ],
    });
    const fe = r.section("frontend 80");
    expect(fe).toContain("acl r0_path path_beg /api/v2");
    expect(fe.filter((l) => l.startsWith("use_backend"))).toEqual([
      "use_backend long if r0_path",
      "use_backend short if r1_path",
    ]);
  });

  test("a set priority comes first, lower first, over the default order", () => {
    const r = render({
      portRules: [
        rule({ hostname: "h.com", path: "/x", backendName: "b3", priority: 3 }),
        rule({ path: "/y", backendName: "b1", priority: 1 }),
        rule({ hostname: "*.w.com", backendName: "b2", priority: 2 }),
        rule({ hostname: "z.com", backendName: "b4" }),
      ],
    });
    const uses = r.section("frontend 80").filter((l) => l.startsWith("use_backend"));
    expect(uses.map((l) => l.split(" ")[1])).toEqual(["b1", "b2", "b3", "b4"]);
  });

  test("tcp rules make a tcp frontend and backend; a hostname there is ignored with a warning", () => {
    const r = render({
      portRules: [rule({ sourcePort: 3306, targetPort: 3306, protocol: "tcp", hostname: "db.com" })],
    });
    expect(r.section("frontend 3306")).toEqual(
      expect.arrayContaining(["mode tcp", "default_backend 3306_db.com_"]),
    );
    expect(r.section("backend 3306_db.com_")).toContain("mode tcp");
    expect(r.warnings.join()).toContain("hostname db.com ignored");
  });

  test("one frontend per source port; http and tcp on one port keep the first rule's mode", () => {
    const r = render({
      portRules: [rule({}), rule({ sourcePort: 81 }), rule({ protocol: "tcp", backendName: "t" })],
    });
    expect(r.config.match(/^frontend /gm)).toHaveLength(2);
    expect(r.section("frontend 80")).toContain("mode http");
    expect(r.warnings.join()).toContain("mixing http and tcp");
  });

  test("sni passes TLS through, routed on the hello's server name", () => {
    const r = render({
      portRules: [
        rule({ sourcePort: 443, targetPort: 443, protocol: "sni", hostname: "a.com" }),
        rule({ sourcePort: 443, targetPort: 443, protocol: "sni", hostname: "*.b.com", serviceId: "1s2" }),
      ],
    });
    const fe = r.section("frontend 443");
    expect(fe).toEqual(
      expect.arrayContaining([
        "mode tcp",
        "tcp-request inspect-delay 5s",
        "tcp-request content accept if { req_ssl_hello_type 1 }",
        "acl r0_host req.ssl_sni -m str -i a.com",
        "acl r1_host req.ssl_sni -m end -i .b.com",
      ]),
    );
    expect(fe.some((l) => l.includes("ssl crt"))).toBe(false);
  });

  test("pending ACME challenges are answered on plain-HTTP frontends only, before routing", () => {
    const challenge = { domain: "site.example", token: "tok_en-1", keyAuthorization: "tok_en-1.thumb_print" };
    const r = render(
      { portRules: [rule({}), rule({ sourcePort: 9000, protocol: "tcp" })] },
      { acmeChallenges: [challenge] },
    );
    const fe = r.section("frontend 80");
    const answer = fe.findIndex((l) => l.includes("/.well-known/acme-challenge/tok_en-1"));
    expect(fe[answer]).toBe(
      'http-request return status 200 content-type text/plain string "tok_en-1.thumb_print" if { path /.well-known/acme-challenge/tok_en-1 } { hdr(host),field(1,:) -i site.example }',
    );
    expect(answer).toBeLessThan(fe.findIndex((l) => l.startsWith("default_backend")));
    expect(r.section("frontend 9000").join()).not.toContain("acme-challenge");
  });
});
