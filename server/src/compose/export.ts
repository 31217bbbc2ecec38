import type { HealthCheck, LaunchConfig, ServiceSpec, StackSpec } from "@corral/api";
import { stringify } from "yaml";
import { launchFieldEntries } from "../model/launch-fields.ts";
import { lbConfigToCompose } from "./lb-config.ts";
import { sidekicksLabel } from "./service.ts";

type Obj = Record<string, unknown>;

/** Sets `key` only when the value says something beyond the model's default. */
function put(o: Obj, key: string, value: unknown): void {
  if (value === undefined || value === false) return;
  if (Array.isArray(value) && value.length === 0) return;
  if (value !== null && typeof value === "object" && !Array.isArray(value) && Object.keys(value).length === 0)
    return;
  o[key] = value;
}

const linkText = (l: { target: string; alias?: string }): string =>
  l.alias ? `${l.target}:${l.alias}` : l.target;

/** One launch config as a docker-compose service, field by field as model/launch-fields.ts places them. */
function composeService(lc: LaunchConfig, labels: Record<string, string>): Obj {
  const o: Obj = {};
  const withLabels = { ...lc, labels };
  for (const [field, rule] of launchFieldEntries()) {
    const c = rule.compose;
    if ("kind" in c) put(o, c.key, withLabels[field]);
    else if ("write" in c) {
      const value = c.write(withLabels);
      if (c.keepEmpty && value !== undefined) o[c.key] = value;
      else put(o, c.key, value);
    }
  }
  return o;
}

function healthCheck(hc: HealthCheck): Obj {
  const o: Obj = { port: hc.port };
  put(o, "request_line", hc.requestLine);
  Object.assign(o, {
    interval: hc.interval,
    response_timeout: hc.responseTimeout,
    healthy_threshold: hc.healthyThreshold,
    unhealthy_threshold: hc.unhealthyThreshold,
    initializing_timeout: hc.initializingTimeout,
  });
  put(o, "reinitializing_timeout", hc.reinitializingTimeout);
  o.strategy = hc.strategy;
  if (hc.recreateOnQuorumStrategyConfig)
    o.recreate_on_quorum_strategy_config = { ...hc.recreateOnQuorumStrategyConfig };
  return o;
}

/** The primary's labels, plus what the model holds that only a label can say in compose v2. */
function primaryLabels(s: ServiceSpec, lc: LaunchConfig): Record<string, string> {
  const labels = { ...lc.labels };
  if (s.secondaryLaunchConfigs.length > 0 && !labels[sidekicksLabel])
    labels[sidekicksLabel] = s.secondaryLaunchConfigs.map((x) => x.name ?? "").join(", ");
  if (s.selectorLink !== undefined) labels["io.rancher.service.selector.link"] = s.selectorLink;
  if (s.selectorContainer !== undefined)
    labels["io.rancher.service.selector.container"] = s.selectorContainer;
  return labels;
}

function rancherService(s: ServiceSpec): Obj {
  const o: Obj = {};
  if (s.scale !== 1) o.scale = s.scale;
  put(o, "retain_ip", s.retainIp);
  if (!s.startOnCreate) o.start_on_create = false;
  if (s.scalePolicy) o.scale_policy = { ...s.scalePolicy };
  if (s.upgradeStrategy) {
    const u = s.upgradeStrategy;
    o.upgrade_strategy = {
      start_first: u.startFirst,
      batch_size: u.batchSize,
      interval_millis: u.intervalMillis,
    };
  }
  if (s.metadata) o.metadata = s.metadata;
  if (s.lbConfig) o.lb_config = lbConfigToCompose(s.lbConfig);
  put(o, "external_ips", s.externalIpAddresses);
  put(o, "hostname", s.hostname);
  put(o, "description", s.description);
  if (s.launchConfig?.healthCheck) o.health_check = healthCheck(s.launchConfig.healthCheck);
  return o;
}

/** Doubles every "$" in values so interpolation on the way back in yields the text unchanged. */
function escapeDollars(v: unknown): unknown {
  if (typeof v === "string") return v.replaceAll("$", "$$$$");
  if (Array.isArray(v)) return v.map(escapeDollars);
  if (v === null || typeof v !== "object") return v;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, escapeDollars(x)]));
}

const yamlOptions = { lineWidth: 0, version: "1.1" as const };

/**
 * The stack's top-level volumes, plus those its launch configs carry templates of (a stack stored
 * before it kept its volumes still exports the driver and options its containers use).
 */
function topVolumes(spec: StackSpec): StackSpec["volumes"] {
  const out = { ...spec.volumes };
  for (const s of spec.services)
    for (const lc of [s.launchConfig, ...s.secondaryLaunchConfigs])
      for (const [name, t] of Object.entries(lc?.volumeTemplates ?? {}))
        if (!Object.hasOwn(out, name)) out[name] = { ...t, external: false };
  return out;
}

/** See index.ts. */
export function exportStackImpl(spec: StackSpec): { dockerCompose: string; rancherCompose: string } {
  const services: Obj = {};
  const rancher: Obj = {};
  for (const s of spec.services) {
    const lc = s.launchConfig;
    if (lc) {
      const o = composeService(lc, primaryLabels(s, lc));
      put(o, "links", s.links.map(linkText));
      put(o, "external_links", s.externalLinks.map(linkText));
      put(o, "depends_on", s.dependsOn);
      // Without the Rancher label, `deploy.mode` is how compose says global (v3, and any compose spec file).
      if (s.global && lc.labels["io.rancher.scheduler.global"] !== "true") o.deploy = { mode: "global" };
      services[s.name] = o;
      for (const side of s.secondaryLaunchConfigs)
        services[side.name ?? ""] = composeService(side, side.labels);
    }
    const r = rancherService(s);
    if (Object.keys(r).length > 0) rancher[s.name] = r;
    for (const side of s.secondaryLaunchConfigs)
      if (side.healthCheck) rancher[side.name ?? ""] = { health_check: healthCheck(side.healthCheck) };
  }
  const docker: Obj = { version: "2", services };
  const volumes = topVolumes(spec);
  if (Object.keys(volumes).length > 0) {
    docker.volumes = Object.fromEntries(
      Object.entries(volumes).map(([name, v]) => {
        const o: Obj = {};
        if (v.driver !== "local") o.driver = v.driver;
        put(o, "driver_opts", v.driverOpts);
        put(o, "external", v.external);
        put(o, "per_container", v.perContainer);
        return [name, Object.keys(o).length > 0 ? o : null];
      }),
    );
  }
  return {
    dockerCompose: stringify(escapeDollars(docker), yamlOptions),
    rancherCompose: stringify(escapeDollars({ version: "2", services: rancher }), yamlOptions),
  };
}
