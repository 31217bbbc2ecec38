/**
 * Helpers of the API and protocol tests: an in-process server with fast liveness timings, a small
 * HTTP client that answers `{status, body}`, fixtures (projects with environment keys, registration
 * tokens), fake agents speaking the websocket protocol, and polling with a deadline.
 */
import { type RunningServer, type ServerOptions, startServer } from "@corral/server";

/** Liveness timings short enough to watch a host go reconnecting and disconnected in a test. */
export const fastTimings = { pingIntervalMs: 200, reconnectingAfterMs: 600, disconnectedAfterMs: 1500 };

/** Starts a server on a free port with an in-memory store and a generated admin key. */
export function startTestServer(options: Partial<ServerOptions> = {}): RunningServer {
  return startServer({
    port: 0,
    hostname: "127.0.0.1",
    dataDir: null,
    timings: fastTimings,
    env: {},
    ...options,
  });
}

/** The value of an HTTP Basic Authorization header. */
export function basic(accessKey: string, secretKey: string): string {
  return `Basic ${Buffer.from(`${accessKey}:${secretKey}`).toString("base64")}`;
}

/** An HTTP answer: status, parsed JSON body (or text when not JSON), headers. */
export interface Answer {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON shapes
  body: any;
  headers: Headers;
}

/** Options of a raw request. */
export interface RawOptions {
  body?: string | Uint8Array;
  headers?: Record<string, string>;
  /** `manual` to see a redirect instead of following it. */
  redirect?: "follow" | "manual";
}

/** A client of one server with one set of credentials (or none). */
export class Client {
  constructor(
    readonly base: string,
    readonly auth: string | null,
  ) {}

  /** Sends a request with an exact body and headers (the Authorization header is added when set). */
  async raw(method: string, path: string, options: RawOptions = {}): Promise<Answer> {
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    if (this.auth && headers.Authorization === undefined) headers.Authorization = this.auth;
    const url = path.startsWith("http") ? path : `${this.base}${path}`;
    const res = await fetch(url, { method, headers, body: options.body, redirect: options.redirect });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, body, headers: res.headers };
  }

  /** GET. */
  get(path: string): Promise<Answer> {
    return this.raw("GET", path);
  }

  /** POST with a JSON body (undefined sends none). */
  post(path: string, body?: unknown): Promise<Answer> {
    return this.raw("POST", path, json(body));
  }

  /** PUT with a JSON body. */
  put(path: string, body: unknown): Promise<Answer> {
    return this.raw("PUT", path, json(body));
  }

  /** DELETE. */
  del(path: string): Promise<Answer> {
    return this.raw("DELETE", path);
  }

  /** The same server with other credentials. */
  as(auth: string | null): Client {
    return new Client(this.base, auth);
  }
}

function json(body: unknown): RawOptions {
  if (body === undefined) return {};
  return { body: JSON.stringify(body), headers: { "Content-Type": "application/json" } };
}

/** A client holding the admin's key. */
export function adminClient(server: RunningServer): Client {
  return new Client(server.url, basic(server.admin.accessKey, server.admin.secretKey!));
}

/** Throws unless the answer has the expected status (showing the body, so failures explain themselves). */
export function expectStatus(answer: Answer, status: number): Answer {
  if (answer.status !== status)
    throw new Error(`expected HTTP ${status}, got ${answer.status}: ${JSON.stringify(answer.body)}`);
  return answer;
}

/** Number of rows other than audit rows: bad requests must not change it. */
export function nonAuditRows(server: RunningServer): number {
  return server.store.db
    .query<{ n: number }, []>("SELECT count(*) AS n FROM resource WHERE type != 'auditLog'")
    .get()!.n;
}

/**
 * A fingerprint of every row but audit rows (all columns except the update time): bad requests must
 * leave it as it was, which catches changed rows as well as added ones.
 */
export function rowsFingerprint(server: RunningServer): string {
  const rows = server.store.db
    .query<Record<string, unknown>, []>(
      "SELECT id, type, project_id, name, state, removed, lookup, secret, data FROM resource WHERE type != 'auditLog' ORDER BY id",
    )
    .all();
  return `${rows.length}:${Bun.hash(JSON.stringify(rows)).toString(16)}`;
}

/**
 * `rowsFingerprint` once it stops changing: the orchestrator may still be finishing what an
 * earlier request asked (a stack activating), and a busy machine stretches that out; a refusal's
 * "wrote nothing" is only measurable against rows at rest.
 */
export async function settledFingerprint(server: RunningServer): Promise<string> {
  let fingerprint = rowsFingerprint(server);
  for (let settled = 0; settled < 2; ) {
    await Bun.sleep(100);
    const again = rowsFingerprint(server);
    settled = again === fingerprint ? settled + 1 : 0;
    fingerprint = again;
  }
  return fingerprint;
}

/** Number of audit rows. */
export function auditRows(server: RunningServer): number {
  return server.store.db
    .query<{ n: number }, []>("SELECT count(*) AS n FROM resource WHERE type = 'auditLog'")
    .get()!.n;
}

/** A project with an environment key and a registration token. */
export interface ProjectFixture {
  id: string;
  name: string;
  key: { id: string; publicValue: string; secretValue: string };
  client: Client;
  token: string;
  tokenId: string;
}

let seq = 0;

/** A name unique in this process. */
export function uniqueName(prefix: string): string {
  seq++;
  return `${prefix}-${Date.now().toString(36)}-${seq}`;
}

/** Creates a project with an environment key and a registration token, as the admin. */
export async function createProject(admin: Client, name = uniqueName("env")): Promise<ProjectFixture> {
  const project = expectStatus(await admin.post("/v2-beta/projects", { name }), 201).body;
  const key = expectStatus(
    await admin.post(`/v2-beta/projects/${project.id}/apikeys`, { name: "k" }),
    201,
  ).body;
  const token = expectStatus(
    await admin.post(`/v2-beta/projects/${project.id}/registrationtokens`, {}),
    201,
  ).body;
  return {
    id: project.id,
    name,
    key: { id: key.id, publicValue: key.publicValue, secretValue: key.secretValue },
    client: admin.as(basic(key.publicValue, key.secretValue)),
    token: token.token,
    tokenId: token.id,
  };
}

/** Polls `check` until it returns a truthy value or the deadline passes. */
export async function until<T>(
  what: string,
  check: () => T | Promise<T>,
  timeoutMs = 5000,
  everyMs = 20,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await check();
    if (last) return last as NonNullable<T>;
    await Bun.sleep(everyMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${JSON.stringify(last)})`);
}

/** Valid host facts for hello and ping frames. */
export function hostFacts(hostname = "fake-host") {
  return {
    hostname,
    kernel: "6.1.0",
    os: "Debian GNU/Linux 12",
    arch: "x64",
    cpuCount: 2,
    cpuModel: "Fake CPU",
    cpuLoad: 0.1,
    memoryTotal: 1024,
    memoryUsed: 512,
    disks: [],
    dockerVersion: "24.0.0",
    ipAddresses: ["127.0.0.1"],
  };
}
