import type { CertificateFields } from "../../certificates/certificates.ts";
import { createCertificate, removeCertificate, updateCertificate } from "../../certificates/certificates.ts";
import type { ResourceDef } from "../definition.ts";
import { scopedFields } from "./common.ts";

/**
 * `certificate`: a TLS certificate and its private key for load balancers (Rancher's fields). The key
 * is write-only: every answer shows `key: null`.
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
  },
  present: (row) => {
    const d = row.data as CertificateFields;
    return {
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
      expired: Date.parse(d.expiresAt) < Date.now(),
    };
  },
};
