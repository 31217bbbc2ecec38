/**
 * The request generator of the fuzzer: random and mutated requests (methods, paths, query strings,
 * headers, JSON bodies, compose files) built from what the API really has, so most requests get
 * past routing and reach the code behind it.
 */
import { enc, mutateCompose, mutateJson, nasty, type Rand, randomJson, randomText } from "./fuzz-values.ts";

/** What the generator knows of the server under test. */
export interface FuzzWorld {
  base: string;
  port: number;
  projectIds: string[];
  /** Public ids of rows that exist (stacks, services, containers, hosts, keys, tokens...). */
  ids: string[];
  tokens: string[];
  /** Credentials to choose from: Authorization header values (null: none). */
  auths: (string | null)[];
  /** Compose files to mutate. */
  composeFiles: string[];
}

/** One generated request, described well enough to replay by hand. */
export interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

const collections = [
  "projects",
  "accounts",
  "apikeys",
  "registrationtokens",
  "hosts",
  "containers",
  "stacks",
  "services",
  "certificates",
  "auditlogs",
];
const actions = [
  "activate",
  "deactivate",
  "remove",
  "purge",
  "start",
  "stop",
  "restart",
  "evacuate",
  "upgrade",
  "finishupgrade",
  "rollback",
  "cancelupgrade",
  "exportconfig",
  "activateservices",
  "deactivateservices",
  "setservicelinks",
  "logs",
  "execute",
  "rotateipsecpsk",
  "constructor",
  "__proto__",
  "toString",
];
const filterFields = [
  "name",
  "state",
  "created",
  "removed",
  "id",
  "scale",
  "kind",
  "accountId",
  "responseCode",
  "hostId",
  "stackId",
  "global",
  "exitCode",
  "expiresAt",
  "uuid",
  "nope",
  "__proto__",
];
const modifiers = [
  "",
  "_ne",
  "_lt",
  "_lte",
  "_gt",
  "_gte",
  "_prefix",
  "_like",
  "_notlike",
  "_null",
  "_notnull",
  "_bogus",
];

/** Bodies that are right for some endpoint, to mutate. */
function validBodies(w: FuzzWorld, r: Rand): Record<string, unknown>[] {
  return [
    { name: `p${r.int(1e6)}` },
    { name: `k${r.int(1e6)}`, description: "fuzz" },
    {
      name: `c${r.int(1e6)}`,
      imageUuid: "docker:corral/busybox",
      command: ["sleep", "1"],
      ports: ["8081:80"],
    },
    { name: `s${r.int(1e6)}`, startOnCreate: false, dockerCompose: r.pick(w.composeFiles) },
    { token: r.pick(w.tokens), hostname: "h", uuid: `u-${r.int(1e6)}` },
    { generate: { hostname: "fuzz.example.com" } },
    { scale: r.int(5) },
    { labels: { a: "b" } },
    { dockerCompose: r.pick(w.composeFiles), environment: { V: "x" } },
    {
      stackId: r.pick(w.ids),
      name: `svc${r.int(1e6)}`,
      launchConfig: { imageUuid: "docker:corral/busybox" },
    },
    { serviceLinks: [{ serviceId: r.pick(w.ids), name: "db" }] },
    { lines: 10, follow: false },
    { command: ["sh"], tty: true },
  ];
}

/** A path: a real one of the API, sometimes bent out of shape. */
function randomPath(r: Rand, w: FuzzWorld): string {
  const pid = r.pick(w.projectIds);
  const collection = r.pick(collections);
  const id = r.chance(0.8) ? r.pick(w.ids) : randomText(r);
  const shapes = [
    "/",
    "/ping",
    "/metrics",
    "/v2-beta",
    "/v2-beta/schemas",
    `/v2-beta/schemas/${r.pick(collections)}`,
    `/v2-beta/scripts/${r.pick(w.tokens)}`,
    "/v2-beta/register",
    "/v2-beta/binaries/corral",
    "/v2-beta/subscribe",
    "/v2-beta/streams?token=x",
    `/v2-beta/${collection}`,
    `/v2-beta/${collection}/${id}`,
    `/v2-beta/${collection}/${id}/stats`,
    `/v2-beta/projects/${pid}/${collection}`,
    `/v2-beta/projects/${pid}/${collection}/${id}`,
    `/v2-beta/projects/${pid}/${collection}/${id}/${r.pick(["stats", "logs", "x"])}`,
  ];
  let path = r.pick(shapes);
  if (r.chance(0.15)) {
    const parts = path.split("/");
    const i = 1 + r.int(Math.max(1, parts.length - 1));
    parts[i] = r.pick([
      enc(randomText(r)),
      "%zz",
      "%",
      "..",
      "",
      "%2e%2e",
      "A".repeat(3000),
      (parts[i] ?? "").toUpperCase(),
    ]);
    path = parts.join("/");
  }
  if (r.chance(0.05)) path = path.replaceAll("/", "//");
  return path;
}

