import { createHash } from "node:crypto";
import type { AcmeChallenge, HealthCheck, HostState, StateService } from "@corral/api";
import { tlsSetup } from "./certs.ts";
import { formatSections, mergeCustom, type Section } from "./custom-config.ts";
import { type LbConfig, type PortRule, parseLbConfig, type Stickiness } from "./lb-config.ts";
import { backendNameOf, type FrontendMode, modeOf, routingLines, terminatesTls } from "./rules.ts";
import { ruleServices, type TargetGroup, targetGroup } from "./targets.ts";

/** What one load balancer's config is computed from. */
export interface RenderInput {
  /** The load balancer service (kind loadBalancerService, with its lbConfig). */
  lb: StateService;
  /** The host's view: target services, their containers, the certificates. */
  state: Pick<HostState, "services" | "containers" | "certificates" | "acmeChallenges">;
}

/** Where the config lives and what it is called. */
export interface RenderOptions {
  /** Directory of the certificate files and crt-list, as seen inside the LB container. */
  dir: string;
  /** Identifies this config; the health listener answers it on /config, so a reload can be confirmed. */
  configId: string;
}

/** A rendered config: haproxy.cfg text, the files it refers to (relative to `dir`), and warnings. */
export interface RenderedConfig {
  config: string;
  files: Record<string, string>;
  warnings: string[];
}

/** Port of the LB's own health and stats listener (Rancher's `*:42`). */
export const healthPort = 42;

const globalLines = [
  "maxconn 4096",
  "ssl-default-bind-options no-sslv3 no-tlsv10",
  "tune.ssl.default-dh-param 2048",
  // The agent reloads through SIGUSR2 to the master (-W, master CLI on -S); this socket lets a
  // new worker take the listeners from the old one, so a reload loses no connection.
  "stats socket /run/haproxy/admin.sock mode 600 level admin expose-fd listeners",
  "stats timeout 2m",
];

const defaultsLines = [
  "mode http",
  "maxconn 4096",
  "retries 3",
  "option redispatch",
  // A backend that dies under a request (a container stopped during a scale-down or an upgrade)
  // costs the client nothing: the request is sent again to another server.
  "retry-on conn-failure empty-response response-timeout",
  "option forwardfor",
  "option http-server-close",
  // During a reload the old worker answers the next request of an idle keep-alive connection
  // with `Connection: close` instead of closing it under a client that may be sending.
  "option idle-close-on-response",
  "timeout connect 5s",
  "timeout client 50s",
  "timeout server 50s",
];

/** The `cookie` line of a stickiness policy (HTTP backends only). */
export function cookieLine(policy: Stickiness): string {
  const words = ["cookie", policy.cookie || policy.name || "lb", policy.mode ?? "insert"];
  if (policy.indirect) words.push("indirect");
  if (policy.nocache) words.push("nocache");
  if (policy.postonly) words.push("postonly");
  if (policy.domain) words.push("domain", policy.domain);
  return words.join(" ");
}

/** `option httpchk` of a health check with a request line ("GET /ping HTTP/1.0"); null for TCP checks. */
export function httpCheckLine(check: HealthCheck): string | null {
  const words = (check.requestLine ?? "").trim().split(/\s+/).filter(Boolean);
  return words.length === 0 ? null : `option httpchk ${words.slice(0, 3).join(" ")}`;
}

interface Backend {
  name: string;
  mode: FrontendMode;
  groups: TargetGroup[];
}

/** The lines of one backend: balance, checks, stickiness, one server per target container. */
function backendLines(backend: Backend, stickiness: Stickiness | null): string[] {
  const lines = [`mode ${backend.mode}`, "balance roundrobin"];
  if (backend.mode === "tcp") lines.push("no option http-server-close");
  const checked = backend.groups.find((g) => g.healthCheck)?.healthCheck;
  const httpchk = checked ? httpCheckLine(checked) : null;
  if (httpchk) lines.push(httpchk);
  if (checked) lines.push(`timeout check ${checked.responseTimeout}ms`);
  const sticky = stickiness && backend.mode === "http";
  if (sticky) lines.push(cookieLine(stickiness));
  const names = new Set<string>();
  const addresses = new Set<string>();
  for (const group of backend.groups) {
    const h = group.healthCheck;
    for (const s of group.servers) {
      const address = `${s.ip}:${s.port}`;
      if (addresses.has(address)) continue;
      addresses.add(address);
      // One container may serve a backend on two ports (two rules): keep server names unique.
      const name = names.has(s.name) ? `${s.name}_${s.port}` : s.name;
      names.add(name);
      const words = ["server", name, address];
      if (h)
        words.push(
          "check port",
          String(h.port),
          `inter ${h.interval}ms rise ${h.healthyThreshold} fall ${h.unhealthyThreshold}`,
        );
      if (sticky) words.push("cookie", name);
      lines.push(words.join(" "));
    }
  }
  return lines;
}

/**
 * The lines that answer pending ACME HTTP-01 challenges on a plain-HTTP frontend, before any
 * routing: the CA asks `http://<domain>/.well-known/acme-challenge/<token>` and gets the key
 * authorization from HAProxy itself, so no backend (and no route to the server) is involved.
 * Token and key authorization are base64url text, checked by the view's schema.
 */
export function acmeChallengeLines(challenges: AcmeChallenge[]): string[] {
  return challenges.map(
    (c) =>
      `http-request return status 200 content-type text/plain string "${c.keyAuthorization}" if { path /.well-known/acme-challenge/${c.token} } { hdr(host),field(1,:) -i ${c.domain} }`,
  );
}

