import {
  type CertificateCreate,
  certificateCreateSchema,
  certificateUpdateSchema,
  formatId,
} from "@corral/api";
import { AppError } from "@corral/lib";
import type { ServiceFields } from "../model/service.ts";
import { lbCertificateRefs } from "../network/lb-refs.ts";
import { loadProject, loadVisible, type VerbContext } from "../services/context.ts";
import { parseInput } from "../services/input.ts";
import type { Row } from "../store/rows.ts";
import type { Store } from "../store/store.ts";
import type { AcmeFields } from "./acme-schedule.ts";
import { selfSigned } from "./generate.ts";
import { type CertificateInfo, inspectCertificate } from "./pem.ts";

/**
 * Stored fields of a certificate. The private key is not among them: it lives in the row's secret
 * column, which no answer, event or audit row ever includes.
 */
export interface CertificateFields extends CertificateInfo {
  description?: string;
  cert: string;
  certChain: string | null;
  /** Set on certificates an ACME CA signs (and renews); the PEMs come with the first issuance. */
  acme?: AcmeFields;
}

function assertNameFree(store: Store, projectId: string, name: string, except?: number): void {
  const clash = store
    .all("certificate", { projectId })
    .some((c) => c.state !== "removed" && c.name === name && c.id !== except);
  if (clash)
    throw new AppError("NotUnique", `a certificate named ${name} exists in this environment`, {
      detail: { field: "name" },
    });
}

/** Load balancer services of the environment that use a certificate (by id or by name). */
export function servicesUsing(store: Store, row: Row): string[] {
  const id = formatId("certificate", row.id);
  return store
    .all<ServiceFields>("service", { projectId: row.projectId! })
    .filter((s) => s.state !== "removed" && s.data.lbConfig)
    .filter((s) => lbCertificateRefs(s.data.lbConfig!, (n) => (n === row.name ? id : undefined)).includes(id))
    .map((s) => `${s.name} (${formatId("service", s.id)})`);
}

/**
 * Creates a certificate from PEM texts (checked: the key must match the certificate, the chain must
 * parse), or, with `generate: {hostname}`, a self-signed one made by openssl.
 */
export function createCertificate(
  ctx: VerbContext,
  projectId: string,
  body: unknown,
): Row<CertificateFields> {
  const input = parseInput(certificateCreateSchema, body);
  if (input.acme || input.domains || input.acmeDirectoryUrl || input.email)
    return createAcme(ctx, projectId, input);
  if (input.generate && (input.cert || input.key))
    throw new AppError("InvalidOption", "generate: give either generate or cert and key, not both", {
      detail: { field: "generate" },
    });
  if (!input.generate && (!input.cert || !input.key))
    throw new AppError("MissingRequired", `${input.cert ? "key" : "cert"}: cert and key are required`, {
      detail: { field: input.cert ? "key" : "cert" },
    });
  return ctx.store.transaction(() => {
    const project = loadProject(ctx, projectId);
    if (project.state !== "active")
      throw new AppError("InvalidState", `environment ${projectId} is ${project.state}`);
    const pid = formatId("project", project.id);
    assertNameFree(ctx.store, pid, input.name);
    const pem = input.generate
      ? selfSigned(input.generate.hostname, input.generate.days)
      : { cert: input.cert!, key: input.key! };
    const certChain = input.certChain?.trim() ? input.certChain : null;
    const info = inspectCertificate(pem.cert, pem.key, certChain);
    return ctx.store.insert<CertificateFields>("certificate", {
      projectId: pid,
      name: input.name,
      state: "active",
      secret: pem.key,
      data: { description: input.description, cert: pem.cert, certChain, ...info },
    });
  });
}

/**
 * Creates an ACME certificate: stored `pending` with its domains, contact and directory, no PEMs;
 * the issuer (acme-issuer.ts) hears the insert and orders it once a load balancer runs.
 */
