import { type StackSpec, stackSpecSchema } from "@corral/api";
import type { Draft, LaunchInput, ServiceDraft } from "./draft.ts";
import type { FileReporter, Located } from "./issues.ts";
import { type LegacyLbDraft, legacyLbConfig } from "./legacy-lb.ts";
import type { RancherEntry } from "./rancher-compose.ts";
import type { Unit } from "./units.ts";
import type { StackVolume } from "./volumes.ts";

/** Images that stand for Rancher's non-container service kinds. */
const kindImages: Record<string, ServiceDraft["kind"]> = {
  "rancher/external-service": "externalService",
  "rancher/dns-service": "dnsService",
  "rancher/lb-service-haproxy": "loadBalancerService",
};
const defaultImages: Record<string, string> = {
  externalService: "rancher/external-service",
  loadBalancerService: "rancher/lb-service-haproxy",
};

/** Image name without registry-less tag or digest: `rancher/lb-service-haproxy:v0.9.1` → repo. */
function repository(image: string): string {
  const noDigest = image.split("@")[0] ?? image;
  const slash = noDigest.lastIndexOf("/");
  const colon = noDigest.lastIndexOf(":");
  return colon > slash ? noDigest.slice(0, colon) : noDigest;
}

/** Applies what Rancher read from labels; the labels themselves stay (the scheduler reads them). */
function fromLabels(d: Draft, svc: ServiceDraft): void {
  const labels = d.lc.labels ?? {};
  if (labels["io.rancher.scheduler.global"] === "true") svc.global = true;
  if (labels["io.rancher.container.pull_image"] === "always") d.lc.pullPolicy = "always";
  if (labels["io.rancher.service.selector.link"])
    svc.selectorLink = labels["io.rancher.service.selector.link"];
  if (labels["io.rancher.service.selector.container"])
    svc.selectorContainer = labels["io.rancher.service.selector.container"];
}

function launchConfig(r: FileReporter, d: Draft, kind: ServiceDraft["kind"]): LaunchInput {
  const image = d.image ?? (kind ? defaultImages[kind] : undefined);
  if (!image && !d.build) r.error(d.at, `service ${d.name} has no image`);
  return { ...d.lc, imageUuid: `docker:${image ?? "missing"}` };
}

/** Applies rancher-compose's service-level keys. */
function mergeRancher(svc: ServiceDraft, re: RancherEntry): void {
  if (re.scale !== undefined) svc.scale = re.scale;
  if (re.retainIp !== undefined) svc.retainIp = re.retainIp;
  if (re.startOnCreate !== undefined) svc.startOnCreate = re.startOnCreate;
  if (re.scalePolicy) svc.scalePolicy = re.scalePolicy;
  if (re.metadata) svc.metadata = re.metadata;
  if (re.upgrade) svc.upgradeStrategy = { ...svc.upgradeStrategy, ...re.upgrade };
  if (re.lbConfig) {
    svc.lbConfig = re.lbConfig;
    svc.kind = "loadBalancerService";
  }
  if (re.externalIps) svc.externalIpAddresses = re.externalIps;
  if (re.hostname !== undefined) svc.hostname = re.hostname;
  if ((re.externalIps || re.hostname !== undefined) && svc.kind === "service") svc.kind = "externalService";
  if (re.description !== undefined) svc.description = re.description;
}

/** The kind a rancher-compose entry asks for on its own (lb_config, external_ips, hostname). */
function rancherKind(re: RancherEntry | undefined): ServiceDraft["kind"] | undefined {
  if (re?.lbConfig) return "loadBalancerService";
  if (re?.externalIps || re?.hostname !== undefined) return "externalService";
  return undefined;
}

/** A 1.x load balancer becomes a load balancer service: its ports are now its port rules. */
function applyLegacyLb(
  docker: FileReporter,
  rancher: FileReporter,
  d: Draft,
  legacy: LegacyLbDraft,
  svc: ServiceDraft,
  re: RancherEntry | undefined,
): void {
  svc.kind = "loadBalancerService";
  svc.lbConfig = legacyLbConfig(docker, d, legacy, {
    certs: re?.certs,
    defaultCert: re?.defaultCert,
    config: re?.legacyLb?.config,
    stickinessPolicy: re?.legacyLb?.stickinessPolicy,
  });
  // The balancer publishes every source port itself (network/lb-service.ts); the image is 1.6's,
  // so an exported stack reads back as the load balancer it now is.
  if (svc.launchConfig)
    svc.launchConfig = {
      ...svc.launchConfig,
      imageUuid: `docker:${defaultImages.loadBalancerService}`,
      ports: [],
      expose: [],
    };
  if (re?.lbConfig) rancher.warn(re.at, `lb_config replaces the 1.x load balancer rules of ${d.name}`);
}

