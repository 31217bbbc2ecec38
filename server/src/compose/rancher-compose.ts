import type { HealthCheck, UpgradeStrategy } from "@corral/api";
import { questionDefaults } from "../catalog/questions.ts";
import type { FileReporter, Located } from "./issues.ts";
import { lbConfigFromCompose } from "./lb-config.ts";
import { legacyHaproxyConfig } from "./legacy-lb.ts";
import { asBool, asInt, asMap, asSeq, asString, asStringList, typeName } from "./values.ts";
import { entry, toPlain, type YEntry, type YMap, type YNode } from "./yaml-tree.ts";

/** One service's entry in rancher-compose.yml. */
export interface RancherEntry {
  name: string;
  at: Located;
  scale?: number;
  retainIp?: boolean;
  startOnCreate?: boolean;
  scalePolicy?: { min: number; max: number; increment?: number };
  metadata?: Record<string, unknown>;
  upgrade?: Partial<UpgradeStrategy>;
  healthCheck?: Partial<HealthCheck>;
  lbConfig?: Record<string, unknown>;
  externalIps?: string[];
  hostname?: string;
  description?: string;
  /** A 1.x load balancer's certificates (names), kept at the service level in those files. */
  certs?: string[];
  defaultCert?: string;
  /** A 1.x load balancer's `load_balancer_config`, converted. */
  legacyLb?: { config?: string; stickinessPolicy?: Record<string, unknown> };
  /** Keys that apply to a whole service (so not to a sidekick), with where they are. */
  serviceKeys: Located[];
}

type Field = [key: string, min: number, max: number];
const hcInts: Record<string, Field> = {
  port: ["port", 1, 65535],
  interval: ["interval", 100, 3_600_000],
  response_timeout: ["responseTimeout", 10, 600_000],
  healthy_threshold: ["healthyThreshold", 1, 100],
  unhealthy_threshold: ["unhealthyThreshold", 1, 100],
  initializing_timeout: ["initializingTimeout", 0, 3_600_000],
  reinitializing_timeout: ["reinitializingTimeout", 0, 3_600_000],
};
const strategies = ["recreate", "none", "recreateOnQuorum"] as const;

function healthCheck(r: FileReporter, n: YNode): Partial<HealthCheck> | undefined {
  const m = asMap(r, n);
  if (!m) return undefined;
  const hc: Record<string, unknown> = {};
  for (const e of m.entries) {
    const at = { pos: e.keyPos, path: e.value.path };
    const int = hcInts[e.key];
    if (int) hc[int[0]] = asInt(r, e.value, int[1], int[2]);
    else if (e.key === "request_line") hc.requestLine = asString(r, e.value);
    else if (e.key === "strategy") {
      const s = asString(r, e.value);
      if (s !== undefined && !(strategies as readonly string[]).includes(s))
        r.error(e.value, `strategy must be recreate, none or recreateOnQuorum, not "${s}"`);
      else hc.strategy = s;
    } else if (e.key === "recreate_on_quorum_strategy_config") {
      const q = asMap(r, e.value);
      const quorum = q && entry(q, "quorum");
      if (q && !quorum) r.error(q, "recreate_on_quorum_strategy_config needs quorum");
      if (quorum) hc.recreateOnQuorumStrategyConfig = { quorum: asInt(r, quorum.value, 1) };
    } else if (e.key === "name") r.warn(at, "health_check name is not used; ignored");
    else r.error(at, `unknown health_check key "${e.key}"`);
  }
  if (!entry(m, "port")) r.error(m, "health_check needs a port");
  if (hc.strategy === "recreateOnQuorum" && !hc.recreateOnQuorumStrategyConfig)
    r.error(m, "strategy recreateOnQuorum needs recreate_on_quorum_strategy_config.quorum");
  return hc as Partial<HealthCheck>;
}

function upgradeStrategy(r: FileReporter, n: YNode): Partial<UpgradeStrategy> | undefined {
  const m = asMap(r, n);
  if (!m) return undefined;
  const u: Partial<UpgradeStrategy> = {};
  for (const e of m.entries) {
    if (e.key === "start_first") u.startFirst = asBool(r, e.value);
    else if (e.key === "batch_size") u.batchSize = asInt(r, e.value, 1, 1000);
    else if (e.key === "interval_millis") u.intervalMillis = asInt(r, e.value, 0, 3_600_000);
    else r.error({ pos: e.keyPos, path: e.value.path }, `unknown upgrade_strategy key "${e.key}"`);
  }
  return u;
}

