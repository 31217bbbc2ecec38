/** The `/v1-catalog` shapes the catalog pages read, and the requests they send. */
import { ApiError, api, projectPath } from "../api/client.ts";
import type { Resource, Stack } from "../api/types.ts";

/** A catalog: a git repository of templates, with the state of its last fetch. */
export interface Catalog extends Resource {
  url: string;
  branch: string;
  environmentId: string;
  /** The public half of the catalog's ssh key, to add as a deploy key (the private key is never sent back). */
  sshPublicKey?: string | null;
  /** The pinned ssh host keys (known_hosts lines), if any. */
  knownHosts?: string | null;
  /** Whether a username, password or key is stored (never shown back). */
  hasCredentials?: boolean;
  /** True for one from the `catalog.url` setting: changed there, not by editing. */
  fromSetting?: boolean;
}

/** A template of a catalog (`state: broken` with its reason in `transitioningMessage`). */
export interface Template extends Resource {
  catalogId: string;
  description: string | null;
  category: string | null;
  categories: string[];
  templateBase: string;
  folderName: string;
  maintainer: string | null;
  license: string | null;
  projectURL: string | null;
  defaultVersion: string | null;
  defaultTemplateVersionId: string | null;
}

/** One question of a template version (as the server normalised it: defaults are strings). */
export interface Question {
  variable: string;
  label?: string;
  description?: string;
  type: string;
  required: boolean;
  default?: string;
  group?: string;
  options?: string[];
  min?: number;
  max?: number;
  min_length?: number;
  max_length?: number;
  valid_chars?: string;
  invalid_chars?: string;
}

/** A version of a template: its questions, README and where it may upgrade to. */
export interface TemplateVersion extends Resource {
  templateId: string;
  version: string;
  revision: number;
  questions: Question[];
  readme: string | null;
  compatible: boolean;
  upgradeVersionLinks: Record<string, string>;
}

/** A stack as the catalog pages read it: launched from `catalog://...`, its kept answers. */
export type CatalogStack = Stack & {
  externalId?: string | null;
  environment?: Record<string, string> | null;
  upgradeAvailable?: boolean;
  upgradeVersions?: Record<string, string> | null;
};

/** One answer the server refused, by question. */
export interface AnswerError {
  variable: string;
  message: string;
}

const root = "/v1-catalog";

/** The catalogs this environment sees (global ones and its own). */
export const listCatalogs = (projectId: string) =>
  api.list<Catalog>(`${root}/catalogs?projectId=${encodeURIComponent(projectId)}`);

/** What adding a catalog sends: no environment for a global one (admins only). */
export interface NewCatalog {
  name: string;
  url: string;
  branch?: string;
  environmentId?: string;
  username?: string;
  password?: string;
  /** A private key for ssh URLs (write-only). */
  sshKey?: string;
  /** known_hosts lines pinning the ssh server's host key. */
  knownHosts?: string;
}

/** Adds a catalog; the server fetches it after answering (state `refreshing`, then `active` or `error`). */
export const createCatalog = (body: NewCatalog) => api.create<Catalog>(`${root}/catalogs`, body);

/**
 * What editing a catalog sends: a credential left out keeps the stored one (while the URL stays);
 * `knownHosts: ""` drops the pinned host keys.
 */
export type CatalogChange = Omit<Partial<NewCatalog>, "name" | "environmentId">;

/** Changes a catalog; the server fetches it again after answering when its source changed. */
export const updateCatalog = (c: Catalog, body: CatalogChange) => api.update<Catalog>(c, body);

/** Every template of the catalogs this environment sees, broken ones included. */
export const listTemplates = (projectId: string) =>
  api.list<Template>(`${root}/templates?projectId=${encodeURIComponent(projectId)}`);

/** One template. */
export const getTemplate = (id: string) => api.get<Template>(`${root}/templates/${encodeURIComponent(id)}`);

/** A template's versions, oldest first. */
export async function listVersions(templateId: string): Promise<TemplateVersion[]> {
  const all = await api.list<TemplateVersion>(
    `${root}/templateversions?templateId=${encodeURIComponent(templateId)}`,
  );
  return all.sort((a, b) => a.revision - b.revision);
}

/** One version by id (`library:wordpress:1`). */
export const getVersion = (id: string) =>
  api.get<TemplateVersion>(`${root}/templateversions/${encodeURIComponent(id)}`);

/** Where a template's icon is served (the API's own path: same origin, the session cookie). */
export const iconPath = (t: Template) =>
  t.links.icon ? `${root}/templates/${encodeURIComponent(t.id)}/icon` : null;

/** The externalId a stack launched from a version carries. */
export const externalIdOf = (v: TemplateVersion) => `catalog://${v.id}`;

/** Launches a stack from a version with the given answers. */
export const launchStack = (
  projectId: string,
  name: string,
  v: TemplateVersion,
  answers: Record<string, string>,
) =>
  api.create<CatalogStack>(projectPath(projectId, "stacks"), {
    name,
    externalId: externalIdOf(v),
    answers,
    startOnCreate: true,
  });

/** The per-question errors an API error carries (`detail.errors`), by variable. */
export function answerErrors(detail: unknown): Record<string, string> {
  const errors = (detail as { errors?: unknown } | null | undefined)?.errors;
  const out: Record<string, string> = {};
  if (!Array.isArray(errors)) return out;
  for (const e of errors as Partial<AnswerError>[])
    if (typeof e?.variable === "string" && typeof e.message === "string") out[e.variable] = e.message;
  return out;
}

/** The add-a-catalog form's fields, as `/v1-catalog/catalogs` names them. */
export const catalogFieldNames = [
  "name",
  "url",
  "branch",
  "username",
  "password",
  "sshKey",
  "knownHosts",
] as const;
/** One field of the add-a-catalog form. */
export type CatalogField = (typeof catalogFieldNames)[number];

/**
 * The per-field messages of a refusal: the input checker's issues (`detail` is a list of
 * `{field, message}`) or a single field named in `detail.field` (a name already taken).
 */
export function catalogFieldErrors(e: unknown): Partial<Record<CatalogField, string>> {
  if (!(e instanceof ApiError)) return {};
  const out: Partial<Record<CatalogField, string>> = {};
  const known = (f: unknown): f is CatalogField => catalogFieldNames.includes(f as CatalogField);
  if (Array.isArray(e.detail)) {
    for (const i of e.detail as { field?: unknown; message?: unknown }[])
      if (known(i?.field) && typeof i.message === "string") out[i.field] ??= i.message;
  } else {
    const field = (e.detail as { field?: unknown } | null | undefined)?.field;
    if (known(field)) out[field] = e.message;
  }
  return out;
}
