import { formatId } from "@corral/api";
import { AppError } from "@corral/lib";
import type { StackFields } from "../model/service.ts";
import type { VerbContext } from "../services/context.ts";
import type { CatalogService } from "./catalogs.ts";
import { TemplateError } from "./gotemplate/index.ts";
import { parseQuestions, validateAnswers } from "./questions.ts";
import { renderWithSecretRefs } from "./secret-refs.ts";
import { parseExternalId, upgradeInfo } from "./stack-upgrades.ts";
import { isCompatible } from "./versions.ts";

/** What a stack launched (or upgraded) from a template version is made of. */
export interface CatalogLaunch {
  /** The files as kept on the stack: password answers appear only as `${VAR}` references. */
  dockerCompose: string;
  rancherCompose: string;
  /** Every answer in clear, for `${VAR}` interpolation of the files. */
  values: Record<string, string>;
  /** The answers kept on the stack in clear: all but passwords. */
  environment: Record<string, string>;
  /** Password answers, sealed. */
  secretAnswers: Record<string, string>;
  upgradeAvailable: boolean;
  upgradeVersions: Record<string, string>;
}

/** The answers a stack keeps, passwords opened again (for an upgrade that re-renders the files). */
export function keptAnswers(catalogs: CatalogService, stack: StackFields): Record<string, string> {
  return { ...stack.environment, ...keptSecrets(catalogs, stack) };
}

/** The password answers a stack keeps, opened. */
export function keptSecrets(catalogs: CatalogService, stack: StackFields): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, sealed] of Object.entries(stack.secretAnswers ?? {})) out[k] = catalogs.box.open(sealed);
  return out;
}

/** Names `service` and `certificate` answers may take in environment `projectId`. */
function answerContext(ctx: VerbContext, projectId: string) {
  const stacks = new Map(
    ctx.store.all<StackFields>("stack", { projectId }).map((s) => [formatId("stack", s.id), s]),
  );
  const serviceNames = ctx.store
    .all("service", { projectId })
    .filter((s) => s.state !== "removed")
    .flatMap((s) => {
      const stack = stacks.get((s.data as { stackId?: string }).stackId ?? "");
      return stack ? [`${stack.name}/${s.name}`, s.name!] : [s.name!];
    });
  const certificateNames = ctx.store
    .all("certificate", { projectId })
    .filter((c) => c.state !== "removed")
    .map((c) => c.name!);
  return { serviceNames, certificateNames };
}

/**
 * Resolves a `catalog://<catalog>:<template>:<N>` externalId into the files of a stack: the answers
 * are checked against the version's questions (one message per question), `.tpl` files rendered as
 * Go templates, plain ones left for `${VAR}` interpolation. Either way the files kept on the stack
 * hold password answers only as `${VAR}` references, resolved from `values` when the services are made. Null when the externalId is not a
 * catalog one (a plain stack); a 4xx when the template, version or answers are not usable.
 */
export function resolveCatalogLaunch(
  ctx: VerbContext,
  projectId: string,
  stackName: string,
  externalId: string | undefined,
  answers: Record<string, string>,
): CatalogLaunch | null {
  if (!externalId?.startsWith("catalog://") || !ctx.catalogs) return null;
  const catalogs = ctx.catalogs;
  const ref = parseExternalId(externalId);
  if (!ref)
    throw new AppError(
      "InvalidFormat",
      `externalId ${externalId.slice(0, 128)}: expected catalog://<catalog>:<template>:<N>`,
    );
  const catalog = catalogs.row(ref.catalog);
  if (!catalog || (catalog.projectId && catalog.projectId !== projectId))
    throw new AppError("InvalidReference", `no catalog ${ref.catalog}`, { detail: { field: "externalId" } });
  const template = catalogs.template(ref.catalog, ref.folder);
  const version = template?.versions.find((v) => v.revision === ref.revision);
  if (!template || !version)
    throw new AppError(
      "InvalidReference",
      `no template version ${ref.catalog}:${ref.folder}:${ref.revision}`,
      {
        detail: { field: "externalId" },
      },
    );
  if (!isCompatible(version))
    throw new AppError(
      "InvalidOption",
      `${ref.folder} ${version.version} needs Rancher ${version.minimumRancherVersion ?? "any"} to ${version.maximumRancherVersion ?? "any"}; this server answers as ${catalogs.compatibilityVersion}`,
      { detail: { field: "externalId" } },
    );
  const parsed = parseQuestions(version.questions);
  if (parsed.errors.length > 0)
    throw new AppError(
      "InvalidOption",
      `${ref.folder} ${version.version} has bad questions: ${parsed.errors.join("; ")}`,
      {
        detail: { field: "externalId" },
      },
    );
  const checked = validateAnswers(parsed.questions, answers, answerContext(ctx, projectId));
  if (checked.errors.length > 0)
    throw new AppError(
      "InvalidOption",
      `answers: ${checked.errors.map((e) => `${e.variable}: ${e.message}`).join("; ")}`,
      {
        detail: { field: "answers", errors: checked.errors },
      },
    );
  const values = checked.values;
  const passwords = new Set(parsed.questions.filter((q) => q.type === "password").map((q) => q.variable));
  const environment: Record<string, string> = {};
  const secretAnswers: Record<string, string> = {};
  for (const [k, v] of Object.entries(values)) {
    if (passwords.has(k)) secretAnswers[k] = catalogs.box.seal(v);
    else environment[k] = v;
  }
  const render = (name: string): string | undefined => {
    const tpl = version.files[`${name}.tpl`];
    if (tpl === undefined) return version.files[name];
    try {
      // Password answers go in as `${name}` references, resolved like a plain file's below.
      return renderWithSecretRefs(`${name}.tpl`, tpl, values, passwords, stackName);
    } catch (e) {
      if (e instanceof TemplateError)
        throw new AppError("InvalidFormat", e.message, { detail: { field: "externalId" } });
      throw e;
    }
  };
  return {
    dockerCompose: render("docker-compose.yml") ?? "",
    rancherCompose: render("rancher-compose.yml") ?? "",
    values,
    environment,
    secretAnswers,
    ...upgradeInfo(catalogs, externalId),
  };
}
