import { createConnection } from "node:net";
import type { CorralConfig } from "../config/config-schema.ts";
import { bounded } from "./changes.ts";
import { commandWords } from "./container-spec.ts";
import type { Engine } from "./engine.ts";
import type { HealthSpec } from "./health-schema.ts";
import { substitute } from "./service-config.ts";
import type { ServiceSpec } from "./service-schema.ts";

/** What one probe asks. */
export type HealthTarget =
  | { kind: "command"; command: string[] }
  | { kind: "socket"; socket: string }
  | { kind: "http"; url: string; socket?: string };

/** A service's health check with config values substituted, durations in milliseconds. */
export type HealthCheck = HealthTarget & Omit<HealthSpec, "command" | "socket" | "http">;

/** The check of `spec` under `config`, or undefined when it declares none. */
export function healthCheckOf(spec: ServiceSpec, config: CorralConfig): HealthCheck | undefined {
  const h = spec.health;
  if (!h) return undefined;
  const { command, socket, http, ...timing } = h;
  if (command !== undefined) return { kind: "command", command: commandWords(command, config)!, ...timing };
  const path = socket === undefined ? undefined : substitute(socket, config);
  if (http === undefined) return { kind: "socket", socket: path!, ...timing };
  const url = substitute(http, config);
  // Over a unix socket the host part of the URL is not used; Docker's API expects one all the same.
  return path === undefined
    ? { kind: "http", url, ...timing }
    : { kind: "http", url: `http://localhost${url}`, socket: path, ...timing };
}

/** Runs one probe of a service's check: resolves when healthy, throws saying why not. */
export type HealthProbe = (service: string, check: HealthCheck, signal: AbortSignal) => Promise<void>;

/** Resolves once a unix socket accepts a connection. */
function connect(path: string, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ path });
    const fail = (e: unknown) => {
      socket.destroy();
      reject(e instanceof Error ? e : new Error(String(e)));
    };
    const abort = () => fail(new Error(`no connection to ${path} in time`));
    signal.addEventListener("abort", abort, { once: true });
    socket.once("connect", () => {
      signal.removeEventListener("abort", abort);
      socket.end();
      resolve();
    });
    socket.once("error", (e) => {
      signal.removeEventListener("abort", abort);
      fail(e);
    });
  });
}

/**
 * The real probes: a command through the engine (in the service's own container), a socket or an
 * HTTP GET from PID 1 itself (host paths and addresses), each bounded by the check's timeout.
 */
export function realProbe(engine: Engine): HealthProbe {
  return async (service, check, signal) => {
    const limit = bounded(signal, check.timeout);
    try {
      await probeOnce(engine, service, check, limit.signal);
    } finally {
      limit.dispose();
    }
  };
}

/** One probe of `check`, given up when `signal` aborts. */
async function probeOnce(engine: Engine, service: string, check: HealthCheck, signal: AbortSignal) {
  if (check.kind === "command") {
    const r = await engine.exec(service, check.command, check.timeout);
    if (r.code === 0) return;
    const last = r.output.trim().split("\n").at(-1) ?? "";
    throw new Error(`${check.command[0]} exited with code ${r.code}${last ? `: ${last}` : ""}`);
  }
  if (check.kind === "socket") return connect(check.socket, signal);
  const init = { signal, redirect: "manual", ...(check.socket ? { unix: check.socket } : {}) };
  const res = await fetch(check.url, init as RequestInit);
  await res.body?.cancel();
  if (res.status >= 400) {
    const where = check.socket ? `${check.socket} ${new URL(check.url).pathname}` : check.url;
    throw new Error(`GET ${where} answered ${res.status}`);
  }
}
