import { type HostFacts, hostFactsSchema } from "@corral/api";
import si from "systeminformation";
import type { DockerDriver } from "./driver.ts";
import { type OsFactsSource, readCorralOs, readHostOsRelease } from "./os-facts.ts";

/** The parts of the facts that do not change while the agent runs (or change rarely). */
interface StaticFacts {
  hostname: string;
  kernel: string;
  os: string;
  arch: string;
  cpuCount: number;
  cpuModel: string;
  dockerVersion: string;
}

/** Disks and addresses: refreshed now and then, because reading them costs tens of milliseconds. */
interface SlowFacts {
  at: number;
  disks: HostFacts["disks"];
  ipAddresses: string[];
}

const slowRefreshMs = 60_000;
const staticCache = new WeakMap<DockerDriver, Promise<StaticFacts>>();
const slowCache = new WeakMap<DockerDriver, SlowFacts>();

async function readStatic(driver: DockerDriver): Promise<StaticFacts> {
  const [os, cpu, dockerVersion] = await Promise.all([
    si.osInfo(),
    si.cpu(),
    driver.version().catch(() => ""),
  ]);
  // The host's name for itself (PID 1's os-release), not the agent container's.
  const pretty = readHostOsRelease().PRETTY_NAME;
  return {
    hostname: (os.hostname || "unknown").slice(0, 253),
    kernel: os.kernel.slice(0, 256),
    os: (pretty || `${os.distro} ${os.release}`.trim()).slice(0, 256),
    arch: os.arch.slice(0, 64),
    cpuCount: cpu.cores,
    cpuModel: `${cpu.manufacturer} ${cpu.brand}`.trim().slice(0, 256),
    dockerVersion: dockerVersion.slice(0, 128),
  };
}

async function readSlow(): Promise<SlowFacts> {
  const [fs, nets] = await Promise.all([si.fsSize().catch(() => []), si.networkInterfaces().catch(() => [])]);
  // A running container's root filesystem (overlay2's merged folder) and its /dev/shm are mounted
  // under Docker's own folders: they are the containers', not the host's disks.
  const disks = fs
    .filter((d) => d.mount && d.size > 0 && !/^\/(var\/lib|run)\/docker\//.test(d.mount))
    .slice(0, 32)
    .map((d) => ({ mount: d.mount.slice(0, 1024), size: d.size, used: d.used }));
  const ipAddresses: string[] = [];
  for (const net of Array.isArray(nets) ? nets : [nets]) {
    if (net.internal) continue;
    // Link-local IPv6 addresses exist on every veth and cannot reach the host from elsewhere.
    for (const ip of [net.ip4, net.ip6]) {
      if (ip && !ip.toLowerCase().startsWith("fe80") && !ipAddresses.includes(ip))
        ipAddresses.push(ip.slice(0, 64));
    }
  }
  return { at: Date.now(), disks, ipAddresses: ipAddresses.slice(0, 256) };
}

/**
 * Collects the host facts the agent reports at hello and in pings. Static parts are read once per
 * driver, disks and addresses once a minute, CPU load and memory on every call, so calling this every
 * ping is cheap. The result always satisfies hostFactsSchema. `osSource` points the CorralOS facts
 * elsewhere (tests).
 */
export async function collectHostFacts(driver: DockerDriver, osSource?: OsFactsSource): Promise<HostFacts> {
  let statics = staticCache.get(driver);
  if (!statics) {
    statics = readStatic(driver);
    staticCache.set(driver, statics);
    // A failed first read (Docker down at boot) must not stick forever.
    statics.catch(() => staticCache.delete(driver));
  }
  let slow = slowCache.get(driver);
  if (!slow || Date.now() - slow.at > slowRefreshMs) {
    slow = await readSlow();
    slowCache.set(driver, slow);
  }
  const [base, load, mem, corralOs] = await Promise.all([
    statics,
    si.currentLoad().catch(() => null),
    si.mem(),
    // Re-read every call: a trial boot turns healthy (or not) while the agent runs.
    readCorralOs(osSource).catch(() => null),
  ]);
  if (!base.dockerVersion) staticCache.delete(driver);
  return hostFactsSchema.parse({
    ...base,
    cpuLoad: Math.max(0, Math.round((load?.currentLoad ?? 0) * 100) / 100),
    memoryTotal: mem.total,
    // "available" accounts for reclaimable cache, so used = what programs actually hold.
    memoryUsed: Math.max(0, mem.total - mem.available),
    disks: slow.disks,
    ipAddresses: slow.ipAddresses,
    corralOs,
  });
}