/** A query string of Rancher-style filters and paging, with random values. */
function randomQuery(r: Rand, method: string): string {
  const params: string[] = [];
  if (method === "POST" && r.chance(0.7)) params.push(`action=${r.pick(actions)}`);
  const n = r.int(4);
  for (let i = 0; i < n; i++) {
    const roll = r.int(10);
    const value = enc(r.chance(0.5) ? r.pick(nasty) : randomText(r));
    if (roll < 6) params.push(`${r.pick(filterFields)}${r.pick(modifiers)}=${value}`);
    else if (roll === 6) params.push(`limit=${r.pick(["0", "1", "1000", "1001", "-2", "x", value])}`);
    else if (roll === 7) params.push(`marker=${r.pick(["m1", "o5", "o99999999999", "x", value])}`);
    else if (roll === 8) params.push(`sort=${r.pick(filterFields)}&order=${r.pick(["asc", "desc", value])}`);
    else params.push(`${enc(randomText(r))}=${value}`);
  }
  return params.length ? `?${params.join("&")}` : "";
}

/** Headers: credentials, Host, Origin, Content-Type, and now and then something odd. */
function randomHeaders(r: Rand, w: FuzzWorld): Record<string, string> {
  const h: Record<string, string> = {};
  const auth = r.pick(w.auths);
  if (auth !== null) h.Authorization = auth;
  if (r.chance(0.08))
    h.Authorization = r.pick([
      "Basic",
      "Basic !!!",
      `Basic ${Buffer.from(randomText(r)).toString("base64")}`,
      "Bearer x",
      randomText(r),
    ]);
  if (r.chance(0.08))
    h.Host = r.pick(["a b", "", "[::1", "x:99999", "a/b", "localhost", `127.0.0.1:${w.port}`, randomText(r)]);
  if (r.chance(0.1)) h.Origin = r.pick([w.base, "http://evil.example", "null", randomText(r)]);
  const type = r.int(10);
  if (type < 7) h["Content-Type"] = "application/json";
  else if (type === 7)
    h["Content-Type"] = r.pick([
      "application/x-www-form-urlencoded",
      "text/plain",
      "multipart/form-data; boundary=x",
      "application/json; charset=latin1",
      "application/vnd.x+json",
      randomText(r),
    ]);
  if (r.chance(0.05)) h[`X-${r.int(1000)}`] = randomText(r).slice(0, 8000);
  if (r.chance(0.03)) h.Accept = randomText(r);
  // Header values fetch() cannot send are left out; the raw-socket tests cover those.
  for (const [k, v] of Object.entries(h)) if (!/^[\t\x20-\x7e]*$/.test(v)) delete h[k];
  return h;
}

/** Actions each collection has, so templated requests reach the action code. */
const actionsOf: Record<string, string[]> = {
  projects: ["activate", "deactivate", "rotateipsecpsk"],
  accounts: ["activate", "deactivate"],
  apikeys: ["activate", "deactivate"],
  hosts: ["activate", "deactivate", "evacuate"],
  containers: ["start", "stop", "restart", "remove", "purge", "logs", "execute"],
  stacks: [
    "activateservices",
    "deactivateservices",
    "upgrade",
    "finishupgrade",
    "rollback",
    "cancelupgrade",
    "exportconfig",
    "remove",
  ],
  services: [
    "activate",
    "deactivate",
    "restart",
    "upgrade",
    "finishupgrade",
    "rollback",
    "cancelupgrade",
    "setservicelinks",
    "remove",
  ],
};

