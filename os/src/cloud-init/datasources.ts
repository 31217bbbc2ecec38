import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { findByLabel, listBlockDevices } from "../system/block-devices.ts";
import type { Host } from "../system/host.ts";
import { decodeUserData, type UserData } from "./user-data.ts";

/** Where user-data came from, for the log. */
export interface Found {
  source: string;
  data: UserData;
}

/** Reads user-data from a mounted config drive (`openstack/latest/user_data`) or NoCloud (`user-data`) dir. */
export function readDriveDir(dir: string): UserData | undefined {
  for (const rel of ["openstack/latest/user_data", "user-data", "user_data"]) {
    const p = join(dir, rel);
    if (existsSync(p)) return decodeUserData(readFileSync(p));
  }
  return undefined;
}

/** Mounts a labelled drive read-only, reads its user-data, unmounts it. */
async function fromDrive(host: Host, labels: string[], devices: string[]): Promise<Found | undefined> {
  const device = findByLabel(labels, devices);
  if (!device) return undefined;
  const target = `/run/corral/datasource-${labels[0]}`;
  mkdirSync(join(host.root, target), { recursive: true });
  await host.run("mount", ["-o", "ro", device, target]);
  try {
    const data = readDriveDir(join(host.root, target));
    return data ? { source: `${labels[0]} (${device})`, data } : undefined;
  } finally {
    await host.run("umount", [target]).catch(() => "");
  }
}

async function fromUrl(url: string, fetcher: typeof fetch): Promise<Found | undefined> {
  const res = await fetcher(url, { signal: AbortSignal.timeout(10_000) });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return { source: url, data: decodeUserData(new Uint8Array(await res.arrayBuffer())) };
}

/**
 * Probes datasources in order, first with user-data wins: `cloud-config-url=` on the kernel command
 * line (the RancherOS advice, since the disk config is not read yet), then each of
 * `corral.cloud_init.datasources`: `configdrive` (label config-2), `nocloud` (label cidata),
 * `url:<u>`, `file:<path>`.
 */
export async function probeDatasources(
  host: Host,
  datasources: readonly string[],
  cmdlineUrl: string | undefined,
  options: { devices?: string[]; fetcher?: typeof fetch } = {},
): Promise<Found | undefined> {
  const devices = options.devices ?? listBlockDevices(host.root);
  const fetcher = options.fetcher ?? fetch;
  if (cmdlineUrl) return fromUrl(cmdlineUrl, fetcher);
  for (const ds of datasources) {
    let found: Found | undefined;
    if (ds === "configdrive" || ds.startsWith("configdrive:"))
      found = await fromDrive(host, ["config-2"], devices);
    else if (ds === "nocloud" || ds === "cidata") found = await fromDrive(host, ["cidata"], devices);
    else if (ds.startsWith("url:")) found = await fromUrl(ds.slice(4), fetcher);
    else if (ds.startsWith("file:")) {
      const p = join(host.root, ds.slice(5));
      if (existsSync(p)) found = { source: ds, data: decodeUserData(readFileSync(p)) };
    }
    if (found) return found;
  }
  return undefined;
}
