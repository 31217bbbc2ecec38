import { cattleNameRe } from "@corral/api";
import type { Draft } from "./draft.ts";
import type { FileReporter } from "./issues.ts";
import { parseTopSecrets, resolveSecretNames } from "./secrets.ts";
import { convertService } from "./service.ts";
import { asMap, typeName } from "./values.ts";
import { parseTopVolumes, type StackVolume } from "./volumes.ts";
import { entry, type YMap, type YNode } from "./yaml-tree.ts";

/** Most services a stack may hold (the model's bound). */
export const maxServices = 500;

/** Service names as Cattle accepted them: the API's own rule (cattleNameRe), one for both paths. */
export const serviceNameRe = cattleNameRe;

/** What docker-compose.yml contributed. */
export interface DockerComposeResult {
  drafts: Draft[];
  /** Every service key of the file, valid or not (so rancher-compose does not report them missing). */
  declared: Set<string>;
  volumes: Record<string, StackVolume>;
  format: "v1" | "v2" | "v3" | "spec";
}

/** Splits the top level by format: v1 has services at the top, later formats under `services:`. */
export function detectFormat(
  r: FileReporter,
  root: YMap,
): { format: DockerComposeResult["format"]; services?: YNode } {
  const version = entry(root, "version");
  const services = entry(root, "services");
  if (!version) return services ? { format: "spec", services: services.value } : { format: "v1" };
  const v = version.value.kind === "scalar" ? String(version.value.value) : "";
  const major = /^(\d+)(\.\d+)?$/.exec(v)?.[1];
  if (major !== "2" && major !== "3") {
    r.error(version.value, `unsupported compose version "${v}" (supported: 2, 2.x, 3, 3.x, or none)`);
    return { format: "spec" };
  }
  return { format: major === "2" ? "v2" : "v3", services: services?.value };
}

const topKeys = new Set([
  "version",
  "services",
  "volumes",
  "networks",
  "secrets",
  "configs",
  "name",
  "include",
]);

/** Converts docker-compose.yml's top level and every service in it. */
export function parseDockerCompose(
  r: FileReporter,
  root: YNode,
  lookup: (name: string) => string | undefined,
): DockerComposeResult {
  const out: DockerComposeResult = { drafts: [], declared: new Set(), volumes: {}, format: "v1" };
  if (root.kind === "scalar" && root.value === null) return out;
  const top = asMap(r, root, "a mapping of services");
  if (!top) return out;
  const { format, services } = detectFormat(r, top);
  out.format = format;
  let serviceMap: YMap | undefined;
  let secrets: Record<string, string> = {};
  if (format === "v1") {
    serviceMap = { ...top, entries: top.entries.filter((e) => !e.key.startsWith("x-")) };
  } else {
    for (const e of top.entries) {
      const at = { pos: e.keyPos, path: e.value.path };
      if (e.key === "volumes") out.volumes = parseTopVolumes(r, e.value);
      else if (e.key === "secrets") secrets = parseTopSecrets(r, e.value);
      else if (e.key === "networks" || e.key === "configs")
        r.warn(at, `top-level ${e.key} are not supported by Corral; ignored`);
      else if (e.key === "include") r.error(at, "include is not supported: files are not available");
      else if (e.key === "name") r.warn(at, "name is ignored: the stack is named when it is created");
      else if (!topKeys.has(e.key) && !e.key.startsWith("x-"))
        r.error(at, `unknown top-level key "${e.key}"`);
    }
    if (services && !(services.kind === "scalar" && services.value === null))
      serviceMap = asMap(r, services, "a mapping of services");
  }
  if (!serviceMap) return out;
  if (serviceMap.entries.length > maxServices) {
    r.error(serviceMap, `too many services: ${serviceMap.entries.length} (at most ${maxServices})`);
    return out;
  }
  const folded = new Map<string, string>();
  for (const e of serviceMap.entries) {
    const at = { pos: e.keyPos, path: e.value.path };
    out.declared.add(e.key);
    if (!serviceNameRe.test(e.key) || e.key.length > 63) {
      r.error(
        at,
        `invalid service name "${e.key}": use letters, digits and single '-' (a DNS label, at most 63)`,
      );
      continue;
    }
    const clash = folded.get(e.key.toLowerCase());
    if (clash !== undefined) {
      r.error(at, `service names "${clash}" and "${e.key}" differ only in case: DNS names would collide`);
      continue;
    }
    folded.set(e.key.toLowerCase(), e.key);
    if (format === "v1" && e.value.kind !== "map" && !(e.value.kind === "scalar" && e.value.value === null)) {
      r.error(
        e.value,
        `service ${e.key} must be a mapping, not ${typeName(e.value)} (v1 files have services at the top level)`,
      );
      continue;
    }
    const d = convertService(r, e.key, e.keyPos, e.value, lookup);
    if (d) out.drafts.push(d);
  }
  resolveSecretNames(out.drafts, secrets);
  return out;
}
