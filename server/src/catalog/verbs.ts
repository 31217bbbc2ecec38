import { AppError } from "@corral/lib";
import { z } from "zod";
import { canAccessProject, type Principal } from "../auth/principal.ts";
import { writeAudit } from "../services/audit.ts";
import { loadProject, requireAdmin, requireAdminOrOwner, type VerbContext } from "../services/context.ts";
import { parseInput } from "../services/input.ts";
import type { Row } from "../store/rows.ts";
import { defaultBranch } from "./catalog-url.ts";
import type { CatalogFields, CatalogService } from "./catalogs.ts";
import { type GitCredentials, isAllowedBranch, isAllowedGitUrl } from "./fetch.ts";
import { isSshUrl, knownHostsProblem, publicKeyOf } from "./ssh.ts";

/** Input to add a catalog: Rancher's catalog fields plus optional credentials. */
export const catalogCreateSchema = z.strictObject({
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/i, "letters, digits, - and _, starting with a letter or digit"),
  url: z.string().min(1).max(2048).refine(isAllowedGitUrl, "use a file://, http(s)://, ssh:// or git:// URL"),
  branch: z.string().max(200).refine(isAllowedBranch, "not a branch name").optional(),
  kind: z.literal("native").optional(),
  environmentId: z.string().max(32).optional(),
  username: z.string().max(256).optional(),
  password: z.string().max(4096).optional(),
  /** An OpenSSH or PEM private key without a passphrase, for ssh URLs (write-only). */
  sshKey: z.string().max(16384).optional(),
  /** known_hosts lines pinning the ssh server's host key (else the first key seen is kept). */
  knownHosts: z.string().max(16384).optional(),
});

/** A refusal of one field, shown at that field (422). */
function badField(field: string, message: string): AppError {
  return new AppError("InvalidFormat", `${field}: ${message}`, { detail: [{ field, message }] });
}

/**
 * Checks the ssh parts of a new catalog before anything is stored: a key or host keys only with an
 * ssh URL, a key ssh can read (its public half is returned), known_hosts lines that parse.
 */
async function checkSsh(input: {
  url: string;
  sshKey?: string;
  knownHosts?: string;
}): Promise<string | undefined> {
  const ssh = isSshUrl(input.url);
  if (input.knownHosts?.trim()) {
    if (!ssh) throw badField("knownHosts", "host keys apply to ssh:// and user@host:path URLs only");
    const problem = knownHostsProblem(input.knownHosts);
    if (problem) throw badField("knownHosts", problem);
  }
  if (!input.sshKey?.trim()) return undefined;
  if (!ssh) throw badField("sshKey", "a private key applies to ssh:// and user@host:path URLs only");
  try {
    return await publicKeyOf(input.sshKey.trim());
  } catch (e) {
    throw badField("sshKey", (e as Error).message);
  }
}

/** An audit entry of a catalog verb: credentials are never written to the audit log. */
function audit(
  ctx: VerbContext,
  verb: string,
  name: string,
  projectId: string | null,
  body: unknown,
  ip: string,
) {
  const { password: _p, sshKey: _k, ...kept } = (body ?? {}) as Record<string, unknown>;
  writeAudit(ctx.store, {
    principal: ctx.principal,
    clientIp: ip,
    eventType: `api.catalog.${verb}`,
    resourceType: "catalog",
    resourceId: name,
    projectId,
    requestObject: kept,
    responseCode: verb === "create" ? 201 : 200,
  });
}

/**
 * Adds a catalog: a global one needs an admin, an environment's one an owner of it. Names are
 * unique across all catalogs, as template ids (`<catalog>:<template>`) carry only the name.
 */
export async function createCatalog(
  ctx: VerbContext,
  catalogs: CatalogService,
  body: unknown,
  ip: string,
): Promise<Row> {
  const input = parseInput(catalogCreateSchema, body);
  if (input.environmentId) {
    loadProject(ctx, input.environmentId);
    requireAdminOrOwner(ctx, input.environmentId);
  } else requireAdmin(ctx);
  const publicKey = await checkSsh(input);
  const sshKey = publicKey ? input.sshKey!.trim() : undefined;
  const credentials =
    input.username || input.password || sshKey
      ? { username: input.username, password: input.password, sshKey }
      : undefined;
  const knownHosts = input.knownHosts?.trim() || undefined;
  return ctx.store.transaction(() => {
    if (catalogs.row(input.name))
      throw new AppError("NotUnique", `a catalog named ${input.name} exists`, { detail: { field: "name" } });
    const source = { name: input.name, url: input.url, branch: input.branch ?? defaultBranch };
    const row = catalogs.insert(source, input.environmentId, credentials, false, { publicKey, knownHosts });
    audit(ctx, "create", input.name, input.environmentId ?? null, body, ip);
    return row;
  });
}

