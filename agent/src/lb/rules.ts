import type { LbProtocol, PortRule } from "./lb-config.ts";
import { safeName } from "./targets.ts";

/** How a frontend carries its traffic. */
export type FrontendMode = "http" | "tcp";

/** The haproxy mode of a protocol: http and https are HTTP; tcp, tls and sni are TCP. */
export function modeOf(protocol: LbProtocol): FrontendMode {
  return protocol === "http" || protocol === "https" ? "http" : "tcp";
}

/** True for protocols whose TLS HAProxy terminates. */
export function terminatesTls(protocol: LbProtocol): boolean {
  return protocol === "https" || protocol === "tls";
}

const isWildcard = (hostname: string) => hostname.startsWith("*.") || hostname.endsWith(".*");

/**
 * Rancher's default rule order within a frontend: host+path, host, wildcard+path, wildcard, path,
 * default (0..5).
 */
export function ruleClass(rule: PortRule): number {
  const host = rule.hostname || "";
  const path = rule.path || "";
  if (host && !isWildcard(host)) return path ? 0 : 1;
  if (host) return path ? 2 : 3;
  return path ? 4 : 5;
}

/**
 * Orders one frontend's rules: a set priority first (lower first), then Rancher's default order;
 * within a class the longer path, then the longer hostname goes first, so `/api/v2` is tried
 * before `/api` whatever order the user wrote them in; ties keep the user's order.
 */
export function orderRules(rules: PortRule[]): PortRule[] {
  const keyed = rules.map((rule, index) => ({ rule, index }));
  keyed.sort((a, b) => {
    const pa = a.rule.priority ?? Number.POSITIVE_INFINITY;
    const pb = b.rule.priority ?? Number.POSITIVE_INFINITY;
    if (pa !== pb) return pa < pb ? -1 : 1;
    const ca = ruleClass(a.rule);
    const cb = ruleClass(b.rule);
    if (ca !== cb) return ca - cb;
    const paths = (b.rule.path ?? "").length - (a.rule.path ?? "").length;
    if (paths !== 0) return paths;
    const hosts = (b.rule.hostname ?? "").length - (a.rule.hostname ?? "").length;
    return hosts !== 0 ? hosts : a.index - b.index;
  });
  return keyed.map((k) => k.rule);
}

/**
 * The sample fetch a hostname is matched on: the Host header without its port in HTTP, the SNI
 * name of the TLS hello for sni passthrough, the SNI of the terminated session for tls.
 */
export function hostFetch(protocol: LbProtocol): string | null {
  if (modeOf(protocol) === "http") return "req.hdr(host),field(1,:)";
  if (protocol === "sni") return "req.ssl_sni";
  if (protocol === "tls") return "ssl_fc_sni";
  return null;
}

/** The ACL criterion of a hostname: exact, `*.x` as a suffix, `x.*` as a prefix; case-insensitive. */
export function hostCriterion(fetch: string, hostname: string): string {
  if (hostname.startsWith("*.")) return `${fetch} -m end -i ${hostname.slice(1)}`;
  if (hostname.endsWith(".*")) return `${fetch} -m beg -i ${hostname.slice(0, -1)}`;
  return `${fetch} -m str -i ${hostname}`;
}

/** The backend a rule feeds: its backendName, else one per port, hostname and path (as Rancher). */
export function backendNameOf(rule: PortRule): string {
  if (rule.backendName) return safeName(rule.backendName);
  const host = (rule.hostname ?? "").replace(/\*/g, "wildcard");
  return safeName(`${rule.sourcePort}_${host}_${rule.path ?? ""}`);
}

/** Routing lines of one frontend: ACLs, `use_backend`s in order, and the default backend. */
export function routingLines(rules: PortRule[], warn: (message: string) => void): string[] {
  const acls: string[] = [];
  const uses: string[] = [];
  let fallback: string | null = null;
  orderRules(rules).forEach((rule, i) => {
    const backend = backendNameOf(rule);
    const conditions: string[] = [];
    const fetch = hostFetch(rule.protocol);
    if (rule.hostname) {
      if (fetch) {
        acls.push(`acl r${i}_host ${hostCriterion(fetch, rule.hostname)}`);
        conditions.push(`r${i}_host`);
      } else warn(`port ${rule.sourcePort}: hostname ${rule.hostname} ignored on a tcp rule`);
    }
    if (rule.path) {
      if (modeOf(rule.protocol) === "http") {
        acls.push(`acl r${i}_path path_beg ${rule.path}`);
        conditions.push(`r${i}_path`);
      } else warn(`port ${rule.sourcePort}: path ${rule.path} ignored on a ${rule.protocol} rule`);
    }
    if (conditions.length > 0) uses.push(`use_backend ${backend} if ${conditions.join(" ")}`);
    // The first unconditional rule is the default; more of them share its backend (same name).
    else if (fallback === null) fallback = backend;
  });
  return [...acls, ...uses, ...(fallback ? [`default_backend ${fallback}`] : [])];
}
