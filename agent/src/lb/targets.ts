import {
  type HealthCheck,
  healthCheckSchema,
  labelKeys,
  type StateContainer,
  type StateService,
} from "@corral/api";

/** One server line's worth of a target container. */
export interface TargetServer {
  /** Container name, made safe for haproxy. */
  name: string;
  ip: string;
  port: number;
}

/** The servers of one target service for one rule, with the service's health check if it has one. */
export interface TargetGroup {
  service: StateService;
  servers: TargetServer[];
  healthCheck: HealthCheck | null;
}

/** A name made of characters haproxy accepts in proxy, server and ACL names. */
export function safeName(text: string): string {
  return text.replace(/[^A-Za-z0-9_.:-]/g, "_");
}

/** One term of a label selector. */
interface SelectorTerm {
  key: string;
  op: "=" | "!=" | "in" | "notin" | "exists";
  values: string[];
}

/**
 * Parses Rancher's label selector: comma-separated `key=value`, `key!=value`, `key in (a,b)`,
 * `key notin (a,b)` and bare `key` (present). Commas inside parentheses belong to the value list.
 */
export function parseSelector(selector: string): SelectorTerm[] {
  const parts: string[] = [];
  let depth = 0;
  let current = "";
  for (const ch of selector) {
    if (ch === "(") depth++;
    if (ch === ")") depth--;
    if (ch === "," && depth === 0) {
      parts.push(current);
      current = "";
    } else current += ch;
  }
  parts.push(current);
  const terms: SelectorTerm[] = [];
  for (const part of parts.map((p) => p.trim()).filter(Boolean)) {
    const set = /^(\S+)\s+(in|notin)\s*\((.*)\)$/i.exec(part);
    if (set) {
      const values = set[3]!.split(",").map((v) => v.trim());
      terms.push({ key: set[1]!, op: set[2]!.toLowerCase() as "in" | "notin", values });
      continue;
    }
    const cmp = /^([^!=\s]+)\s*(!=|==|=)\s*(.*)$/.exec(part);
    if (cmp) terms.push({ key: cmp[1]!, op: cmp[2] === "!=" ? "!=" : "=", values: [cmp[3]!.trim()] });
    else terms.push({ key: part, op: "exists", values: [] });
  }
  return terms;
}

/** True when `labels` satisfy every term of `selector`. An empty selector matches nothing. */
export function matchesSelector(selector: string, labels: Record<string, string>): boolean {
  const terms = parseSelector(selector);
  if (terms.length === 0) return false;
  return terms.every((t) => {
    const value = labels[t.key];
    if (t.op === "exists") return value !== undefined;
    const listed = value !== undefined && t.values.includes(value);
    return t.op === "=" || t.op === "in" ? listed : !listed;
  });
}

/** The services a rule targets: its service id, or every service whose labels match its selector. */
export function ruleServices(
  rule: { serviceId?: string | null | undefined; selector?: string | null | undefined },
  services: StateService[],
  lbServiceId: string,
): StateService[] {
  // An LB never balances onto itself, even when its own labels match the selector.
  const candidates = services.filter((s) => s.id !== lbServiceId);
  if (rule.serviceId) return candidates.filter((s) => s.id === rule.serviceId);
  if (rule.selector) return candidates.filter((s) => matchesSelector(rule.selector!, s.labels));
  return [];
}

/**
 * The health check of a service: its own (`healthCheck`), else the one its containers carry as JSON
 * in the health check label.
 */
export function healthCheckOf(service: StateService, containers: StateContainer[]): HealthCheck | null {
  if (service.healthCheck) return service.healthCheck;
  const texts = [
    service.labels[labelKeys.healthCheck],
    ...containers.map((c) => c.labels[labelKeys.healthCheck]),
  ];
  for (const text of texts) {
    if (!text) continue;
    try {
      const parsed = healthCheckSchema.safeParse(JSON.parse(text));
      if (parsed.success) return parsed.data;
    } catch {
      // Not JSON: a label we cannot read is the same as no health check.
    }
  }
  return null;
}

/**
 * The servers of `service` on `port`: its primary containers (sidekicks are not balanced onto)
 * that run and have an address, only the healthy ones when there are some. When none is healthy
 * all of them stay, so HAProxy's own checks decide and the frontend answers a clean 503 rather
 * than a config with an empty backend flapping in and out.
 */
export function targetGroup(service: StateService, containers: StateContainer[], port: number): TargetGroup {
  const own = containers.filter(
    (c) => c.serviceId === service.id && !c.launchConfigName && c.state === "running" && c.ip,
  );
  const healthy = own.filter((c) => c.healthState === null || c.healthState === "healthy");
  const chosen = (healthy.length > 0 ? healthy : own).toSorted((a, b) => a.name.localeCompare(b.name));
  return {
    service,
    servers: chosen.map((c) => ({ name: safeName(c.name), ip: c.ip!, port })),
    healthCheck: healthCheckOf(service, own),
  };
}
