import { mkdirSync, rmSync } from "node:fs";
import { dirname } from "node:path";
import type { ServiceStatus } from "../services/service-status.ts";
import type { PowerAction } from "./power.ts";

/** A `corral install` request: parsed arguments and the cloud-config's text (read by the caller). */
export interface InstallRequest {
  argv: string[];
  cloudConfig?: string;
}

/** PID 1's control socket: `corral service` and `corral os` talk to it. */
export const initSocketPath = "/run/corral/init.sock";

/** What PID 1 answers on its socket. */
export interface ControlHandlers {
  status(): ServiceStatus[];
  reconcile(): Promise<ServiceStatus[]>;
  power(action: PowerAction): void;
  /** Installs to disk; resolves with the installer's log lines. */
  install(req: InstallRequest): Promise<{ log: string[]; reboot: boolean }>;
}

/** Serves HTTP on a unix socket: GET /status, POST /reconcile, POST /poweroff|/reboot|/halt, POST /install. */
export function serveControl(path: string, handlers: ControlHandlers): { stop(): void } {
  mkdirSync(dirname(path), { recursive: true });
  rmSync(path, { force: true });
  const server = Bun.serve({
    unix: path,
    async fetch(req) {
      const route = `${req.method} ${new URL(req.url).pathname}`;
      try {
        if (route === "GET /status") return Response.json(handlers.status());
        if (route === "POST /reconcile") return Response.json(await handlers.reconcile());
        if (route === "POST /install") {
          const done = await handlers.install((await req.json()) as InstallRequest);
          if (done.reboot) setTimeout(() => handlers.power("reboot"), 50);
          return Response.json({ log: done.log });
        }
        const m = /^POST \/(poweroff|reboot|halt)$/.exec(route);
        if (m) {
          // Answer first: the shutdown kills the caller.
          setTimeout(() => handlers.power(m[1] as PowerAction), 50);
          return Response.json({ ok: true });
        }
        return Response.json({ error: `no route ${route}` }, { status: 404 });
      } catch (e) {
        return Response.json({ error: e instanceof Error ? e.message : String(e) }, { status: 500 });
      }
    },
  });
  return { stop: () => server.stop(true) };
}

/** Calls PID 1 over its socket; throws a clear error when PID 1 is not listening (not CorralOS). */
export async function callInit(
  path: string,
  method: "GET" | "POST",
  route: string,
  body?: unknown,
): Promise<unknown> {
  let res: Response;
  try {
    // No client timeout: an install takes minutes on a slow disk.
    const init = {
      method,
      unix: path,
      timeout: false,
      body: body === undefined ? undefined : JSON.stringify(body),
    };
    res = await fetch(`http://init${route}`, init as RequestInit);
  } catch {
    throw new Error(`cannot reach corral init on ${path} (is this CorralOS?)`);
  }
  const answer = (await res.json()) as { error?: string };
  if (!res.ok) throw new Error(answer.error ?? `HTTP ${res.status}`);
  return answer;
}