function createAcme(ctx: VerbContext, projectId: string, input: CertificateCreate): Row<CertificateFields> {
  const refuse = (field: string, message: string): never => {
    throw new AppError("InvalidOption", `${field}: ${message}`, { detail: { field } });
  };
  if (input.acme !== true) refuse("acme", "domains, email and acmeDirectoryUrl need acme: true");
  if (input.cert || input.key || input.certChain || input.generate)
    refuse("acme", "an ACME certificate is signed by the CA: give no cert, key, certChain or generate");
  if (!input.domains)
    throw new AppError("MissingRequired", "domains: an ACME certificate needs domains", {
      detail: { field: "domains" },
    });
  if (!input.acmeDirectoryUrl)
    throw new AppError(
      "MissingRequired",
      "acmeDirectoryUrl: an ACME certificate needs its CA's directory URL",
      {
        detail: { field: "acmeDirectoryUrl" },
      },
    );
  const domains = [...new Set(input.domains.map((d) => d.toLowerCase()))];
  return ctx.store.transaction(() => {
    const project = loadProject(ctx, projectId);
    if (project.state !== "active")
      throw new AppError("InvalidState", `environment ${projectId} is ${project.state}`);
    const pid = formatId("project", project.id);
    assertNameFree(ctx.store, pid, input.name);
    const acme: AcmeFields = {
      domains,
      email: input.email ?? null,
      directoryUrl: input.acmeDirectoryUrl!,
      accountKey: null,
      challenges: [],
      failures: 0,
      nextAttemptAt: null,
      renewRequested: false,
    };
    return ctx.store.insert<CertificateFields>("certificate", {
      projectId: pid,
      name: input.name,
      state: "pending",
      data: {
        description: input.description,
        cert: "",
        certChain: null,
        CN: domains[0]!,
        subjectAlternativeNames: domains,
        acme,
      } as CertificateFields,
    });
  });
}

/** Asks the issuer to renew an ACME certificate now (its current one stays in use until then). */
export function renewCertificate(ctx: VerbContext, id: string): Row<CertificateFields> {
  return ctx.store.transaction(() => {
    const row = loadVisible<CertificateFields>(ctx, "certificate", id);
    if (!row.data.acme)
      throw new AppError("ActionNotAvailable", `certificate ${id} is not an ACME certificate`);
    if (row.state === "removed") throw new AppError("ActionNotAvailable", `certificate ${id} is removed`);
    if (row.state === "issuing")
      throw new AppError("ActionNotAvailable", `certificate ${id} is being issued now`);
    return ctx.store.update<CertificateFields>(row.id, {
      data: { acme: { ...row.data.acme, renewRequested: true, nextAttemptAt: null, failures: 0 } },
    })!;
  });
}

/** Edits a certificate: name, description, or new PEMs (checked against each other again). */
export function updateCertificate(ctx: VerbContext, id: string, body: unknown): Row<CertificateFields> {
  const input = parseInput(certificateUpdateSchema, body);
  return ctx.store.transaction(() => {
    const row = loadVisible<CertificateFields>(ctx, "certificate", id);
    if (row.state === "removed") throw new AppError("InvalidState", `certificate ${id} is removed`);
    const data: Record<string, unknown> = {};
    if (input.description !== undefined) data.description = input.description;
    if (input.name !== undefined && input.name !== row.name) {
      assertNameFree(ctx.store, row.projectId!, input.name, row.id);
      const users = servicesUsing(ctx.store, row);
      if (users.length > 0)
        throw new AppError(
          "InvalidState",
          `certificate ${id} is used by ${users.join(", ")}; rename refused`,
        );
    }
    let secret: string | undefined;
    if (input.cert !== undefined || input.key !== undefined || input.certChain !== undefined) {
      if (row.data.acme)
        throw new AppError(
          "InvalidOption",
          "cert: an ACME certificate's PEMs come from its CA; use the renew action",
          {
            detail: { field: "cert" },
          },
        );
      const cert = input.cert ?? row.data.cert;
      const key = input.key ?? ctx.store.secretOf(row.id) ?? "";
      const certChain = input.certChain !== undefined ? input.certChain.trim() || null : row.data.certChain;
      Object.assign(data, { cert, certChain, ...inspectCertificate(cert, key, certChain) });
      if (input.key !== undefined) secret = input.key;
    }
    return ctx.store.update<CertificateFields>(row.id, {
      ...(input.name !== undefined ? { name: input.name } : {}),
      ...(secret !== undefined ? { secret } : {}),
      data,
    })!;
  });
}

/** Removes a certificate, unless a load balancer still uses it; the private key is erased. */
export function removeCertificate(ctx: VerbContext, id: string): Row<CertificateFields> {
  return ctx.store.transaction(() => {
    const row = loadVisible<CertificateFields>(ctx, "certificate", id);
    if (row.state === "removed") throw new AppError("ActionNotAvailable", `certificate ${id} is removed`);
    const users = servicesUsing(ctx.store, row);
    if (users.length > 0)
      throw new AppError(
        "ActionNotAvailable",
        `certificate ${id} is used by load balancer ${users.join(", ")}`,
      );
    return ctx.store.update<CertificateFields>(row.id, {
      state: "removed",
      removed: Date.now(),
      secret: null,
    })!;
  });
}
