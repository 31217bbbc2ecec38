import type { Draft } from "./draft.ts";
import type { FileReporter, Located } from "./issues.ts";
import { asSeq, asString } from "./values.ts";
import type { YNode } from "./yaml-tree.ts";

/**
 * Rancher 1.x's load balancer: a service with `image: rancher/load-balancer-service`, its listening
 * ports in `ports`/`expose` ("source[:target][/protocol]"), its targets in `links`/`external_links`,
 * and routing in `io.rancher.loadbalancer.*` labels. Rancher 1.6 converted it into a load balancer
 * service with port rules when it read the file; so does this, with the same rules: one rule per
 * port and target, target labels refining the rules of their target, `ssl.ports` making those
 * source ports https, `proxy-protocol.ports` making their frontends expect the PROXY protocol.
 */

/** The 1.x load balancer image (any tag). */
export const legacyLbImage = "rancher/load-balancer-service";

const targetLabel = "io.rancher.loadbalancer.target.";
const sslLabel = "io.rancher.loadbalancer.ssl.ports";
const proxyLabel = "io.rancher.loadbalancer.proxy-protocol.ports";

/** One listening port of a 1.x load balancer. */
export interface LegacyPort {
  source: number;
  target: number;
  protocol: string;
  node: YNode;
}

/** What a 1.x load balancer's `ports`/`expose` gave, kept raw until its links are known. */
export interface LegacyLbDraft {
  ports: LegacyPort[];
  /** Where `expose` was: those ports are published too now, which deserves a note. */
  expose?: Located;
}

/** A port rule as the model stores it (camelCase, see lb-config.ts). */
export interface RuleDraft {
  sourcePort: number;
  targetPort: number;
  protocol: string;
  service: string;
  hostname?: string;
  path?: string;
}

const portRe = /^(\d{1,5})(?::(\d{1,5}))?(?:\/([a-z]+))?$/;
const protocols = ["http", "tcp", "https", "tls", "sni"];

/** True when an image reference names the 1.x load balancer. */
export function isLegacyLbImage(image: string | undefined): boolean {
  if (!image) return false;
  const noDigest = image.split("@")[0] ?? image;
  const colon = noDigest.lastIndexOf(":");
  const repo = colon > noDigest.lastIndexOf("/") ? noDigest.slice(0, colon) : noDigest;
  return repo === legacyLbImage || repo === `docker.io/${legacyLbImage}`;
}

/** Reads a 1.x load balancer's `ports` or `expose` list ("80", "80:8080", "443:80/tcp"). */
export function readLegacyPorts(r: FileReporter, n: YNode): LegacyPort[] {
  const out: LegacyPort[] = [];
  for (const it of asSeq(r, n)?.items ?? []) {
    const text = asString(r, it);
    if (text === undefined) continue;
    const m = portRe.exec(text.trim());
    const source = Number(m?.[1]);
    const target = m?.[2] === undefined ? source : Number(m[2]);
    const protocol = m?.[3] ?? "http";
    if (!m || source < 1 || source > 65535 || target < 1 || target > 65535)
      r.error(it, `invalid load balancer port "${text}": expected source[:target][/protocol]`);
    else if (!protocols.includes(protocol))
      r.error(it, `load balancer protocol "${protocol}" is not supported (${protocols.join(", ")})`);
    else out.push({ source, target, protocol, node: it });
  }
  return out;
}

interface LabelRule {
  hostname: string;
  sourcePort: number;
  path: string;
  targetPort: number;
}

/**
 * One target label value: comma-separated `[hostname][:source][/path][=target]`. A lone number is
 * the target port and `host=81` sets host and target, as Rancher read them; a hostname cannot
 * start with a digit (Rancher's rule too: a leading digit starts the port).
 */
export function parseTargetLabel(value: string): LabelRule[] | string {
  const out: LabelRule[] = [];
  for (const raw of value.split(",")) {
    const text = raw.trim();
    if (text === "") continue;
    const m = /^(?:([A-Za-z*][A-Za-z0-9.*-]*)?(?::|(?=[/=]|$)))?(\d*)(\/[^=]*)?(?:=(\d+))?$/.exec(text);
    if (!m) return `"${text}" is not [hostname][:source_port][/path][=target_port]`;
    const hostname = m[1] ?? "";
    const first = m[2] ? Number(m[2]) : 0;
    const path = m[3] ?? "";
    const second = m[4] ? Number(m[4]) : 0;
    if (first > 65535 || second > 65535) return `"${text}": ports go up to 65535`;
    // "81" alone, or "host=81": the one number is the target port.
    const onlyTarget = second === 0 && path === "" && (hostname === "" || text.includes("="));
    if (onlyTarget && hostname === "" && first === 0) return `"${text}" names nothing to route`;
    out.push(
      onlyTarget
        ? { hostname, sourcePort: 0, path: "", targetPort: first || second }
        : { hostname, sourcePort: first, path, targetPort: second },
    );
  }
  return out;
}

