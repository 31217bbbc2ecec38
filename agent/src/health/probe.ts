import { connect, type Socket } from "node:net";

/** The outcome of one probe: a pass, or a failure with what went wrong. */
export interface ProbeResult {
  ok: boolean;
  reason?: string;
}

/** What one probe needs: where, which port, the request line (empty = TCP) and the time allowed. */
export interface ProbeTarget {
  address: string;
  port: number;
  requestLine?: string;
  responseTimeout: number;
}

/** Runs one probe. The checker depends on this type, so tests can hand it a fake. */
export type Probe = (target: ProbeTarget) => Promise<ProbeResult>;

/**
 * A counting semaphore over open sockets, so a host with thousands of checked containers never
 * holds more than `max` probe connections at once (file descriptors, conntrack entries).
 */
export class SocketLimiter {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly max: number) {}

  /** Waits for a free slot; the returned function gives it back (call it exactly once). */
  async acquire(): Promise<() => void> {
    if (this.active >= this.max) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      // Hand the slot straight to the next waiter, so `active` never dips and overshoots.
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    };
  }
}

/**
 * Splits a Rancher/HAProxy request line into words: whitespace separates words except inside
 * double quotes; a backslash escapes the next character, and `\r`, `\n`, `\t` stand for CR, LF, tab
 * (HAProxy users append headers as `"HTTP/1.1\r\nHost:\ example.com"`).
 */
export function splitRequestLine(line: string): string[] {
  const words: string[] = [];
  let word: string | null = null;
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (ch === "\\" && i + 1 < line.length) {
      const next = line[++i]!;
      word = (word ?? "") + ({ r: "\r", n: "\n", t: "\t" }[next] ?? next);
    } else if (ch === '"') {
      quoted = !quoted;
      word ??= "";
    } else if (!quoted && /\s/.test(ch)) {
      if (word !== null) words.push(word);
      word = null;
    } else word = (word ?? "") + ch;
  }
  if (word !== null) words.push(word);
  return words;
}

/**
 * The bytes of the HTTP request for a request line, as HAProxy's `option httpchk` builds them:
 * `<uri>` alone means OPTIONS, a missing version means HTTP/1.0. A Host header naming the probed
 * address is added unless the line carries its own.
 */
export function buildHttpRequest(requestLine: string, host: string): string {
  const words = splitRequestLine(requestLine.trim());
  const [method, uri, ...version] = words.length <= 1 ? ["OPTIONS", ...words] : words;
  const rest = version.length > 0 ? version.join(" ") : "HTTP/1.0";
  const head = `${method} ${uri || "/"} ${rest}`.replace(/\r?\n$/, "");
  const hasHost = /\r?\nhost:/i.test(head);
  const hostHeader = host.includes(":") ? `[${host}]` : host;
  return `${head}\r\n${hasHost ? "" : `Host: ${hostHeader}\r\n`}\r\n`;
}

/** The status code of an HTTP status line, or null when the text is not one. */
export function statusOf(line: string): number | null {
  const match = /^HTTP\/\d(?:\.\d)?\s+(\d{3})\b/.exec(line);
  return match ? Number(match[1]) : null;
}

/** The longest status line accepted; a server that sends more without a newline is not HTTP. */
const maxStatusLine = 8192;

/**
 * Probes over one TCP connection: a connect is a pass for a TCP check; for an HTTP check the
 * request is sent and a 2xx or 3xx status line is a pass. Everything must happen within
 * `responseTimeout`; the socket is always destroyed (no keep-alive, no draining the body).
 */
function probeOnce(target: ProbeTarget): Promise<ProbeResult> {
  const { address, port, requestLine, responseTimeout } = target;
  const http = Boolean(requestLine?.trim());
  return new Promise((resolve) => {
    let socket: Socket | undefined;
    let received = "";
    const finish = (result: ProbeResult) => {
      clearTimeout(timer);
      socket?.destroy();
      resolve(result);
    };
    const timer = setTimeout(
      () =>
        finish({
          ok: false,
          reason: `no ${http ? "HTTP response" : "connection"} within ${responseTimeout} ms`,
        }),
      responseTimeout,
    );
    socket = connect({ host: address, port });
    socket.once("connect", () => {
      if (!http) return finish({ ok: true });
      socket?.write(buildHttpRequest(requestLine ?? "", address));
    });
    socket.on("data", (chunk: Buffer) => {
      received += chunk.toString("latin1");
      const end = received.indexOf("\n");
      if (end < 0 && received.length < maxStatusLine) return;
      const line = received.slice(0, end < 0 ? maxStatusLine : end).trim();
      const status = statusOf(line);
      if (status === null) return finish({ ok: false, reason: "response is not HTTP" });
      if (status >= 200 && status < 400) return finish({ ok: true });
      finish({ ok: false, reason: `HTTP ${status}` });
    });
    socket.once("end", () => finish({ ok: false, reason: "connection closed before a response" }));
    socket.once("error", (e: NodeJS.ErrnoException) =>
      finish({ ok: false, reason: e.code === "ECONNREFUSED" ? "connection refused" : e.message }),
    );
  });
}

/** A Probe over real sockets that holds at most `maxSockets` connections open at once. */
export function createNetworkProbe(maxSockets = 500): Probe {
  const limiter = new SocketLimiter(maxSockets);
  return async (target) => {
    const release = await limiter.acquire();
    try {
      return await probeOnce(target);
    } finally {
      release();
    }
  };
}
