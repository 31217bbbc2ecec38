import { z } from "zod";
import type { CorralConfig } from "../config/config-schema.ts";

/**
 * One `corral.network.wifi_networks.<name>` entry (RancherOS's keys, which are wpa_supplicant's
 * network block fields): `ssid` and `psk` for WPA-PSK, `key_mgmt`, `scan_ssid`, `priority`, and
 * the 802.1X ones (`eap`, `identity`, `password`, `phase2`, `ca_cert`). Unknown keys are refused.
 */
export const wifiNetworkSchema = z
  .object({
    ssid: z.string().min(1).max(32),
    psk: z.string().optional(),
    key_mgmt: z.enum(["WPA-PSK", "WPA-EAP", "NONE", "SAE", "WPA-PSK-SHA256", "IEEE8021X"]).optional(),
    scan_ssid: z.union([z.literal(0), z.literal(1), z.boolean()]).optional(),
    priority: z.number().int().min(0).optional(),
    eap: z.enum(["PEAP", "TTLS", "TLS", "PWD"]).optional(),
    identity: z.string().optional(),
    password: z.string().optional(),
    phase2: z.string().optional(),
    ca_cert: z.string().optional(),
  })
  .strict()
  .refine(
    (n) => n.psk === undefined || /^[0-9a-fA-F]{64}$/.test(n.psk) || /^[\x20-\x7e]{8,63}$/.test(n.psk),
    {
      message: "psk is a passphrase of 8 to 63 printable ASCII characters, or 64 hex digits",
      path: ["psk"],
    },
  );

/** A wpa_supplicant string: quoted when it can be, hex (unquoted) otherwise (quotes, non-ASCII). */
function wpaString(value: string): string {
  return /^[\x20-\x7e]*$/.test(value) && !value.includes('"')
    ? `"${value}"`
    : Buffer.from(value, "utf8").toString("hex");
}

/** A quoted-only field (identity, password, paths): a quote or newline in it cannot be written. */
function quotedOnly(field: string, value: string): string {
  if (/["\n\r]/.test(value))
    throw new Error(`wifi ${field}: quotes and newlines cannot be written to wpa_supplicant.conf`);
  return `"${value}"`;
}

/**
 * The wpa_supplicant.conf of one wireless interface joining the named `wifi_networks` entry.
 * Throws with the entry's name when it is missing or invalid.
 */
export function wpaSupplicantConf(config: CorralConfig, networkName: string): string {
  const raw = config.corral?.network?.wifi_networks?.[networkName];
  if (raw === undefined)
    throw new Error(`wifi_network '${networkName}' is not in corral.network.wifi_networks`);
  const parsed = wifiNetworkSchema.safeParse(raw);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw new Error(`wifi_networks.${networkName}.${i?.path.join(".") ?? ""}: ${i?.message ?? "invalid"}`);
  }
  const n = parsed.data;
  const lines = [`ssid=${wpaString(n.ssid)}`];
  if (n.scan_ssid !== undefined) lines.push(`scan_ssid=${Number(n.scan_ssid)}`);
  const keyMgmt = n.key_mgmt ?? (n.eap ? "WPA-EAP" : n.psk ? "WPA-PSK" : "NONE");
  lines.push(`key_mgmt=${keyMgmt}`);
  // A 64-hex psk is the key itself and is written unquoted; a passphrase is quoted.
  if (n.psk) lines.push(`psk=${/^[0-9a-fA-F]{64}$/.test(n.psk) ? n.psk : `"${n.psk}"`}`);
  if (n.eap) lines.push(`eap=${n.eap}`);
  if (n.identity !== undefined) lines.push(`identity=${quotedOnly("identity", n.identity)}`);
  if (n.password !== undefined) lines.push(`password=${quotedOnly("password", n.password)}`);
  if (n.phase2 !== undefined) lines.push(`phase2=${quotedOnly("phase2", n.phase2)}`);
  if (n.ca_cert !== undefined) lines.push(`ca_cert=${quotedOnly("ca_cert", n.ca_cert)}`);
  if (n.priority !== undefined) lines.push(`priority=${n.priority}`);
  return `ctrl_interface=/var/run/wpa_supplicant\nupdate_config=0\n\nnetwork={\n${lines.map((l) => `\t${l}`).join("\n")}\n}\n`;
}