function scalePolicy(r: FileReporter, n: YNode): RancherEntry["scalePolicy"] {
  const m = asMap(r, n);
  if (!m) return undefined;
  const p: Record<string, number | undefined> = {};
  for (const e of m.entries) {
    if (e.key === "min" || e.key === "max") p[e.key] = asInt(r, e.value, 0, 10_000);
    else if (e.key === "increment") p.increment = asInt(r, e.value, 1, 10_000);
    else r.error({ pos: e.keyPos, path: e.value.path }, `unknown scale_policy key "${e.key}"`);
  }
  if (p.min === undefined || p.max === undefined) {
    r.error(m, "scale_policy needs min and max");
    return undefined;
  }
  if (p.min > p.max) r.error(m, `scale_policy min (${p.min}) is greater than max (${p.max})`);
  return p.increment === undefined
    ? { min: p.min, max: p.max }
    : { min: p.min, max: p.max, increment: p.increment };
}

const stickinessKeys = ["name", "cookie", "domain", "indirect", "nocache", "postonly", "mode"];

/** A 1.x `load_balancer_config`: haproxy_config {global, defaults} and lb_cookie_stickiness_policy. */
function legacyLbSection(r: FileReporter, n: YNode): RancherEntry["legacyLb"] {
  const m = asMap(r, n);
  if (!m) return undefined;
  const out: NonNullable<RancherEntry["legacyLb"]> = {};
  for (const e of m.entries) {
    const at = { pos: e.keyPos, path: e.value.path };
    if (e.key === "haproxy_config") {
      const h = asMap(r, e.value);
      const text = (k: string) => {
        const x = h && entry(h, k);
        return x ? asString(r, x.value) : undefined;
      };
      for (const x of h?.entries ?? [])
        if (x.key !== "global" && x.key !== "defaults")
          r.error({ pos: x.keyPos, path: x.value.path }, `unknown haproxy_config key "${x.key}"`);
      out.config = legacyHaproxyConfig(text("global"), text("defaults"));
    } else if (e.key === "lb_cookie_stickiness_policy") {
      const p = asMap(r, e.value);
      for (const x of p?.entries ?? [])
        if (!stickinessKeys.includes(x.key))
          r.error(
            { pos: x.keyPos, path: x.value.path },
            `unknown lb_cookie_stickiness_policy key "${x.key}"`,
          );
      if (p) out.stickinessPolicy = lbConfigFromCompose(toPlain(p) as Record<string, unknown>);
    } else if (e.key === "name" || e.key === "description")
      r.warn(at, `load_balancer_config ${e.key} is not used; ignored`);
    else r.error(at, `unknown load_balancer_config key "${e.key}"`);
  }
  return out;
}

/** Keys Rancher's rancher-compose knew that Corral has no use for. */
const ignored = new Set([
  "network_driver",
  "storage_driver",
  "service_schemas",
  "vcpu",
  "userdata",
  "memory",
  "disks",
  "type",
]);

function rancherEntry(r: FileReporter, name: string, keyPos: Located["pos"], n: YNode): RancherEntry {
  const re: RancherEntry = { name, at: { pos: keyPos, path: n.path }, serviceKeys: [] };
  if (n.kind === "scalar" && n.value === null) return re;
  const m = asMap(r, n);
  for (const e of m?.entries ?? []) {
    const at = { pos: e.keyPos, path: e.value.path };
    const v = e.value;
    if (e.key !== "health_check" && !e.key.startsWith("x-")) re.serviceKeys.push(at);
    if (e.key === "scale") re.scale = asInt(r, v, 0, 10_000);
    else if (e.key === "retain_ip") re.retainIp = asBool(r, v);
    else if (e.key === "start_on_create") re.startOnCreate = asBool(r, v);
    else if (e.key === "scale_policy") re.scalePolicy = scalePolicy(r, v);
    else if (e.key === "metadata")
      re.metadata = asMap(r, v) ? (toPlain(v) as Record<string, unknown>) : undefined;
    else if (e.key === "upgrade_strategy") re.upgrade = upgradeStrategy(r, v);
    else if (e.key === "health_check") re.healthCheck = healthCheck(r, v);
    else if (e.key === "lb_config")
      re.lbConfig = asMap(r, v) ? lbConfigFromCompose(toPlain(v) as Record<string, unknown>) : undefined;
    else if (e.key === "external_ips") re.externalIps = asStringList(r, v);
    else if (e.key === "hostname") re.hostname = asString(r, v);
    else if (e.key === "description") re.description = asString(r, v);
    else if (e.key === "certs") re.certs = asStringList(r, v);
    else if (e.key === "default_cert") re.defaultCert = asString(r, v);
    else if (e.key === "load_balancer_config") re.legacyLb = legacyLbSection(r, v);
    else if (ignored.has(e.key)) r.warn(at, `${e.key} is not supported by Corral; ignored`);
    else if (!e.key.startsWith("x-")) r.error(at, `unknown rancher-compose key "${e.key}"`);
  }
  return re;
}

