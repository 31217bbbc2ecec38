import { gunzipSync } from "node:zlib";
import { parse as parseYaml, stringify } from "yaml";

/** What a datasource's user-data turned out to be. */
export type UserData =
  | { kind: "cloud-config"; text: string }
  | { kind: "script"; text: string }
  | { kind: "compose"; text: string }
  | { kind: "unknown"; text: string };

/**
 * Decodes user-data: gunzips it if gzip-compressed, then tells `#cloud-config` from a `#!` script
 * and a `#compose` file (RancherOS: a compose file of system services).
 */
export function decodeUserData(raw: Uint8Array): UserData {
  const bytes = raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw;
  const text = Buffer.from(bytes).toString("utf8");
  if (text.startsWith("#cloud-config")) return { kind: "cloud-config", text };
  if (text.startsWith("#compose")) return { kind: "compose", text };
  if (text.startsWith("#!")) return { kind: "script", text };
  return { kind: "unknown", text };
}

/**
 * A `#compose` user-data file as the cloud-config RancherOS made of it: its services under
 * `corral.services`. Both forms are read: a compose v2/v3 file (`services:` key) and the bare
 * service map RancherOS's own examples used. Throws on YAML that is not a map of services.
 */
export function composeToCloudConfig(text: string): string {
  let doc: unknown;
  try {
    doc = parseYaml(text.replace(/^#compose[^\n]*\n?/, ""));
  } catch (e) {
    throw new Error(`#compose user-data is not YAML: ${e instanceof Error ? e.message : String(e)}`);
  }
  const isMap = (v: unknown): v is Record<string, unknown> =>
    typeof v === "object" && v !== null && !Array.isArray(v);
  if (!isMap(doc)) throw new Error("#compose user-data must be a map of services");
  const services = isMap(doc.services) ? doc.services : doc;
  for (const [name, s] of Object.entries(services)) {
    if (!isMap(s)) throw new Error(`#compose user-data: service '${name}' is not a map`);
  }
  return `#cloud-config\n${stringify({ corral: { services } })}`;
}
