/** IPv4 arithmetic for the managed network: enough to test membership and print CIDRs canonically. */

/** The 32-bit value of a dotted IPv4 address, or null when the text is not one. */
export function ipv4ToInt(ip: string): number | null {
  const parts = ip.split(".");
  if (parts.length !== 4) return null;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return null;
    value = value * 256 + Number(part);
  }
  return value;
}

/** The dotted form of a 32-bit value. */
export function intToIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join(".");
}

/** A parsed IPv4 CIDR: its network address (host bits cleared) and prefix length. */
export interface Cidr {
  base: number;
  bits: number;
}

/** Parses "a.b.c.d/n" (a bare address is a /32); null when malformed. */
export function parseCidr(text: string): Cidr | null {
  const [ip = "", bitsText, extra] = text.split("/");
  if (extra !== undefined) return null;
  const value = ipv4ToInt(ip);
  const bits = bitsText === undefined ? 32 : /^\d{1,2}$/.test(bitsText) ? Number(bitsText) : -1;
  if (value === null || bits < 0 || bits > 32) return null;
  const size = 2 ** (32 - bits);
  return { base: value - (value % size), bits };
}

/** True when `ip` lies inside `cidr`; false for malformed input. */
export function cidrContains(cidr: string, ip: string): boolean {
  const range = parseCidr(cidr);
  const value = ipv4ToInt(ip);
  if (!range || value === null) return false;
  return value >= range.base && value < range.base + 2 ** (32 - range.bits);
}

/**
 * The canonical text of a CIDR ("10.42.1.7/24" -> "10.42.1.0/24"), which is how iptables-save
 * prints it: rules are compared with its output, so they must be rendered the same way.
 */
export function canonicalCidr(text: string): string | null {
  const range = parseCidr(text);
  return range ? `${intToIpv4(range.base)}/${range.bits}` : null;
}