/** Parses rancher-compose.yml (v1 layout, or `version: '2'` with `services:`). */
export function parseRancherCompose(r: FileReporter, root: YNode): RancherEntry[] {
  if (root.kind === "scalar" && root.value === null) return [];
  const top = asMap(r, root, "a mapping of services");
  if (!top) return [];
  let services: YMap | undefined = top;
  const version = entry(top, "version");
  if (version || entry(top, "services")) {
    const v = version?.value.kind === "scalar" ? String(version.value.value) : "2";
    if (!/^[12](\.\d+)?$/.test(v))
      r.error(version?.value ?? top, `unsupported rancher-compose version "${v}"`);
    for (const e of top.entries)
      if (!["version", "services", ".catalog", "catalog"].includes(e.key) && !e.key.startsWith("x-"))
        r.error({ pos: e.keyPos, path: e.value.path }, `unknown top-level key "${e.key}"`);
    const block = catalogBlock(top);
    if (block) checkCatalog(r, block);
    const s = entry(top, "services");
    services = s && !(s.value.kind === "scalar" && s.value.value === null) ? asMap(r, s.value) : undefined;
  }
  const out: RancherEntry[] = [];
  if (services === top) {
    const block = catalogBlock(top);
    if (block) checkCatalog(r, block);
  }
  for (const e of services?.entries ?? []) {
    // `.catalog` (or `catalog`) carries catalog questions: the catalog reads it, the stack does not.
    if (e.key === ".catalog" || e.key.startsWith("x-") || (services === top && isCatalogBlock(e))) continue;
    out.push(rancherEntry(r, e.key, e.keyPos, e.value));
  }
  return out;
}

/** Keys only a catalog block has: a v1 file's `catalog:` with one of them is not a service. */
const catalogOnlyKeys = new Set([
  "name",
  "version",
  "questions",
  "uuid",
  "minimum_rancher_version",
  "maximum_rancher_version",
  "upgrade_from",
]);

/**
 * Rancher's catalog read the block as `.catalog:` or `catalog:`. In a v1 file the top level also
 * holds services, so `catalog:` is the block when it says something only a catalog block says.
 */
function isCatalogBlock(e: YEntry): boolean {
  if (e.key !== "catalog") return false;
  return e.value.kind === "map" && e.value.entries.some((x) => catalogOnlyKeys.has(x.key));
}

/** The catalog block of a rancher-compose.yml, under `.catalog` or `catalog` (top level or v2's). */
function catalogBlock(root: YMap): YNode | undefined {
  const dotted = entry(root, ".catalog");
  if (dotted) return dotted.value;
  const plain = entry(root, "catalog");
  if (!plain) return undefined;
  return entry(root, "version") || entry(root, "services") || isCatalogBlock(plain) ? plain.value : undefined;
}

/** The catalog reads the block; the stack only needs its shape right to read question defaults. */
function checkCatalog(r: FileReporter, n: YNode): void {
  if (n.kind === "scalar" && n.value === null) return;
  const m = asMap(r, n, "a mapping (the catalog block)");
  const questions = m && entry(m, "questions");
  if (!questions || (questions.value.kind === "scalar" && questions.value.value === null)) return;
  for (const q of asSeq(r, questions.value)?.items ?? [])
    if (q.kind !== "map") r.error(q, `a catalog question must be a mapping, not ${typeName(q)}`);
}

/** Defaults of catalog questions (`.catalog.questions[].default`), used for unanswered variables. */
export function catalogDefaults(root: YNode): Record<string, string> {
  if (root.kind !== "map") return {};
  const catalog = catalogBlock(root);
  const questions = catalog?.kind === "map" ? entry(catalog, "questions")?.value : undefined;
  return questions ? questionDefaults(toPlain(questions)) : {};
}
