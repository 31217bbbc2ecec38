import { X509Certificate } from "node:crypto";
import type { HostState } from "@corral/api";

/** A certificate as the host view carries it. */
type StateCertificate = HostState["certificates"][number];

import type { LbConfig } from "./lb-config.ts";
import { safeName } from "./targets.ts";

/** The TLS material of one load balancer: files to write and how the bind line uses them. */
export interface TlsSetup {
  /** File contents by path relative to the config directory. */
  files: Record<string, string>;
  /** Path of the crt-list relative to the config directory; null when there is no certificate. */
  crtList: string | null;
  /** True when no default certificate is set: a client without a known SNI name is refused. */
  strictSni: boolean;
}

/**
 * The names a certificate serves: its DNS subject alternative names, else its common name.
 * Empty when the PEM cannot be read (HAProxy then falls back to reading the names itself).
 */
export function certificateNames(pem: string): string[] {
  try {
    const cert = new X509Certificate(pem);
    const sans = (cert.subjectAltName ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s.startsWith("DNS:"))
      .map((s) => s.slice(4));
    if (sans.length > 0) return sans;
    const cn = /(?:^|\n)CN=([^\n]+)/.exec(cert.subject)?.[1];
    return cn ? [cn] : [];
  } catch {
    return [];
  }
}

/**
 * Picks the certificates the LB uses (`certificateIds`, or by name as rancher-compose's `certs`
 * and `default_cert` give them) and lays them out under `dir` as HAProxy wants: one PEM per certificate
 * (certificate, chain, key) and a crt-list. The default certificate comes first and without a
 * filter, which makes it HAProxy's default; the others carry their names as SNI filters.
 */
export function tlsSetup(
  config: LbConfig,
  certificates: StateCertificate[],
  dir: string,
  warn: (message: string) => void,
): TlsSetup {
  const byId = new Map(certificates.map((c) => [c.id, c]));
  const find = (id: string | null, name: string | null): StateCertificate | undefined => {
    const found =
      (id ? byId.get(id) : undefined) ?? certificates.find((c) => name !== null && c.name === name);
    if ((id || name) && !found) warn(`certificate ${id ?? name} is not available on this host`);
    return found;
  };
  const fallback = find(config.defaultCertificateId, config.defaultCertificateName);
  const chosen: StateCertificate[] = [];
  for (const id of config.certificateIds) {
    const c = find(id, null);
    if (c) chosen.push(c);
  }
  for (const name of config.certificateNames) {
    const c = find(null, name);
    if (c) chosen.push(c);
  }
  const files: Record<string, string> = {};
  const lines: string[] = [];
  const seen = new Set<string>();
  const add = (c: StateCertificate, filtered: boolean) => {
    if (seen.has(c.id)) return;
    seen.add(c.id);
    const path = `certs/${safeName(c.id)}.pem`;
    const parts = [c.cert, c.certChain ?? "", c.key].map((p) => p.trim()).filter(Boolean);
    files[path] = `${parts.join("\n")}\n`;
    const names = filtered ? certificateNames(c.cert) : [];
    lines.push([`${dir}/${path}`, ...names].join(" "));
  };
  if (fallback) add(fallback, false);
  for (const c of chosen) add(c, true);
  if (lines.length === 0) return { files, crtList: null, strictSni: true };
  files["crt-list"] = `${lines.join("\n")}\n`;
  return { files, crtList: "crt-list", strictSni: !fallback };
}
