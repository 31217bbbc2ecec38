// Azure. User-data comes two ways: CustomData (base64) in ovf-env.xml on the provisioning media
// Azure attaches as a DVD (LinuxProvisioningConfigurationSet, beside the host name and SSH keys),
// and the newer user data from the Instance Metadata Service (`compute/userData`, base64, asked with
// `Metadata: true`). Both are read: CustomData wins when both are set; the hostname comes from the
// media first, the keys from both; the addresses IMDS reports are shown, not applied (Azure's DHCP
// hands them out).
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { readLabel } from "../system/block-devices.ts";
import type { Host } from "../system/host.ts";
import { type Found, getJson, getText, type HttpContext, keyLines, Unavailable } from "./metadata.ts";
import { decodeUserData, type UserData } from "./user-data.ts";
import { findAll, parseXml, XmlError } from "./xml.ts";

/** What ovf-env.xml says. */
export interface OvfEnv {
  /** Where it was read (a device or a folder), for the datasource's name. */
  where: string;
  data?: UserData;
  hostname?: string;
  sshKeys: string[];
}

/**
 * Strict base64 (Azure sends standard, padded base64; line breaks allowed): garbage is an error
 * naming `what` and the first bad character, never silently dropped bytes as Buffer.from would.
 */
export function decodeBase64(text: string, what: string): Uint8Array {
  const b64 = text.replace(/\s+/g, "");
  const bad = /[^A-Za-z0-9+/=]/.exec(b64);
  if (bad) throw new Error(`${what} is not base64: '${bad[0]}' at character ${bad.index + 1}`);
  if (b64.length % 4 !== 0 || /=[^=]|={3,}/.test(b64))
    throw new Error(`${what} is not base64: ${b64.length} characters with padding misplaced or missing`);
  return new Uint8Array(Buffer.from(b64, "base64"));
}

/** Parses ovf-env.xml's text; throws saying what is wrong with it. */
export function parseOvfEnv(text: string, where: string): OvfEnv {
  let root: ReturnType<typeof parseXml>;
  try {
    root = parseXml(text);
  } catch (e) {
    if (e instanceof XmlError)
      throw new Error(`azure: ovf-env.xml on ${where} is not well-formed XML: ${e.message}`);
    throw e;
  }
  if (root.name !== "Environment")
    throw new Error(`azure: ovf-env.xml on ${where} is not an OVF environment (root <${root.name}>)`);
  const set = findAll(root, "LinuxProvisioningConfigurationSet")[0];
  if (!set) throw new Error(`azure: ovf-env.xml on ${where} has no LinuxProvisioningConfigurationSet`);
  const value = (name: string) => findAll(set, name)[0]?.text.trim() || undefined;
  const custom = value("CustomData");
  const bytes = custom ? decodeBase64(custom, `azure: CustomData in ovf-env.xml on ${where}`) : undefined;
  const hostname = value("HostName");
  return {
    where,
    ...(bytes?.length ? { data: decodeUserData(bytes) } : {}),
    ...(hostname ? { hostname } : {}),
    // A key may be given only by fingerprint (a certificate Azure's agent fetches): IMDS has those.
    sshKeys: findAll(set, "PublicKey").flatMap((k) => keyLines(findAll(k, "Value")[0]?.text)),
  };
}

/** ovf-env.xml in a folder (the media mounted, or `azure:/path`); undefined when there is none. */
export function readOvfDir(dir: string, where: string): OvfEnv | undefined {
  const file = join(dir, "ovf-env.xml");
  if (!existsSync(file)) return undefined;
  return parseOvfEnv(readFileSync(file, "utf8"), where);
}

/**
 * The provisioning media among `devices`: CD/DVD drives (sr*) and volumes labelled rd_rdfe_* (the
 * label Azure gives it), each mounted read-only until one holds ovf-env.xml.
 */
export async function findOvfMedia(host: Host, devices: readonly string[]): Promise<OvfEnv | undefined> {
  const candidates = devices.filter(
    (d) => /^sr\d+$/.test(basename(d)) || /^rd_rdfe_/i.test(readLabel(d) ?? ""),
  );
  const target = "/run/corral/datasource-azure";
  for (const device of candidates) {
    mkdirSync(join(host.root, target), { recursive: true });
    try {
      await host.run("mount", ["-o", "ro", device, target]);
    } catch {
      continue; // an empty drive, or media with no file system this kernel reads
    }
    try {
      const ovf = readOvfDir(join(host.root, target), device);
      if (ovf) return ovf;
    } finally {
      await host.run("umount", [target]).catch(() => "");
    }
  }
  return undefined;
}

interface AzureInstance {
  compute?: {
    name?: string;
    osProfile?: { computerName?: string };
    publicKeys?: { keyData?: string }[];
  };
  network?: {
    interface?: {
      macAddress?: string;
      ipv4?: { ipAddress?: { privateIpAddress?: string; publicIpAddress?: string }[] };
    }[];
  };
}

/** The Instance Metadata Service: `/metadata/instance` and `compute/userData`, with `Metadata: true`. */
export async function readAzureImds(base: string, ctx: HttpContext): Promise<Found> {
  const h = { Metadata: "true" };
  const m = await getJson<AzureInstance>(ctx, `${base}/metadata/instance?api-version=2021-02-01`, h);
  if (!m?.compute) throw new Unavailable(`azure: ${base}/metadata/instance has no compute section`);
  const url = `${base}/metadata/instance/compute/userData?api-version=2021-01-01&format=text`;
  const b64 = (await getText(ctx, url, h))?.trim();
  const bytes = b64 ? decodeBase64(b64, `azure: ${url}`) : undefined;
  const info: Record<string, string> = {};
  (m.network?.interface ?? []).forEach((n, i) => {
    if (n.macAddress) info[`nic${i}.mac`] = n.macAddress;
    const a = n.ipv4?.ipAddress?.[0];
    if (a?.privateIpAddress) info[`nic${i}.private-ipv4`] = a.privateIpAddress;
    if (a?.publicIpAddress) info[`nic${i}.public-ipv4`] = a.publicIpAddress;
  });
  const hostname = m.compute.osProfile?.computerName || m.compute.name;
  return {
    source: `azure (${base})`,
    ...(bytes?.length ? { data: decodeUserData(bytes) } : {}),
    sshKeys: (m.compute.publicKeys ?? []).flatMap((k) => keyLines(k.keyData)),
    ...(hostname ? { hostname } : {}),
    network: { interfaces: [], info },
  };
}

/**
 * Azure: the media's ovf-env.xml when there is one, merged with IMDS. With the media, an IMDS that
 * does not answer is noted and the media's data used alone (the media is Azure's own first word);
 * without it, IMDS is the datasource and its absence is Unavailable (retried).
 */
export async function readAzure(base: string, ctx: HttpContext, ovf?: OvfEnv): Promise<Found> {
  let imds: Found | undefined;
  let missing = "";
  try {
    imds = await readAzureImds(base, ctx);
  } catch (e) {
    if (!ovf || !(e instanceof Unavailable)) throw e;
    missing = e.message;
  }
  if (!ovf) return imds as Found;
  const data = ovf.data ?? imds?.data;
  const hostname = ovf.hostname ?? imds?.hostname;
  return {
    source: `azure (ovf-env.xml on ${ovf.where}${imds ? `, ${base}` : `; IMDS not reached: ${missing}`})`,
    ...(data ? { data } : {}),
    sshKeys: [...new Set([...ovf.sshKeys, ...(imds?.sshKeys ?? [])])],
    ...(hostname ? { hostname } : {}),
    ...(imds?.network ? { network: imds.network } : {}),
  };
}
