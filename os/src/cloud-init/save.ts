import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { configPaths } from "../config/defaults.ts";
import { parseConfigText } from "../config/load-config.ts";
import { type Found, metadataLayer } from "./metadata.ts";
import { composeToCloudConfig, type UserData } from "./user-data.ts";

/** Where a datasource's metadata is kept (RancherOS: /var/lib/rancher/conf/metadata). */
export const metadataPath = `${configPaths.confDir}/metadata.json`;
/** The lowest drop-in: the cloud's hostname and network, below everything the user wrote. */
export const metadataLayerPath = `${configPaths.dropInDir}/00-metadata.yml`;

/**
 * The cloud-config text user-data stands for: itself, or a `#compose` file wrapped as
 * `corral.services`; undefined for scripts and unknown data. Validated here so a bad datasource
 * is reported with its own name (file:line:column), not as boot.yml.
 */
export function userDataConfig(data: UserData, source: string): string | undefined {
  const text =
    data.kind === "cloud-config"
      ? data.text
      : data.kind === "compose"
        ? composeToCloudConfig(data.text)
        : undefined;
  if (text !== undefined) parseConfigText(text, source);
  return text;
}

/**
 * Saves what a datasource found: user-data as `cloud-config.d/boot.yml`, metadata as
 * `metadata.json` and its config layer `00-metadata.yml`. Returns warnings (a cloud hostname the
 * schema refuses is dropped, never a failed boot).
 */
export function saveFound(root: string, found: Found): string[] {
  const warnings: string[] = [];
  const text = found.data ? userDataConfig(found.data, found.source) : undefined;
  if (text !== undefined) writeFileSync(join(root, configPaths.dropInDir, "boot.yml"), text, { mode: 0o600 });
  const { data: _data, ...meta } = found;
  writeFileSync(join(root, metadataPath), `${JSON.stringify(meta, null, 2)}\n`, { mode: 0o600 });
  const layerFile = join(root, metadataLayerPath);
  const layer = metadataLayer(found);
  if (Object.keys(layer).length === 0) {
    rmSync(layerFile, { force: true });
    return warnings;
  }
  const yaml = `#cloud-config\n${stringify(layer)}`;
  try {
    parseConfigText(yaml, `metadata of ${found.source}`);
    writeFileSync(layerFile, yaml, { mode: 0o600 });
  } catch (e) {
    warnings.push(`metadata of ${found.source} not applied: ${e instanceof Error ? e.message : String(e)}`);
  }
  return warnings;
}

/** SSH keys the last datasource gave (appended to the config's own, RancherOS semantics). */
export function metadataKeys(root: string): string[] {
  try {
    const m = JSON.parse(readFileSync(join(root, metadataPath), "utf8")) as { sshKeys?: unknown };
    return Array.isArray(m.sshKeys) ? m.sshKeys.filter((k): k is string => typeof k === "string") : [];
  } catch {
    return [];
  }
}
