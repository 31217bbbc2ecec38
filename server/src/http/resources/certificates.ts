import type { CertificateFields } from "../../certificates/certificates.ts";
import {
  createCertificate,
  removeCertificate,
  renewCertificate,
  updateCertificate,
} from "../../certificates/certificates.ts";
import type { ResourceDef } from "../definition.ts";
import { scopedFields } from "./common.ts";

/**
 * `certificate`: a TLS certificate and its private key for load balancers (Rancher's fields). The key
 * is write-only: every answer shows `key: null`. With `acme: true` an ACME CA signs it for `domains`
 * (HTTP-01 answered by the environment's load balancers) and renews it; `renew` renews it now.
 */
export const certificateResource: ResourceDef = {
  type: "certificate",
  collection: "certificates",
  scoped: true,
  fields: {
    ...scopedFields,
    name: { type: "string", create: true, update: true, required: true, filter: true },
    description: { type: "string", create: true, update: true, nullable: true },
    cert: { type: "string", create: true, update: true },
    key: { type: "password", create: true, update: true, nullable: true },
    certChain: { type: "string", create: true, update: true, nullable: true },
    generate: { type: "generateCertificate", create: true, nullable: true },
    acme: { type: "boolean", create: true, default: false },
    domains: { type: "array[string]", create: true, nullable: true },
    email: { type: "string", create: true, nullable: true },
    acmeDirectoryUrl: { type: "string", create: true, nullable: true },
    CN: { type: "string", nullable: true, filter: true },
    subjectAlternativeNames: { type: "array[string]" },
    expiresAt: { type: "date", filter: true },
    issuedAt: { type: "date" },
    issuer: { type: "string" },
    serialNumber: { type: "string", filter: true },
    algorithm: { type: "string" },
    keySize: { type: "int" },
    certFingerprint: { type: "string", filter: true },
    fingerprint: { type: "string" },
    version: { type: "string" },
    expired: { type: "boolean" },
  },
  create: (ctx, projectId, body) => ({ row: createCertificate(ctx, projectId ?? "", body) }),
  update: updateCertificate,
  remove: removeCertificate,
  actions: {
    remove: { available: (r) => r.state !== "removed", run: (ctx, id) => removeCertificate(ctx, id) },
    renew: {
      available: (r) =>
        Boolean((r.data as CertificateFields).acme) && !["removed", "issuing"].includes(r.state),
      run: (ctx, id) => renewCertificate(ctx, id),
      accepted: true,
    },
  },
  present: (row) => {
    const d = row.data as CertificateFields;
    return {
      acme: Boolean(d.acme),
      domains: d.acme?.domains ?? null,
      email: d.acme?.email ?? null,
      acmeDirectoryUrl: d.acme?.directoryUrl ?? null,
      description: d.description ?? null,
      cert: d.cert,
      key: null,
      certChain: d.certChain,
      CN: d.CN,
      subjectAlternativeNames: d.subjectAlternativeNames,
      expiresAt: d.expiresAt,
      issuedAt: d.issuedAt,
      issuer: d.issuer,
      serialNumber: d.serialNumber,
      algorithm: d.algorithm,
      keySize: d.keySize,
      certFingerprint: d.certFingerprint,
      fingerprint: d.certFingerprint,
      version: d.version,
      expired: d.expiresAt ? Date.parse(d.expiresAt) < Date.now() : false,
    };
  },
};
