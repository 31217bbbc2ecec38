import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createLogger, sleep } from "@corral/lib";
import { listBlockDevices } from "../system/block-devices.ts";
import type { Host } from "../system/host.ts";
import { fileGuestInfo, type GuestInfo, readVmware, rpcGuestInfo } from "./cloud-vmware.ts";
import { findOvfMedia, type OvfEnv, readAzure, readOvfDir } from "./clouds-azure.ts";
import { ec2StyleDefaults, readEc2Style } from "./clouds-ec2.ts";
import { jsonCloudDefaults, readDigitalOcean, readGce, readPacket } from "./clouds-json.ts";
import { openstackDefault, readOpenstack } from "./clouds-openstack.ts";
import { fromDrive, readDrive } from "./drives.ts";
import { type Found, type HttpContext, Unavailable } from "./metadata.ts";
import { decodeUserData } from "./user-data.ts";

export { readDriveDir } from "./drives.ts";
export type { Found } from "./metadata.ts";

/** Datasources that ask a metadata server over HTTP; `name:<base url>` overrides the server. */
const httpClouds: Record<string, (base: string, ctx: HttpContext) => Promise<Found>> = {
  ec2: (b, c) => readEc2Style("ec2", b, c),
  aliyun: (b, c) => readEc2Style("aliyun", b, c),
  cloudstack: (b, c) => readEc2Style("cloudstack", b, c),
  exoscale: (b, c) => readEc2Style("exoscale", b, c),
  gce: readGce,
  digitalocean: readDigitalOcean,
  // (its probe also reads the provisioning media: azureProbe)
  azure: (b, c) => readAzure(b, c),
  packet: readPacket,
  equinix: readPacket,
  openstack: readOpenstack,
};

const defaults: Record<string, string> = {
  ...ec2StyleDefaults,
  ...jsonCloudDefaults,
  equinix: jsonCloudDefaults.packet ?? "",
  openstack: openstackDefault,
};

/** What `*` probes (RancherOS: every datasource): drives, VMware's guestinfo, then every cloud. */
export const allDatasources = [
  "configdrive",
  "proxmox",
  "vmware",
  ...Object.keys(httpClouds).filter((n) => n !== "equinix"),
];

/** Names CorralOS knows, for `corral config validate` and errors. */
export const datasourceNames = [
  "configdrive",
  "nocloud",
  "cidata",
  "proxmox",
  "url",
  "file",
  "vmware",
  "*",
  ...Object.keys(httpClouds),
];

/** Options of {@link probeDatasources}; everything a test injects. */
export interface ProbeOptions {
  devices?: string[];
  fetcher?: typeof fetch;
  /** Metadata servers by datasource name (tests: a stand-in on a loopback port). */
  baseUrls?: Record<string, string>;
  /** guestinfo reader for `vmware` (default: VMware Tools' RPC through the host). */
  guestInfo?: GuestInfo;
  /** How long network datasources are retried (RancherOS: 5 minutes). */
  capMs?: number;
  /** Per-request timeout of metadata HTTP. */
  httpTimeoutMs?: number;
  signal?: AbortSignal;
}

const log = createLogger("cloud-init");

/** The IPv4 default gateway from /proc/net/route (little-endian hex), if there is one. */
export function defaultGateway(root: string): string | undefined {
  try {
    for (const line of readFileSync(join(root, "proc/net/route"), "utf8").split("\n").slice(1)) {
      const [, dest, gw] = line.trim().split(/\s+/);
      if (dest === "00000000" && gw && gw !== "00000000")
        return [6, 4, 2, 0].map((i) => Number.parseInt(gw.slice(i, i + 2), 16)).join(".");
    }
  } catch {}
  return undefined;
}

/** One datasource as a probe: resolves with what it found, throws Unavailable while it is not there. */
interface Probe {
  name: string;
  /** Network datasources are retried with backoff (the link may still be coming up). */
  retry: boolean;
  run(): Promise<Found>;
}