/**
 * Input to change a catalog: where it is and its credentials. Credentials are write-only: one left
 * out (or sent empty, as shown) keeps the stored one while the URL stays; `knownHosts: ""` drops the
 * pinned host keys.
 */
export const catalogUpdateSchema = catalogCreateSchema
  .pick({ url: true, branch: true, username: true, password: true, sshKey: true, knownHosts: true })
  .partial();

/**
 * Changes a catalog's URL, branch, credentials or pinned host keys (who may add it may change it);
 * a new key is checked as when adding. One from the `catalog.url` setting is changed there.
 */
export async function updateCatalog(
  ctx: VerbContext,
  catalogs: CatalogService,
  name: string,
  body: unknown,
  ip: string,
): Promise<Row> {
  const input = parseInput(catalogUpdateSchema, body);
  const row = visibleCatalog(ctx.principal, catalogs, name) as Row<CatalogFields>;
  mayRefresh(ctx, row);
  if (row.data.fromSetting)
    throw new AppError("InvalidState", `catalog ${name} comes from the catalog.url setting: change it there`);
  const url = input.url ?? row.data.url;
  const publicKey = await checkSsh({ url, sshKey: input.sshKey, knownHosts: input.knownHosts });
  // Credentials go with the URL they were given for (as the catalog.url setting does): a new URL
  // must be given its own, or a password or key would be sent to another server.
  const moved = url !== row.data.url;
  const stored: GitCredentials =
    row.data.credentials && !moved
      ? (JSON.parse(catalogs.box.open(row.data.credentials)) as GitCredentials)
      : {};
  const credentials: GitCredentials = {
    ...stored,
    ...(input.username ? { username: input.username } : {}),
    ...(input.password ? { password: input.password } : {}),
    ...(publicKey ? { sshKey: input.sshKey!.trim() } : {}),
  };
  const hasAny = Boolean(credentials.username || credentials.password || credentials.sshKey);
  return ctx.store.transaction(() => {
    const out = ctx.store.update<CatalogFields>(row.id, {
      data: {
        url,
        branch: input.branch ?? row.data.branch,
        credentials: hasAny ? catalogs.box.seal(JSON.stringify(credentials)) : undefined,
        ...(publicKey || moved ? { sshPublicKey: publicKey } : {}),
        ...(input.knownHosts !== undefined ? { knownHosts: input.knownHosts.trim() || undefined } : {}),
      },
    })!;
    audit(ctx, "update", name, row.projectId, body, ip);
    return out;
  });
}

/** Removes a catalog, its clone and its index; its stacks keep running from their stored files. */
export function removeCatalog(ctx: VerbContext, catalogs: CatalogService, name: string, ip: string): Row {
  const row = visibleCatalog(ctx.principal, catalogs, name);
  if (row.projectId) requireAdminOrOwner(ctx, row.projectId);
  else requireAdmin(ctx);
  const removed = ctx.store.transaction(() => {
    const out = ctx.store.update(row.id, { state: "removed", removed: Date.now(), lookup: null })!;
    audit(ctx, "remove", name, row.projectId, null, ip);
    return out;
  });
  catalogs.forget(name);
  return removed;
}

/** True when `principal` (or an anonymous reader, null) may read catalog `row`. */
export function canReadCatalog(principal: Principal | null, row: Row): boolean {
  if (!row.projectId) return true;
  return principal !== null && canAccessProject(principal, row.projectId);
}

/** The catalog named `name` if the caller may read it, else NotFound. */
export function visibleCatalog(principal: Principal | null, catalogs: CatalogService, name: string): Row {
  const row = catalogs.row(name);
  if (!row || !canReadCatalog(principal, row))
    throw new AppError("NotFound", `catalog ${name.slice(0, 64)} not found`);
  return row;
}

/** `refresh`: only those who may add the catalog may make the server fetch it. */
export function mayRefresh(ctx: VerbContext, row: Row): void {
  if (row.projectId) requireAdminOrOwner(ctx, row.projectId);
  else requireAdmin(ctx);
}
