import type { CorralConfig } from "../config/config-schema.ts";
import { getPath } from "../config/merge.ts";
import type { ServiceSpec } from "./service-schema.ts";

/** Truthiness of a config value as an enable switch: absent, false, "", 0, "false", "no" are off. */
function truthy(v: unknown): boolean {
  if (typeof v === "string") return v !== "" && !/^(false|no|off|0)$/i.test(v);
  return Boolean(v);
}

/** The console `config` chooses (`corral.console`, alias `rancher.console`): `default` when unset. */
export function chosenConsole(config: CorralConfig): string {
  return config.corral?.console || "default";
}

/**
 * Whether a service runs under `config`. A console runs when it is the chosen one. Otherwise
 * RancherOS rules first: `corral.services_include.<name>` (what `corral service enable|disable`
 * writes) wins, then `corral.disable`, then the service's own `enabled` (a boolean or a config path).
 */
export function isEnabled(spec: ServiceSpec, config: CorralConfig): boolean {
  if (spec.console !== undefined) return spec.console === chosenConsole(config);
  const include = config.corral?.services_include?.[spec.name];
  if (include !== undefined) return include;
  if (config.corral?.disable?.includes(spec.name)) return false;
  return typeof spec.enabled === "boolean" ? spec.enabled : truthy(getPath(config, spec.enabled));
}

/** Renders a config value for an environment string: lists comma-joined, maps as JSON. */
function render(v: unknown): string {
  if (v === undefined || v === null) return "";
  if (Array.isArray(v)) return v.map(render).join(",");
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}

/** Replaces `${corral.x.y}` (or `${rancher.x.y}`) with config values; `$${` is a literal `${`. */
export function substitute(text: string, config: CorralConfig): string {
  return text.replace(
    /\$(\$?)\{((?:corral|rancher)(?:\.[A-Za-z0-9_-]+)+)\}/g,
    (whole, escaped: string, path: string) => (escaped ? whole.slice(1) : render(getPath(config, path))),
  );
}

/** The environment of a service as `KEY=value` lines, config values substituted. */
export function serviceEnvironment(spec: ServiceSpec, config: CorralConfig): string[] {
  const env = spec.environment;
  if (!env) return [];
  const pairs = Array.isArray(env)
    ? env.map((line) => line)
    : Object.entries(env).map(([k, v]) => (v === null ? k : `${k}=${String(v)}`));
  return pairs.map((line) => substitute(line, config));
}
