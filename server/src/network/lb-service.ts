import { formatId, type LaunchConfig, launchConfigSchema, type ServiceSpec } from "@corral/api";
import { AppError } from "@corral/lib";
import { parsePort } from "../services/container-spec.ts";
import type { Store } from "../store/store.ts";
import { lbCertificateRefs, type PortRule } from "./lb-refs.ts";

/** The HAProxy image Corral's load balancers run (built by the images/ recipes). */
export const lbImage = "docker:corral/lb-haproxy:latest";
/** Label marking a load balancer's containers, for the agent's lb controller. */
export const lbLabel = "io.corral.lb";

const protocols = ["http", "tcp", "https", "tls", "sni"] as const;
const needsCert = new Set(["https", "tls", "sni"]);
const dnsLabel = "[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?";
const exactHost = new RegExp(`^${dnsLabel}(\\.${dnsLabel})*$`);

function refuse(message: string): never {
  throw new AppError("InvalidOption", `lbConfig: ${message}`, { detail: { field: "lbConfig" } });
}

function port(rule: PortRule, key: string, at: string, required: boolean): number | undefined {
  const v = rule[key];
  if (v === undefined || v === null) {
    if (required) refuse(`${at}.${key} is required`);
    return undefined;
  }
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > 65535)
    refuse(`${at}.${key} must be a port between 1 and 65535, not ${JSON.stringify(v)}`);
  return v;
}

/** True for a hostname a rule may match: exact, `*.example.com` or `example.*`. */
export function validRuleHostname(h: string): boolean {
  if (h.startsWith("*.")) return exactHost.test(h.slice(2));
  if (h.endsWith(".*")) return exactHost.test(h.slice(0, -2));
  return exactHost.test(h);
}

/**
 * Checks a load balancer's port rules (Rancher's lb_config): ports, protocol (udp is refused:
 * HAProxy cannot balance it), hostname, path, priority, a target (service, serviceId or selector),
 * a certificate for https/tls/sni, and one protocol per source port (one HAProxy frontend each).
 * Returns the rules' source ports. Throws InvalidOption (422) with the reason.
 */
export function checkLbConfig(lb: Record<string, unknown>): number[] {
  const rules = lb.portRules ?? [];
  if (!Array.isArray(rules)) refuse("portRules must be a list");
  const hasCert = lbCertificateRefs(lb, (n) => n).length > 0;
  const protocolOf = new Map<number, string>();
  rules.forEach((raw: unknown, i) => {
    const at = `portRules[${i}]`;
    if (raw === null || typeof raw !== "object" || Array.isArray(raw)) refuse(`${at} must be an object`);
    const rule = raw as PortRule;
    const source = port(rule, "sourcePort", at, true)!;
    const protocol = rule.protocol ?? "http";
    if (protocol === "udp") refuse(`${at}.protocol udp is not supported by the load balancer`);
    if (typeof protocol !== "string" || !(protocols as readonly string[]).includes(protocol))
      refuse(`${at}.protocol must be one of ${protocols.join(", ")}`);
    const hasTarget = ["service", "serviceId", "selector"].some(
      (k) => typeof rule[k] === "string" && rule[k],
    );
    if (!hasTarget) refuse(`${at} needs a target: service, serviceId or selector`);
    port(rule, "targetPort", at, !rule.selector);
    if (rule.hostname !== undefined && rule.hostname !== null && rule.hostname !== "") {
      if (typeof rule.hostname !== "string" || !validRuleHostname(rule.hostname))
        refuse(`${at}.hostname ${JSON.stringify(rule.hostname)} must be a DNS name, *.domain or name.*`);
    }
    if (rule.path !== undefined && rule.path !== null && rule.path !== "") {
      if (typeof rule.path !== "string" || !rule.path.startsWith("/") || /\s/.test(rule.path))
        refuse(`${at}.path must start with / and hold no spaces`);
    }
    if (rule.priority !== undefined && rule.priority !== null && !Number.isInteger(rule.priority))
      refuse(`${at}.priority must be an integer`);
    if (needsCert.has(protocol) && !hasCert)
      refuse(
        `${at}.protocol ${protocol} needs a certificate (certificateIds, defaultCertificateId, certs or defaultCert)`,
      );
    const other = protocolOf.get(source);
    if (other && other !== protocol)
      refuse(
        `${at}: source port ${source} is used by another rule with protocol ${other}; one port has one protocol`,
      );
    protocolOf.set(source, protocol);
  });
  return [...protocolOf.keys()];
}

/**
 * A load balancer service as it is stored: its lbConfig checked, and a launch config running
 * Corral's HAProxy image that publishes every source port (a port the launch config already
 * publishes for that source port keeps its public side), labelled `io.corral.lb=true`. Other
 * kinds pass through unchanged. The source ports being published is what makes two balancers
 * with one source port a scheduling conflict on a host.
 */
export function lbServiceSpec<T extends Pick<ServiceSpec, "kind" | "lbConfig" | "launchConfig">>(spec: T): T {
  if (spec.kind !== "loadBalancerService") return spec;
  const sources = checkLbConfig(spec.lbConfig ?? {});
  const base: LaunchConfig = spec.launchConfig ?? launchConfigSchema.parse({ imageUuid: lbImage });
  const ports = [...base.ports];
  const published = new Set(base.ports.map((p) => parsePort(p).privatePort));
  for (const sp of sources) if (!published.has(sp)) ports.push(`${sp}:${sp}/tcp`);
  return {
    ...spec,
    lbConfig: spec.lbConfig ?? {},
    launchConfig: { ...base, imageUuid: lbImage, ports, labels: { ...base.labels, [lbLabel]: "true" } },
  };
}

/** Checks that the certificates and services an lbConfig names by id exist in the environment. */
export function checkLbReferences(
  store: Store,
  projectId: string,
  lb: Record<string, unknown> | undefined,
): void {
  if (!lb) return;
  const certNames = new Map(
    store
      .all("certificate", { projectId })
      .filter((c) => c.state !== "removed")
      .map((c) => [c.name ?? "", formatId("certificate", c.id)]),
  );
  for (const ref of lbCertificateRefs(lb, (n) => certNames.get(n) ?? `name:${n}`)) {
    if (ref.startsWith("name:")) refuse(`certificate ${ref.slice(5)} not found in this environment`);
    const row = store.getByPublicId("certificate", ref);
    if (!row || row.projectId !== projectId || row.state === "removed")
      refuse(`certificate ${ref} not found in this environment`);
  }
  const rules = Array.isArray(lb.portRules) ? (lb.portRules as PortRule[]) : [];
  for (const r of rules) {
    if (typeof r?.serviceId !== "string") continue;
    const svc = store.getByPublicId("service", r.serviceId);
    if (!svc || svc.projectId !== projectId || svc.state === "removed")
      refuse(`service ${r.serviceId} of a port rule not found in this environment`);
  }
}
