import { signal } from "@preact/signals";
import type { Collection, ErrorBody, Resource } from "./types.ts";

/** An error answer of the API, with its code and detail (e.g. the compose parser's issues). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly detail?: unknown,
  ) {
    super(message);
  }
}

/** Set when the API answered 401: the app shows the login page. */
export const signedOut = signal(false);

/** The readable `CSRF` cookie the login set, which state-changing requests echo in a header. */
export function csrfToken(): string | null {
  for (const part of document.cookie.split(";")) {
    const [k, ...v] = part.trim().split("=");
    if (k === "CSRF") return decodeURIComponent(v.join("="));
  }
  return null;
}

/**
 * Sends one request to the public API with the session cookie. Non-GET requests carry the
 * `X-API-CSRF` header; error answers become {@link ApiError}.
 */
export async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  // No-Challenge: a 401 must reach the app (which shows its login page), not the browser's dialog.
  const headers: Record<string, string> = { Accept: "application/json", "X-API-No-Challenge": "true" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET") {
    const token = csrfToken();
    if (token) headers["X-API-CSRF"] = token;
  }
  const res = await fetch(path, {
    method,
    headers,
    credentials: "same-origin",
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  if (!res.ok) {
    if (res.status === 401) signedOut.value = true;
    const e = (parsed ?? {}) as Partial<ErrorBody>;
    throw new ApiError(res.status, e.code ?? "Error", e.message ?? `HTTP ${res.status}`, e.detail);
  }
  return parsed as T;
}

/** The project-scoped path of a collection: `/v2-beta/projects/<pid>/<collection>`. */
export function projectPath(projectId: string, collection: string): string {
  return `/v2-beta/projects/${encodeURIComponent(projectId)}/${collection}`;
}

/** Typed helpers over {@link request}. */
export const api = {
  /** Every item of a collection (`limit=-2`: Rancher's "all rows"; the UI shows whole lists). */
  async list<T extends Resource>(path: string): Promise<T[]> {
    const sep = path.includes("?") ? "&" : "?";
    return (await request<Collection<T>>("GET", `${path}${sep}limit=-2`)).data;
  },
  get<T>(path: string): Promise<T> {
    return request<T>("GET", path);
  },
  create<T>(path: string, body: unknown): Promise<T> {
    return request<T>("POST", path, body);
  },
  update<T>(resource: Resource, body: unknown): Promise<T> {
    return request<T>("PUT", resource.links.self!, body);
  },
  /** Deletes a resource (its `self` link). */
  remove<T>(resource: Resource): Promise<T> {
    return request<T>("DELETE", resource.links.self!);
  },
  /** Runs one of the resource's actions (the URL comes from its `actions` map). */
  action<T>(resource: Resource, name: string, body: unknown = {}): Promise<T> {
    const url = resource.actions[name];
    if (!url) return Promise.reject(new ApiError(422, "InvalidAction", `${name} is not available now`));
    return request<T>("POST", url, body);
  },
};
