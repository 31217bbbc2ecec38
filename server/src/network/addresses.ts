/**
 * IPv4 arithmetic for the managed network: the environment's range (Rancher's 10.42.0.0/16) is cut
 * into /24 slices, one per host; a slice's first address is the bridge (the containers' gateway),
 * and `.0`, `.1` and `.255` are never given to a container.
 */

/** The managed range every environment uses (as Rancher 1.6 did). */
export const managedCidr = "10.42.0.0/16";
/** The prefix length of one host's slice. */
export const slicePrefix = 24;
/** Name of the Docker bridge network the agent creates for the managed network. */
export const managedBridgeName = "corral-managed";
/** The address of the per-host DNS and metadata server (rancher-dns, rancher-metadata). */
export const internalDnsIp = "169.254.169.250";

/** Parses a dotted quad into a 32-bit unsigned number, or null when it is not one. */
export function ipToInt(ip: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (!m) return null;
  let n = 0;
  for (let i = 1; i <= 4; i++) {
    const octet = Number(m[i]);
    if (octet > 255) return null;
    n = n * 256 + octet;
  }
  return n;
}

/** Formats a 32-bit unsigned number as a dotted quad. */
export function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

/** A parsed CIDR block. */
export interface Cidr {
  base: number;
  prefix: number;
  size: number;
}

/** Parses `a.b.c.d/n` (the base is masked to the prefix). */
export function parseCidr(cidr: string): Cidr {
  const [ip, bits] = cidr.split("/");
  const base = ipToInt(ip ?? "");
  const prefix = Number(bits);
  if (base === null || !Number.isInteger(prefix) || prefix < 8 || prefix > 30)
    throw new Error(`bad CIDR ${cidr}`);
  const size = 2 ** (32 - prefix);
  return { base: base - (base % size), prefix, size };
}

/** The `index`-th /24 slice of a range, e.g. slice 3 of 10.42.0.0/16 is 10.42.3.0/24. */
export function sliceAt(range: string, index: number): string {
  const r = parseCidr(range);
  return `${intToIp(r.base + index * 2 ** (32 - slicePrefix))}/${slicePrefix}`;
}

/** How many /24 slices a range holds. */
export function sliceCount(range: string): number {
  const r = parseCidr(range);
  return Math.max(0, r.size / 2 ** (32 - slicePrefix));
}

/** The gateway (bridge) address of a slice: its first usable address. */
export function gatewayOf(subnet: string): string {
  return intToIp(parseCidr(subnet).base + 1);
}

/** True when `ip` lies inside `subnet`. */
export function inSubnet(ip: string, subnet: string): boolean {
  const n = ipToInt(ip);
  if (n === null) return false;
  const s = parseCidr(subnet);
  return n >= s.base && n < s.base + s.size;
}

/** True when `ip` may be given to a container of `subnet`: inside it, not .0, .1 (gateway) or .255. */
export function assignable(ip: string, subnet: string): boolean {
  if (!inSubnet(ip, subnet)) return false;
  const offset = ipToInt(ip)! - parseCidr(subnet).base;
  return offset > 1 && offset < parseCidr(subnet).size - 1;
}

/** The first assignable address of `subnet` not in `taken`, or null when the slice is full. */
export function firstFree(subnet: string, taken: Set<string>): string | null {
  const s = parseCidr(subnet);
  for (let offset = 2; offset < s.size - 1; offset++) {
    const ip = intToIp(s.base + offset);
    if (!taken.has(ip)) return ip;
  }
  return null;
}
