/**
 * The e2e tests' view of the Corral API: a small `/v2-beta` client scoped to one project, polling with
 * deadlines (`waitFor`), and the reader of the logs/exec hostAccess websockets.
 */

/** Polls `check` until it returns a truthy value, failing with `what` after `timeoutMs`. */
export async function waitFor<T>(
  what: string | (() => string),
  check: () => Promise<T | null | undefined | false> | T | null | undefined | false,
  timeoutMs = 20_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      const label = typeof what === "string" ? what : what();
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${label}`, { cause: last });
    }
    await Bun.sleep(intervalMs);
  }
}

/** A JSON resource as the API returns it. */
// biome-ignore lint/suspicious/noExplicitAny: API resources are checked field by field in the tests.
export type Resource = Record<string, any>;

/** An HTTP answer: status and parsed JSON body. */
export interface ApiAnswer {
  status: number;
  body: Resource;
}

/** A minimal client of the `/v2-beta` API, authenticated with an account key, scoped to one project. */
export class Api {
  constructor(
    readonly url: string,
    private readonly accessKey: string,
    private readonly secretKey: string,
    readonly projectId: string,
  ) {}

  /** Sends one request; `path` is relative to the server root. */
  async request(method: string, path: string, body?: unknown): Promise<ApiAnswer> {
    const res = await fetch(`${this.url}${path}`, {
      method,
      headers: {
        Authorization: `Basic ${btoa(`${this.accessKey}:${this.secretKey}`)}`,
        ...(body === undefined ? {} : { "Content-Type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : {} };
  }

  /** A path inside this API's project. */
  project(path = ""): string {
    return `/v2-beta/projects/${this.projectId}${path}`;
  }

  /** Creates a container (fails the test unless the API accepts it). */
  async createContainer(body: Resource): Promise<Resource> {
    const r = await this.request("POST", this.project("/containers"), body);
    if (r.status !== 201 && r.status !== 202 && r.status !== 200)
      throw new Error(`create container answered ${r.status}: ${JSON.stringify(r.body)}`);
    return r.body;
  }

  /** Reads one container by id. */
  async container(id: string): Promise<Resource> {
    const r = await this.request("GET", this.project(`/containers/${id}`));
    if (r.status !== 200)
      throw new Error(`GET container ${id} answered ${r.status}: ${JSON.stringify(r.body)}`);
    return r.body;
  }

  /** Runs a container action and returns the raw answer. */
  action(id: string, action: string, body: unknown = {}): Promise<ApiAnswer> {
    return this.request("POST", this.project(`/containers/${id}?action=${action}`), body);
  }

  /** Waits until a container's state is `state` (or one of them); returns the container. */
  waitContainer(id: string, state: string | string[], timeoutMs = 30_000): Promise<Resource> {
    const states = typeof state === "string" ? [state] : state;
    let seen = "";
    return waitFor(
      () => `container ${id} to be ${states.join(" or ")} (last seen ${seen})`,
      async () => {
        const c = await this.container(id);
        seen = `${c.state}: ${c.transitioningMessage ?? ""}`;
        return states.includes(c.state) ? c : null;
      },
      timeoutMs,
    ) as Promise<Resource>;
  }

  /** The project's hosts. */
  async hosts(): Promise<Resource[]> {
    return (await this.request("GET", this.project("/hosts"))).body.data ?? [];
  }

  /** Waits until a host's agentState is `agentState`; returns the host. */
  waitHost(hostId: string, agentState: string, timeoutMs = 20_000): Promise<Resource> {
    return waitFor(
      `host ${hostId} agentState ${agentState}`,
      async () => {
        const r = await this.request("GET", this.project(`/hosts/${hostId}`));
        return r.body.agentState === agentState ? r.body : null;
      },
      timeoutMs,
    );
  }
}

/** What a logs/exec stream delivered before it closed. */
export interface StreamResult {
  output: string;
  code: number;
  reason: string;
}

/** How to drive a logs/exec stream. */
export interface StreamOptions {
  /** Messages sent as soon as the socket opens (stdin for exec). */
  input?: string[];
  /** Closes the socket from this side once the output so far satisfies this. */
  until?: (output: string) => boolean;
  timeoutMs?: number;
}

/** Opens a hostAccess websocket, sends the input, and collects the output until the socket closes. */
export function readStream(url: string, options: StreamOptions = {}): Promise<StreamResult> {
  const timeoutMs = options.timeoutMs ?? 20_000;
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.binaryType = "arraybuffer";
    const decoder = new TextDecoder();
    let output = "";
    let done = false;
    const finish = (result: StreamResult) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(result);
    };
    const timer = setTimeout(() => {
      done = true;
      ws.close();
      reject(
        new Error(`stream did not close within ${timeoutMs} ms; output so far: ${JSON.stringify(output)}`),
      );
    }, timeoutMs);
    ws.onopen = () => {
      for (const chunk of options.input ?? []) ws.send(chunk);
    };
    ws.onmessage = (ev) => {
      output +=
        typeof ev.data === "string" ? ev.data : decoder.decode(ev.data as ArrayBuffer, { stream: true });
      if (options.until?.(output)) {
        ws.close(1000, "client done");
        finish({ output, code: 1000, reason: "client done" });
      }
    };
    ws.onclose = (ev) => finish({ output, code: ev.code, reason: ev.reason });
  });
}
