/**
 * `/v1`: Rancher 1.6 served its API under `/v1` as well as `/v2-beta`, and many scripts still call
 * it. The store and verbs are the same; only the vocabulary differs: v1 calls a stack an
 * `environment` (`/v1/projects/<id>/environments/<id>/services`, `environmentId` on services and
 * containers). A v1 request is translated into the v2-beta one, served by the same app, and its
 * answer translated back: keys, type names and this server's own URLs; user content (compose
 * files, labels, environment variables) is left as it is.
 */

/** Keys whose values are free-form user data: never translated. */
const opaque = new Set([
  "dockerCompose",
  "rancherCompose",
  "environment",
  "labels",
  "metadata",
  "answers",
  "config",
  "driverOpts",
]);

/** Type names that differ between the two versions (v2-beta -> v1). */
const typeToV1: Record<string, string> = { stack: "environment" };
const typeToV2: Record<string, string> = { environment: "stack" };

/** Collection path segments (v2-beta -> v1). */
const collectionToV1: Record<string, string> = { stacks: "environments" };
const collectionToV2: Record<string, string> = { environments: "stacks" };

/** Keys (v2-beta -> v1). */
const keyToV1: Record<string, string> = { stackId: "environmentId" };
const keyToV2: Record<string, string> = { environmentId: "stackId" };

/** A v1 path and query as the v2-beta path and query. */
export function v1PathToV2(pathname: string, search: string): string {
  const params = new URLSearchParams(search);
  let path = pathname.replace(/^\/v1(?=\/|$)/, "/v2-beta");
  // A stack's services: a link in v2-beta, a sub-collection in v1.
  const services = /^(.*)\/environments\/([^/]+)\/services$/.exec(path);
  if (services) {
    path = `${services[1]}/services`;
    params.set("stackId", services[2]!);
  }
  path = path
    .split("/")
    .map((seg) => collectionToV2[seg] ?? seg)
    .join("/");
  const out = new URLSearchParams();
  for (const [k, v] of params) out.append(keyToV2[k] ?? k, k === "type" ? (typeToV2[v] ?? v) : v);
  const q = out.toString();
  return q ? `${path}?${q}` : path;
}

/** One of this server's v2-beta URLs as its v1 URL; other strings unchanged. */
function urlToV1(value: string, base: string): string {
  const root = `${base}/v2-beta`;
  if (!value.startsWith(root) && !value.startsWith(`${base.replace(/^http/, "ws")}/v2-beta`)) return value;
  const ws = !value.startsWith(root);
  const rest = value.slice(root.length + (ws ? 2 : 0));
  const [path = "", query] = rest.split("?", 2) as [string, string | undefined];
  const v1Path = path
    .split("/")
    .map((seg) => collectionToV1[seg] ?? seg)
    .join("/");
  let v1Query = "";
  if (query !== undefined) {
    const params = new URLSearchParams(query);
    const out = new URLSearchParams();
    for (const [k, v] of params) out.append(keyToV1[k] ?? k, v);
    v1Query = `?${out.toString()}`;
  }
  return `${ws ? base.replace(/^http/, "ws") : base}/v1${v1Path}${v1Query}`;
}

/** An answer body of v2-beta in v1's words. */
export function toV1(value: unknown, base: string, key = ""): unknown {
  if (typeof value === "string") {
    if ((key === "type" || key === "resourceType" || key === "baseType") && typeToV1[value])
      return typeToV1[value];
    return urlToV1(value, base);
  }
  if (Array.isArray(value)) return value.map((v) => toV1(v, base, key));
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  const isSchema = (value as { type?: unknown }).type === "schema";
  for (const [k, v] of Object.entries(value)) {
    const name =
      keyToV1[k] ?? (key === "createTypes" || key === "links" ? (typeToV1[k] ?? collectionToV1[k] ?? k) : k);
    if (opaque.has(k) && key !== "resourceFields") out[name] = v;
    else if (isSchema && (k === "id" || k === "pluralName"))
      out[name] = typeof v === "string" ? (typeToV1[v] ?? collectionToV1[v] ?? v) : v;
    else out[name] = toV1(v, base, k);
  }
  return out;
}

/** A request body in v1's words as v2-beta's. */
export function bodyToV2(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(bodyToV2);
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value))
    Object.defineProperty(out, keyToV2[k] ?? k, {
      value: opaque.has(k) ? v : bodyToV2(v),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  return out;
}

/**
 * Serves one `/v1` request through `serve` (the app itself, at the v2-beta path) and translates the
 * answer back. A body that is not JSON is passed on unchanged, for the app to refuse.
 */
export async function serveV1(req: Request, serve: (req: Request) => Promise<Response>): Promise<Response> {
  const url = new URL(req.url);
  const base = url.origin;
  const target = `${base}${v1PathToV2(url.pathname, url.search)}`;
  let body: string | undefined;
  if (req.method !== "GET" && req.method !== "HEAD") {
    const text = await req.text();
    body = text;
    if (text.trim() !== "") {
      try {
        body = JSON.stringify(bodyToV2(JSON.parse(text)));
      } catch {
        // Not JSON: the app answers with its own error.
      }
    }
  }
  const headers = new Headers(req.headers);
  headers.delete("content-length");
  const res = await serve(new Request(target, { method: req.method, headers, body }));
  const out = new Headers(res.headers);
  const schemas = out.get("x-api-schemas");
  if (schemas) out.set("X-API-Schemas", urlToV1(schemas, base));
  const type = out.get("content-type") ?? "";
  if (!type.includes("json")) return new Response(res.body, { status: res.status, headers: out });
  const text = await res.text();
  out.delete("content-length");
  try {
    return new Response(JSON.stringify(toV1(JSON.parse(text), base)), { status: res.status, headers: out });
  } catch {
    return new Response(text, { status: res.status, headers: out });
  }
}
