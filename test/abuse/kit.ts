/**
 * Helpers of the abuse tests: raw HTTP over a TCP socket (for requests fetch() will not send: bad
 * Host headers, oversized heads, bodies that lie about their length), the server's memory after a
 * full collection, and the checks every refusal must pass.
 */
import { expect } from "bun:test";
import { connect } from "node:net";

/** A raw HTTP answer: status line parsed, headers lowercased, body as text. */
export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** True when the server closed the connection after answering. */
  closed: boolean;
}

/**
 * Writes `head` (and then `body`, possibly in pieces) to the server and reads one answer. Resolves
 * once a whole answer (by Content-Length) has arrived or the server closed the connection, or
 * rejects after `timeoutMs`. `localAddress` (any 127.0.0.x, which Linux routes to loopback) makes
 * the server see another client address, as it would another machine's.
 */
export function rawRequest(
  port: number,
  head: string,
  body: Uint8Array | string = "",
  timeoutMs = 10_000,
  localAddress?: string,
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: "127.0.0.1", localAddress });
    let buf = Buffer.alloc(0);
    let settled = false;
    const timer = setTimeout(
      () => finish(new Error(`no answer within ${timeoutMs} ms to ${head.split("\r\n")[0]}`)),
      timeoutMs,
    );
    const finish = (error?: Error, closed = false) => {
      if (settled) return;
      const parsed = parse(buf, closed);
      if (!error && !parsed) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(parsed!);
    };
    socket.on("connect", () => {
      socket.write(head);
      if (body.length > 0) socket.write(body);
    });
    socket.on("data", (d) => {
      buf = Buffer.concat([buf, Buffer.from(d)]);
      finish();
    });
    socket.on("close", () =>
      finish(parse(buf, true) ? undefined : new Error("closed without an answer"), true),
    );
    socket.on("error", () => {
      // A reset after the answer (the server closes while we still write) is fine: close follows.
    });
  });
}

function parse(buf: Buffer, closed: boolean): RawAnswer | undefined {
  const end = buf.indexOf("\r\n\r\n");
  if (end === -1) return undefined;
  const lines = buf.subarray(0, end).toString("latin1").split("\r\n");
  const status = Number(lines[0]?.split(" ")[1]);
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const i = line.indexOf(":");
    headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  const rest = buf.subarray(end + 4);
  // A switch to websocket has no body to wait for.
  if (status === 101) return { status, headers, body: "", closed };
  const length = headers["content-length"];
  if (length !== undefined && rest.length < Number(length)) return undefined;
  if (length === undefined && !closed) return undefined;
  const text = rest.subarray(0, length === undefined ? rest.length : Number(length)).toString("utf8");
  return { status, headers, body: text, closed: closed || headers.connection === "close" };
}

/** The process's resident memory in MB after a full garbage collection. */
export function rssAfterGc(): number {
  Bun.gc(true);
  return process.memoryUsage().rss / 1e6;
}

/** Headers every answer must carry. */
export const securityHeaders = {
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
};

/** Asserts a body is Rancher's error shape with the given HTTP status; returns it parsed. */
export function expectErrorBody(status: number, body: unknown): { code: string; message: string } {
  const parsed = typeof body === "string" ? JSON.parse(body) : body;
  // Checked field by field: toMatchObject with expect.any() writes the matchers into `parsed`.
  expect([parsed?.type, parsed?.status, typeof parsed?.code, typeof parsed?.message]).toEqual([
    "error",
    status,
    "string",
    "string",
  ]);
  return parsed;
}
