import { isIP } from "node:net";
import { hostname, networkInterfaces } from "node:os";
import { AppError } from "@corral/lib";

/** A DNS name (labels of letters, digits, hyphens; a leading `*.` wildcard allowed). */
const dnsName =
  /^(\*\.)?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** Checks one extra SAN given by the operator; throws InvalidOption naming it when it is neither a name nor an address. */
export function checkSan(name: string): string {
  const v = name.trim().replace(/^\[(.*)\]$/, "$1");
  if (isIP(v)) return v.toLowerCase();
  if (v.length <= 253 && dnsName.test(v)) return v.toLowerCase();
  throw new AppError(
    "InvalidOption",
    `--tls-san ${JSON.stringify(name.slice(0, 100))} is neither a DNS name nor an IP address`,
  );
}

/**
 * The names and addresses a generated server certificate covers: `localhost`, this machine's
 * hostname, every address of its interfaces (loopback and Docker bridges included: test hosts and
 * containers reach the server there), and the operator's extra ones. Link-local addresses are left
 * out (they need a zone and change with the link). Sorted and without duplicates, so two runs on an
 * unchanged machine give the same list.
 */
export function serverSans(extra: readonly string[] = []): string[] {
  const names = new Set<string>(["localhost", "127.0.0.1", "::1"]);
  const host = hostname().toLowerCase();
  if (host && dnsName.test(host)) names.add(host);
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) {
      if (a.family === "IPv6" && /^fe[89ab]/i.test(a.address)) continue;
      if (a.family === "IPv4" && a.address.startsWith("169.254.")) continue;
      names.add(a.address.toLowerCase());
    }
  }
  for (const e of extra) names.add(checkSan(e));
  return [...names].sort();
}
