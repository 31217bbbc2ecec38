import { gunzipSync } from "node:zlib";

/** What a datasource's user-data turned out to be. */
export type UserData =
  | { kind: "cloud-config"; text: string }
  | { kind: "script"; text: string }
  | { kind: "unknown"; text: string };

/** Decodes user-data: gunzips it if gzip-compressed, then tells `#cloud-config` from a `#!` script. */
export function decodeUserData(raw: Uint8Array): UserData {
  const bytes = raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw;
  const text = Buffer.from(bytes).toString("utf8");
  if (text.startsWith("#cloud-config")) return { kind: "cloud-config", text };
  if (text.startsWith("#!")) return { kind: "script", text };
  return { kind: "unknown", text };
}
