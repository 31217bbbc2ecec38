/**
 * A small client of Corral's Rancher-style API for the user commands: HTTP Basic auth with an API
 * key, error bodies turned into {@link ApiError}s, collections read through every page, and the
 * environment (project) every call is scoped to.
 */

/** Connection settings: the server's URL and an API key. */
export interface Credentials {
  url: string;
  accessKey: string;
  secretKey: string;
}

/** One API resource, as the server presents it. */
export interface Resource {
  id: string;
  type: string;
  name?: string | null;
  state: string;
  transitioning?: string;
  transitioningMessage?: string | null;
  [key: string]: unknown;
}

/** An error the server answered with (or a failure to reach it): its message is meant for users. */
export class ApiError extends Error {
  /** HTTP status, or 0 when the server could not be reached. */
  readonly status: number;
  /** The Rancher error code (`NotFound`, `InvalidFormat`...), or a local one. */
  readonly code: string;
  /** The error body's `detail` (compose errors carry `[{file, line, column, path, message}]`). */
  readonly detail: unknown;

  constructor(status: number, code: string, message: string, detail?: unknown) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.detail = detail;
  }
}

/** Path segments and query values are user input: keep them from changing the URL's shape. */
function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : "";
}

/** The API client of one server and key. `project()` scopes it to an environment. */
export class ApiClient {
  readonly base: string;
  private readonly auth: string;

  constructor(creds: Credentials) {
    this.base = creds.url.replace(/\/+$/, "");
    this.auth = `Basic ${btoa(`${creds.accessKey}:${creds.secretKey}`)}`;
  }

  /** Sends one request; answers the parsed JSON body, or throws an {@link ApiError}. */
  async request<T = Resource>(method: string, path: string, body?: unknown): Promise<T> {
    const url = /^https?:\/\//.test(path) ? path : `${this.base}${path}`;
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: {
          authorization: this.auth,
          accept: "application/json",
          ...(body !== undefined ? { "content-type": "application/json" } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      throw new ApiError(0, "Unreachable", `cannot reach the Corral server at ${this.base}: ${why}`);
    }
    const text = await res.text();
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // A proxy's HTML error page, say: reported below with the status.
    }
    if (!res.ok) throw toApiError(res.status, parsed, text);
    return parsed as T;
  }

  /** Reads a whole collection, following `pagination.next` links. */
  async list<T = Resource>(path: string, params: Record<string, string | number | undefined> = {}) {
    const out: T[] = [];
    let next: string | null = `${path}${query({ limit: 1000, ...params })}`;
    for (let pages = 0; next && pages < 1000; pages++) {
      const page: Collection<T> = await this.request<Collection<T>>("GET", next);
      out.push(...(page.data ?? []));
      next = page.pagination?.next ?? null;
    }
    return out;
  }

  /** Finds the environment by id or name; without one, the only one visible or the one named Default. */
  async project(idOrName?: string): Promise<ProjectClient> {
    if (idOrName) {
      const byName = await this.list("/v2-beta/projects", { name: idOrName });
      const live = byName.filter((p) => p.state !== "removed");
      if (live[0]) return new ProjectClient(this, live[0]);
      if (/^1a\d+$/.test(idOrName)) {
        try {
          return new ProjectClient(this, await this.request("GET", `/v2-beta/projects/${idOrName}`));
        } catch (e) {
          if (!(e instanceof ApiError && e.status === 404)) throw e;
        }
      }
      throw new ApiError(404, "NotFound", `no environment named ${idOrName}`);
    }
    const all = (await this.list("/v2-beta/projects")).filter((p) => p.state !== "removed");
    const found = all.length === 1 ? all[0] : all.find((p) => p.name === "Default");
    if (!found) {
      throw new ApiError(
        404,
        "NotFound",
        "no environment named Default: name one with --project or CORRAL_PROJECT",
      );
    }
    return new ProjectClient(this, found);
  }
}

/** A collection page. */
interface Collection<T> {
  data?: T[];
  pagination?: { next?: string | null } | null;
}

function toApiError(status: number, body: unknown, text: string): ApiError {
  const b = body as { type?: string; code?: string; message?: string; detail?: unknown } | null;
  if (b && b.type === "error" && typeof b.message === "string") {
    const message = status === 401 ? `${b.message} (check the access and secret keys)` : b.message;
    return new ApiError(status, b.code ?? "ServerError", message, b.detail);
  }
  const snippet = text.replace(/\s+/g, " ").trim().slice(0, 200);
  return new ApiError(status, "ServerError", `the server answered ${status}${snippet ? `: ${snippet}` : ""}`);
}

/** The client scoped to one environment: stacks, services and containers live there. */
export class ProjectClient {
  readonly api: ApiClient;
  readonly project: Resource;
  private readonly prefix: string;

  constructor(api: ApiClient, project: Resource) {
    this.api = api;
    this.project = project;
    this.prefix = `/v2-beta/projects/${encodeURIComponent(project.id)}`;
  }

  /** The live stack with this name, or null. Ids (`1st5`) are accepted as well. */
  async findStack(nameOrId: string): Promise<Resource | null> {
    const byName = await this.list("stacks", { name: nameOrId });
    const live = byName.find((s) => s.state !== "removed");
    if (live) return live;
    if (!/^1st\d+$/.test(nameOrId)) return null;
    try {
      const s = await this.get("stacks", nameOrId);
      return s.state === "removed" ? null : s;
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) return null;
      throw e;
    }
  }

  /** The live stack with this name, or an error saying it does not exist. */
  async requireStack(nameOrId: string): Promise<Resource> {
    const stack = await this.findStack(nameOrId);
    if (!stack) throw new ApiError(404, "NotFound", `no stack named ${nameOrId} in environment ${this.name}`);
    return stack;
  }

  /** The environment's name, for messages. */
  get name(): string {
    return this.project.name ?? this.project.id;
  }

  /** Every resource of a collection in this environment, filtered. */
  list(collection: string, params: Record<string, string | number | undefined> = {}): Promise<Resource[]> {
    return this.api.list(`${this.prefix}/${collection}`, params);
  }

  /** One resource. */
  get(collection: string, id: string): Promise<Resource> {
    return this.api.request("GET", `${this.prefix}/${collection}/${encodeURIComponent(id)}`);
  }

  /** Creates a resource. */
  create(collection: string, body: unknown): Promise<Resource> {
    return this.api.request("POST", `${this.prefix}/${collection}`, body);
  }

  /** Edits a resource. */
  update(collection: string, id: string, body: unknown): Promise<Resource> {
    return this.api.request("PUT", `${this.prefix}/${collection}/${encodeURIComponent(id)}`, body);
  }

  /** Runs an action (`POST …/<id>?action=<name>`). */
  action<T = Resource>(collection: string, id: string, name: string, body: unknown = {}): Promise<T> {
    const path = `${this.prefix}/${collection}/${encodeURIComponent(id)}${query({ action: name })}`;
    return this.api.request<T>("POST", path, body);
  }

  /** The live services of a stack, sorted by name. */
  async services(stackId: string): Promise<Resource[]> {
    const all = await this.list("services", { stackId });
    return all
      .filter((s) => s.state !== "removed")
      .sort((a, b) => (a.name ?? "").localeCompare(b.name ?? ""));
  }
}