/** The frontend of one source port, or null (with a warning) when it cannot be served. */
function frontendSection(
  port: number,
  rules: PortRule[],
  tls: { crtList: string | null; strictSni: boolean },
  dir: string,
  warn: (message: string) => void,
  challenges: AcmeChallenge[] = [],
): Section | null {
  const mode = modeOf(rules[0]!.protocol);
  const kept = rules.filter((r) => modeOf(r.protocol) === mode);
  if (kept.length < rules.length)
    warn(`port ${port}: rules mixing http and tcp protocols; kept the ${mode} ones`);
  let bind = `bind :${port}`;
  const secure = kept.some((r) => terminatesTls(r.protocol));
  if (secure) {
    if (!tls.crtList) {
      warn(`port ${port}: ${kept[0]!.protocol} needs a certificate; port not served`);
      return null;
    }
    bind += ` ssl crt-list ${dir}/${tls.crtList}${tls.strictSni ? " strict-sni" : ""}`;
  }
  const lines = [bind, `mode ${mode}`];
  if (mode === "http") {
    lines.push("http-request set-header X-Forwarded-Proto https if { ssl_fc }");
    lines.push("http-request set-header X-Forwarded-Port %[dst_port]");
    if (!secure) lines.push(...acmeChallengeLines(challenges));
  } else {
    lines.push("no option http-server-close");
    if (kept.some((r) => r.protocol === "sni"))
      // The SNI name is in the client's hello: wait for it before choosing a backend.
      lines.push("tcp-request inspect-delay 5s", "tcp-request content accept if { req_ssl_hello_type 1 }");
  }
  return { header: `frontend ${port}`, lines: [...lines, ...routingLines(kept, warn)] };
}

/** Renders the whole haproxy.cfg of one load balancer (pure: same input, same text). */
export function renderLoadBalancer(input: RenderInput, options: RenderOptions): RenderedConfig {
  const warnings: string[] = [];
  const warn = (message: string) => warnings.push(message);
  const config: LbConfig = parseLbConfig(input.lb.lbConfig, warn);
  const tls = tlsSetup(config, input.state.certificates, options.dir, warn);

  const byPort = new Map<number, PortRule[]>();
  for (const rule of config.portRules) {
    if (rule.sourcePort === healthPort) {
      warn(`port ${healthPort} is the load balancer's health listener; rule ignored`);
      continue;
    }
    byPort.set(rule.sourcePort, [...(byPort.get(rule.sourcePort) ?? []), rule]);
  }
  const frontends: Section[] = [];
  const backends = new Map<string, Backend>();
  for (const port of [...byPort.keys()].sort((a, b) => a - b)) {
    const challenges = input.state.acmeChallenges ?? [];
    const section = frontendSection(port, byPort.get(port)!, tls, options.dir, warn, challenges);
    if (!section) continue;
    frontends.push(section);
    const mode = section.lines.includes("mode http") ? "http" : "tcp";
    for (const rule of byPort.get(port)!.filter((r) => modeOf(r.protocol) === mode)) {
      const name = backendNameOf(rule);
      const backend = backends.get(name) ?? { name, mode, groups: [] };
      backends.set(name, backend);
      const targetPort = rule.targetPort ?? rule.sourcePort;
      const services = ruleServices(rule, input.state.services, input.lb.id);
      if (services.length === 0) warn(`port ${port}: rule targets no service (503 until one exists)`);
      for (const service of services)
        backend.groups.push(targetGroup(service, input.state.containers, targetPort));
    }
  }
  const listen: Section = {
    header: "listen default",
    lines: [
      `bind :${healthPort}`,
      "mode http",
      "monitor-uri /health",
      `http-request return status 200 content-type text/plain string "${options.configId}" if { path /config }`,
      "stats enable",
      "stats uri /stats",
    ],
  };
  const generated: Section[] = [
    { header: "global", lines: globalLines },
    { header: "defaults", lines: defaultsLines },
    listen,
    ...frontends,
    ...[...backends.values()].map((b) => ({
      header: `backend ${b.name}`,
      lines: backendLines(b, config.stickiness),
    })),
  ];
  const header = `# Generated by the Corral agent for load balancer ${input.lb.stackName}/${input.lb.name} (${input.lb.id}), config ${options.configId}.\n`;
  const text = header + formatSections(mergeCustom(generated, config.custom));
  return { config: text, files: tls.files, warnings };
}

/**
 * Renders a config for installation under `root`/<id>/ where <id> is a hash of the whole
 * rendered content: an unchanged view yields the same id (nothing to do), and a changed one a
 * fresh directory, so the running config's files are never overwritten before it is replaced.
 */
export function renderVersioned(input: RenderInput, root: string): RenderedConfig & { id: string } {
  const marker = "@CONFIG_ID@";
  const draft = renderLoadBalancer(input, { dir: `${root}/${marker}`, configId: marker });
  const hash = createHash("sha256").update(draft.config);
  for (const [path, content] of Object.entries(draft.files).sort()) hash.update(`\0${path}\0${content}`);
  const id = hash.digest("hex").slice(0, 16);
  const files: Record<string, string> = {};
  for (const [path, content] of Object.entries(draft.files)) files[path] = content.replaceAll(marker, id);
  return { id, config: draft.config.replaceAll(marker, id), files, warnings: draft.warnings };
}