function makeProbe(host: Host, spec: string, o: ProbeOptions, devices: () => string[]): Probe | undefined {
  const colon = spec.indexOf(":");
  const name = colon < 0 ? spec : spec.slice(0, colon);
  const arg = colon < 0 ? undefined : spec.slice(colon + 1);
  const http: HttpContext = { fetcher: o.fetcher ?? fetch, timeoutMs: o.httpTimeoutMs ?? 5000 };
  if (name === "azure") return azureProbe(host, spec, arg, o, http, devices);
  const cloud = httpClouds[name];
  if (cloud) {
    const given = arg || o.baseUrls?.[name];
    const base = (given || defaults[name] || "").replace(/\/+$/, "");
    if (name === "cloudstack" && !given) {
      // CloudStack's metadata server is its virtual router: `data-server.` where its DNS answers,
      // else the default gateway (the router hands out the leases and routes).
      return {
        name: spec,
        retry: true,
        run: () =>
          cloud(base, http).catch((e: unknown) => {
            const gw = defaultGateway(host.root);
            if (!(e instanceof Unavailable) || !gw) throw e;
            return cloud(`http://${gw}`, http);
          }),
      };
    }
    return { name: spec, retry: true, run: () => cloud(base, http) };
  }
  switch (name) {
    case "configdrive":
      return {
        name: spec,
        retry: false,
        run: async () => {
          if (!arg) return fromDrive(host, ["config-2"], devices(), "configdrive");
          const found = readDrive(join(host.root, arg), spec);
          if (!found) throw new Unavailable(`${spec}: nothing there`);
          return found;
        },
      };
    case "nocloud":
    case "cidata":
      return { name: spec, retry: false, run: () => fromDrive(host, ["cidata"], devices(), "nocloud") };
    case "proxmox":
      // Proxmox VE attaches a NoCloud (cidata) or config-2 drive with generic cloud-init user-data.
      return {
        name: spec,
        retry: false,
        run: () => fromDrive(host, ["cidata", "config-2"], devices(), "proxmox", true),
      };
    case "vmware": {
      const read = arg ? fileGuestInfo(join(host.root, arg)) : (o.guestInfo ?? rpcGuestInfo(host));
      return {
        name: spec,
        retry: false,
        run: () => readVmware(read, arg ? `vmware (${arg})` : "vmware (guestinfo)"),
      };
    }
    case "url":
      return {
        name: spec,
        retry: true,
        run: async () => {
          const url = arg ?? "";
          let res: Response;
          try {
            res = await (o.fetcher ?? fetch)(url, { signal: AbortSignal.timeout(10_000) });
          } catch (e) {
            throw new Unavailable(`${url}: ${e instanceof Error ? e.message : String(e)}`);
          }
          if (res.status >= 500) throw new Unavailable(`${url}: HTTP ${res.status}`);
          if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
          return { source: url, data: decodeUserData(new Uint8Array(await res.arrayBuffer())) };
        },
      };
    case "file":
      return {
        name: spec,
        retry: false,
        run: async () => {
          const p = join(host.root, arg ?? "");
          if (!existsSync(p)) throw new Unavailable(`${spec}: no such file`);
          return { source: spec, data: decodeUserData(readFileSync(p)) };
        },
      };
    default:
      log.warn("unknown datasource ignored", { datasource: spec });
      return undefined;
  }
}

/**
 * `azure`, `azure:<IMDS base url>` or `azure:/folder` (the provisioning media already mounted, or
 * its files copied there). The media is looked for once (it is attached before the machine starts);
 * IMDS is asked at each try.
 */
function azureProbe(
  host: Host,
  spec: string,
  arg: string | undefined,
  o: ProbeOptions,
  http: HttpContext,
  devices: () => string[],
): Probe {
  const dir = arg?.startsWith("/") ? arg : undefined;
  const given = (dir ? undefined : arg) || o.baseUrls?.azure;
  const base = (given || defaults.azure || "").replace(/\/+$/, "");
  let media: Promise<OvfEnv | undefined> | undefined;
  return {
    name: spec,
    retry: true,
    run: async () => {
      if (dir) {
        const ovf = readOvfDir(join(host.root, dir), dir);
        if (!ovf) throw new Unavailable(`${spec}: no ovf-env.xml in ${dir}`);
        return readAzure(base, http, ovf);
      }
      media ??= findOvfMedia(host, devices());
      return readAzure(base, http, await media);
    },
  };
}

/**
 * Runs one probe until it answers: once for local sources, with backoff (100 ms doubling to 30 s)
 * until `deadline` for network ones. Errors other than Unavailable (a 403, bad JSON) end it.
 */
async function runProbe(p: Probe, deadline: number, signal: AbortSignal): Promise<Found> {
  let wait = 100;
  for (;;) {
    try {
      return await p.run();
    } catch (e) {
      if (!(e instanceof Unavailable) || !p.retry || signal.aborted || Date.now() + wait > deadline) throw e;
      log.debug("datasource not available yet", { datasource: p.name, reason: e.message, retryMs: wait });
      await sleep(wait, signal);
      if (signal.aborted) throw e;
      wait = Math.min(wait * 2, 30_000);
    }
  }
}

/**
 * Finds user-data and metadata. `cloud-config-url=` on the kernel command line comes first (the
 * RancherOS advice, since the disk config is not read yet); then every datasource of
 * `corral.cloud_init.datasources` is probed in parallel (`*` means all of them) and the first that
 * answers wins, as RancherOS did: local ones once, network ones with backoff for up to 5 minutes.
 * Undefined when none answers.
 */
export async function probeDatasources(
  host: Host,
  datasources: readonly string[],
  cmdlineUrl: string | undefined,
  options: ProbeOptions = {},
): Promise<Found | undefined> {
  let devices: string[] | undefined = options.devices;
  const listDevices = () => {
    devices ??= listBlockDevices(host.root);
    return devices;
  };
  if (cmdlineUrl) return makeProbe(host, `url:${cmdlineUrl}`, options, listDevices)?.run();
  const specs = [...new Set(datasources.flatMap((d) => (d === "*" ? allDatasources : [d])))];
  const probes = specs.map((s) => makeProbe(host, s, options, listDevices)).filter((p): p is Probe => !!p);
  if (probes.length === 0) return undefined;
  const won = new AbortController();
  options.signal?.addEventListener("abort", () => won.abort());
  const deadline = Date.now() + (options.capMs ?? 300_000);
  const failures: string[] = [];
  try {
    return await Promise.any(
      probes.map((p) =>
        runProbe(p, deadline, won.signal).catch((e: unknown) => {
          failures.push(`${p.name}: ${e instanceof Error ? e.message : String(e)}`);
          throw e;
        }),
      ),
    );
  } catch {
    log.info("no datasource answered", { tried: failures.join("; ") });
    // A real error (not mere absence) is worth the boot's attention only when nothing answered.
    return undefined;
  } finally {
    won.abort();
  }
}