/** Checks that lb port rules target services of this stack (or `stack/service` elsewhere). */
function checkPortRules(r: FileReporter, at: Located, lb: Record<string, unknown>, names: Set<string>): void {
  const rules = Array.isArray(lb.portRules) ? lb.portRules : [];
  for (const rule of rules) {
    const target = (rule as Record<string, unknown> | null)?.service;
    if (typeof target === "string" && !target.includes("/") && !names.has(target))
      r.error(at, `lb_config port rule targets unknown service "${target}"`);
  }
}

/** Everything assemble needs. */
export interface AssembleInput {
  docker: FileReporter;
  rancher: FileReporter;
  units: Unit[];
  sidekickNames: Set<string>;
  /** Service keys of docker-compose.yml, including ones already reported as invalid. */
  declared: Set<string>;
  rancherEntries: RancherEntry[];
  volumes: Record<string, StackVolume>;
}

/** Builds the final services from units and rancher-compose entries, then validates with zod. */
export function assemble(input: AssembleInput): StackSpec | undefined {
  const { docker, rancher, units } = input;
  const byName = new Map(input.rancherEntries.map((re) => [re.name, re]));
  const services: ServiceDraft[] = [];
  const locations: { file: FileReporter; at: Located }[] = [];
  const primaryNames = new Set(units.map((u) => u.primary.name));
  for (const unit of units) {
    const d = unit.primary;
    const re = byName.get(d.name);
    const imageKind = d.image ? kindImages[repository(d.image)] : undefined;
    const svc: ServiceDraft = { name: d.name, kind: imageKind ?? rancherKind(re) ?? "service" };
    if (d.scale !== undefined) svc.scale = d.scale;
    if (d.global) svc.global = true;
    if (d.upgrade) svc.upgradeStrategy = { ...d.upgrade };
    fromLabels(d, svc);
    const lc = launchConfig(docker, d, svc.kind);
    svc.launchConfig = lc;
    if (d.legacyLb) applyLegacyLb(docker, rancher, d, d.legacyLb, svc, re);
    else if (re && (re.certs || re.defaultCert || re.legacyLb))
      rancher.warn(
        re.at,
        `certs, default_cert and load_balancer_config only apply to 1.x load balancers; ignored`,
      );
    svc.secondaryLaunchConfigs = unit.sidekicks.map((s) => launchConfig(docker, s, "service"));
    svc.links = unit.links;
    svc.externalLinks = unit.externalLinks;
    svc.dependsOn = unit.dependsOn;
    if (re) {
      mergeRancher(svc, re);
      if (re.healthCheck) lc.healthCheck = re.healthCheck as LaunchInput["healthCheck"];
    }
    services.push(svc);
    locations.push({ file: docker, at: d.at });
  }
  for (const re of input.rancherEntries) {
    if (primaryNames.has(re.name)) continue;
    if (input.sidekickNames.has(re.name)) {
      // Rancher keyed sidekick health checks by the sidekick's name; the rest is per service.
      const owner = services.find((s) => s.secondaryLaunchConfigs?.some((lc) => lc.name === re.name));
      const lc = owner?.secondaryLaunchConfigs?.find((l) => l.name === re.name);
      if (lc && re.healthCheck) lc.healthCheck = re.healthCheck as LaunchInput["healthCheck"];
      for (const at of re.serviceKeys)
        rancher.warn(at, `${re.name} is a sidekick: this applies to ${owner?.name}; ignored`);
      continue;
    }
    // A service refused in docker-compose.yml is reported there once, not again as missing.
    if (input.declared.has(re.name)) continue;
    const kind = rancherKind(re);
    if (!kind) {
      rancher.error(re.at, `service ${re.name} is not in docker-compose.yml`);
      continue;
    }
    const svc: ServiceDraft = { name: re.name, kind };
    mergeRancher(svc, re);
    if (re.healthCheck) rancher.warn(re.at, "health_check needs a container; this service has none; ignored");
    services.push(svc);
    locations.push({ file: rancher, at: re.at });
  }
  const allNames = new Set(services.map((s) => s.name));
  for (const [i, s] of services.entries())
    if (s.lbConfig)
      checkPortRules(
        byName.get(s.name) ? rancher : docker,
        byName.get(s.name)?.at ?? (locations[i]?.at as Located),
        s.lbConfig,
        allNames,
      );
  if (docker.diags.issues.length > 0) return undefined;
  const parsed = stackSpecSchema.safeParse({ services, volumes: input.volumes });
  if (parsed.success) return parsed.data;
  // Bounds the converters did not check: report them at the service they concern.
  for (const issue of parsed.error.issues) {
    const [, index, ...rest] = issue.path;
    const loc = typeof index === "number" ? locations[index] : undefined;
    const where = loc ?? { file: docker, at: { pos: { line: 1, column: 1 }, path: "" } };
    where.file.error(
      { pos: where.at.pos, path: [where.at.path, ...rest].filter((p) => p !== "").join(".") },
      issue.message,
    );
  }
  return undefined;
}