/** A request shaped like a real one (right method, path and body), before any mutation. */
function templated(r: Rand, w: FuzzWorld): FuzzRequest {
  const pid = r.pick(w.projectIds.slice(0, 2));
  const id = r.pick(w.ids);
  const json = (method: string, path: string, body: unknown): FuzzRequest => ({
    method,
    path,
    headers: {},
    body: JSON.stringify(body),
  });
  const compose = () => (r.chance(0.5) ? mutateCompose(r, r.pick(w.composeFiles)) : r.pick(w.composeFiles));
  switch (r.int(12)) {
    case 0:
      return json("POST", "/v2-beta/projects", {
        name: `p${r.int(1e6)}`,
        description: randomText(r).slice(0, 100),
      });
    case 1:
      return json("POST", `/v2-beta/projects/${pid}/${r.pick(["apikeys", "registrationtokens"])}`, {
        name: `k${r.int(1e6)}`,
      });
    case 2:
      return json("POST", `/v2-beta/projects/${pid}/containers`, {
        name: `c${r.int(1e6)}`,
        imageUuid: "docker:corral/busybox",
        command: ["sleep", "1"],
        ...(r.chance(0.3) ? { ports: [`${8000 + r.int(100)}:80`] } : {}),
        ...(r.chance(0.3) ? { labels: { [randomText(r).slice(0, 20) || "k"]: "v" } } : {}),
      });
    case 3:
      return json("POST", `/v2-beta/projects/${pid}/stacks`, {
        name: `s${r.int(1e6)}`,
        startOnCreate: false,
        dockerCompose: compose(),
        environment: { V: "v".repeat(r.pick([1, 1000, 100_000])), W: "w" },
      });
    case 4:
      return json("POST", `/v2-beta/projects/${pid}/services`, {
        stackId: id,
        name: `svc${r.int(1e6)}`,
        scale: r.int(3),
        launchConfig: { imageUuid: "docker:corral/busybox", ...(r.chance(0.3) ? { ports: ["80"] } : {}) },
      });
    case 5:
      return json("POST", `/v2-beta/projects/${pid}/certificates`, {
        name: `cert${r.int(1e6)}`,
        generate: { hostname: r.chance(0.8) ? "fuzz.example.com" : randomText(r) },
      });
    case 6:
      return json("POST", "/v2-beta/register", {
        token: r.pick(w.tokens),
        hostname: "h",
        uuid: `u-${r.int(1e6)}`,
      });
    case 7: {
      const collection = r.pick(Object.keys(actionsOf));
      const action = r.pick(actionsOf[collection]!);
      const body =
        action === "upgrade"
          ? { dockerCompose: compose(), inServiceStrategy: {} }
          : r.chance(0.5)
            ? {}
            : undefined;
      return {
        method: "POST",
        path: `/v2-beta/projects/${pid}/${collection}/${id}?action=${action}`,
        headers: {},
        body: body && JSON.stringify(body),
      };
    }
    case 8:
      return json("PUT", `/v2-beta/projects/${pid}/${r.pick(collections)}/${id}`, {
        [r.pick(["name", "description", "scale", "labels"])]: r.pick([
          `n${r.int(100)}`,
          "d",
          r.int(3),
          { a: "b" },
        ]),
      });
    case 9:
      return { method: "DELETE", path: `/v2-beta/projects/${pid}/${r.pick(collections)}/${id}`, headers: {} };
    default:
      return {
        method: "GET",
        path: `/v2-beta/projects/${pid}/${r.pick(collections)}${randomQuery(r, "GET")}`,
        headers: {},
      };
  }
}

/** One random request: half shaped like real ones (then sometimes bent), half anything at all. */
export function randomRequest(r: Rand, w: FuzzWorld): FuzzRequest {
  if (r.chance(0.5)) {
    const q = templated(r, w);
    const headers = randomHeaders(r, w);
    if (q.body !== undefined && r.chance(0.3)) q.body = JSON.stringify(mutateJson(r, JSON.parse(q.body)));
    if (r.chance(0.1)) q.path += `${q.path.includes("?") ? "&" : "?"}${randomQuery(r, q.method).slice(1)}`;
    return { ...q, headers };
  }
  const method = r.pick([
    "GET",
    "GET",
    "GET",
    "POST",
    "POST",
    "POST",
    "PUT",
    "DELETE",
    "PATCH",
    "HEAD",
    "OPTIONS",
  ]);
  const path = randomPath(r, w) + (r.chance(0.6) ? randomQuery(r, method) : "");
  const headers = randomHeaders(r, w);
  let body: string | undefined;
  if (method === "POST" || method === "PUT" || (method === "DELETE" && r.chance(0.2))) {
    const roll = r.int(20);
    if (roll < 9) body = JSON.stringify(mutateJson(r, r.pick(validBodies(w, r))));
    else if (roll < 12)
      body = JSON.stringify({
        name: `f${r.int(1e6)}`,
        startOnCreate: false,
        dockerCompose: mutateCompose(r, r.pick(w.composeFiles)),
        ...(r.chance(0.5) ? { rancherCompose: mutateCompose(r, "web:\n  scale: 1\n") } : {}),
        environment: { V: "v".repeat(r.pick([1, 1000, 100_000])), W: "w" },
      });
    else if (roll < 14) body = JSON.stringify(randomJson(r));
    else if (roll < 16)
      body = r.pick(["", "{", "[1,", "nul", "{}}", '{"a":1,"a":2}', "\u0000", randomText(r)]);
    else if (roll < 17) body = JSON.stringify({ name: "x", blob: "y".repeat(r.pick([900_000, 1_100_000])) });
    else if (roll < 18) body = `${"[".repeat(100_000)}${"]".repeat(100_000)}`;
    else body = JSON.stringify(validBodies(w, r)[r.int(4)]);
  }
  return { method, path, headers, body };
}

/** A short description of a request for failure messages. */
export function describeRequest(q: FuzzRequest): string {
  const body = q.body === undefined ? "" : ` body(${q.body.length})=${JSON.stringify(q.body.slice(0, 300))}`;
  return `${q.method} ${q.path.slice(0, 300)} headers=${JSON.stringify(q.headers).slice(0, 400)}${body}`;
}
