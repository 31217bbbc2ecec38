/**
 * References inside a load balancer's lbConfig. Compose files name things (`service: web`,
 * `certs: [site]`, `default_cert: site`); the API uses ids (`serviceId`, `certificateIds`,
 * `defaultCertificateId`). Both forms are accepted and stored as given; the hostState frame carries
 * both, with names resolved to ids.
 */

/** One port rule as stored (camelCase), loosely typed: validated by lb-service.ts. */
export type PortRule = Record<string, unknown>;

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
}

/** Every certificate id an lbConfig refers to (by id or by name), the default first. */
export function lbCertificateRefs(
  lb: Record<string, unknown>,
  certIdByName: (name: string) => string | undefined,
): string[] {
  const out: string[] = [];
  const add = (id: string | undefined) => {
    if (id && !out.includes(id)) out.push(id);
  };
  if (typeof lb.defaultCertificateId === "string") add(lb.defaultCertificateId);
  if (typeof lb.defaultCert === "string") add(certIdByName(lb.defaultCert));
  for (const id of strings(lb.certificateIds)) add(id);
  for (const name of strings(lb.certs)) add(certIdByName(name));
  return out;
}

/** The default certificate's id, by id or by name, or null. */
export function defaultCertificate(
  lb: Record<string, unknown>,
  certIdByName: (name: string) => string | undefined,
): string | null {
  if (typeof lb.defaultCertificateId === "string") return lb.defaultCertificateId;
  if (typeof lb.defaultCert === "string") return certIdByName(lb.defaultCert) ?? null;
  return null;
}

/**
 * The lbConfig as the load balancer controller reads it: every port rule with `serviceId` (resolved
 * from `service` when only a name is given), `certificateIds` holding every certificate referred to
 * (SNI) and `defaultCertificateId` the default one.
 */
export function resolveLbConfig(
  lb: Record<string, unknown>,
  serviceIdOf: (target: string) => string | undefined,
  certIdByName: (name: string) => string | undefined,
): Record<string, unknown> {
  const rules = Array.isArray(lb.portRules) ? (lb.portRules as PortRule[]) : [];
  const defaultId = defaultCertificate(lb, certIdByName);
  return {
    ...lb,
    portRules: rules.map((r) => {
      if (r === null || typeof r !== "object") return r;
      const resolved = typeof r.service === "string" ? serviceIdOf(r.service) : undefined;
      return resolved && !r.serviceId ? { ...r, serviceId: resolved } : r;
    }),
    certificateIds: lbCertificateRefs(lb, certIdByName).filter((id) => id !== defaultId),
    defaultCertificateId: defaultId,
  };
}