/** Comma-separated port numbers of the ssl and proxy-protocol labels. */
function portList(value: string): number[] | string {
  const out: number[] = [];
  for (const p of value.split(",")) {
    const t = p.trim();
    if (!/^\d{1,5}$/.test(t) || Number(t) < 1 || Number(t) > 65535) return `"${t}" is not a port`;
    out.push(Number(t));
  }
  return out;
}

/** Where the labels were, for errors about their values. */
function labelsAt(d: Draft): Located {
  return d.labelsAt ?? d.at;
}

/**
 * The lbConfig of a 1.x load balancer draft. `certs`/`defaultCert` come from rancher-compose.yml;
 * `config` and `stickinessPolicy` from its 1.x `load_balancer_config`.
 */
export function legacyLbConfig(
  r: FileReporter,
  d: Draft,
  legacy: LegacyLbDraft,
  extra: { certs?: string[]; defaultCert?: string; config?: string; stickinessPolicy?: unknown },
): Record<string, unknown> {
  const labels = d.lc.labels ?? {};
  const targets = [...d.links.map((l) => l.name), ...d.externalLinks.map((l) => l.target)];
  if (targets.length === 0) r.warn(d.at, `load balancer ${d.name} has no links: it has no targets`);
  if (legacy.expose)
    r.warn(legacy.expose, "expose ports of a 1.x load balancer are published on the host like its ports");
  const rules: RuleDraft[] = [];
  for (const p of legacy.ports)
    for (const service of targets)
      rules.push({ sourcePort: p.source, targetPort: p.target, protocol: p.protocol, service });
  for (const [key, value] of Object.entries(labels)) {
    if (!key.startsWith(targetLabel)) continue;
    const service = key.slice(targetLabel.length);
    if (!targets.includes(service)) {
      r.warn(labelsAt(d), `label ${key}: ${service} is not linked from ${d.name}; ignored`);
      continue;
    }
    const parsed = parseTargetLabel(value);
    if (typeof parsed === "string") {
      r.error(labelsAt(d), `label ${key}: ${parsed}`);
      continue;
    }
    // Rancher's merge: a label rule refines every rule of its service on its source port (or all).
    for (const rule of rules)
      for (const o of parsed)
        if (rule.service === service && (o.sourcePort === 0 || o.sourcePort === rule.sourcePort)) {
          rule.hostname = o.hostname;
          rule.path = o.path;
          if (o.targetPort !== 0) rule.targetPort = o.targetPort;
        }
  }
  const ssl = labels[sslLabel] !== undefined ? portList(labels[sslLabel]) : [];
  if (typeof ssl === "string") r.error(labelsAt(d), `label ${sslLabel}: ${ssl}`);
  else
    for (const rule of rules)
      if (ssl.includes(rule.sourcePort) && rule.protocol === "http") rule.protocol = "https";
  if (typeof ssl !== "string" && ssl.length > 0 && !extra.certs?.length && !extra.defaultCert)
    r.error(
      labelsAt(d),
      `label ${sslLabel}: https needs a certificate: set default_cert (or certs) for ${d.name} in rancher-compose.yml`,
    );
  const config = extra.config ? [extra.config.replace(/\n$/, "")] : [];
  const proxy = labels[proxyLabel] !== undefined ? portList(labels[proxyLabel]) : [];
  if (typeof proxy === "string") r.error(labelsAt(d), `label ${proxyLabel}: ${proxy}`);
  // Rancher wrote `accept-proxy` (a bind option) under the frontend; this rule is HAProxy's
  // frontend-level way to say the same, and merges with the generated frontend of that port.
  else for (const p of proxy) config.push(`frontend ${p}\n    tcp-request connection expect-proxy layer4`);
  const lb: Record<string, unknown> = {
    portRules: rules.map((x) => Object.fromEntries(Object.entries(x).filter(([, v]) => v !== ""))),
  };
  if (config.length > 0) lb.config = config.join("\n");
  if (extra.certs?.length) lb.certs = extra.certs;
  if (extra.defaultCert) lb.defaultCert = extra.defaultCert;
  if (extra.stickinessPolicy) lb.stickinessPolicy = extra.stickinessPolicy;
  return lb;
}

/**
 * rancher-compose's 1.x `load_balancer_config`: `haproxy_config` {global, defaults} becomes the
 * custom config text, `lb_cookie_stickiness_policy` the stickiness policy.
 */
export function legacyHaproxyConfig(global: string | undefined, defaults: string | undefined): string {
  const section = (name: string, body: string | undefined): string =>
    body && body.trim() !== ""
      ? `${name}\n${body
          .split("\n")
          .filter((l) => l.trim() !== "")
          .map((l) => `    ${l.trim()}`)
          .join("\n")}\n`
      : "";
  return section("global", global) + section("defaults", defaults);
}
