import { mkdirSync, rmSync } from "node:fs";
import { dirname } from "node:path";
import type { ServiceStatus } from "../services/service-status.ts";
import type { ChannelRelease } from "../upgrade/channel.ts";
import type { OsStatus, UpgradeRequest } from "../upgrade/upgrade.ts";
import { type ConfigControlHandlers, configRoute } from "./config-routes.ts";
import type { ConsoleState } from "./console-pin.ts";
import { type EngineControlHandlers, engineRoute } from "./engine-routes.ts";
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
  /** `corral console`: PID 1 reads and writes the choice (the config is root's alone). */
  console?: {
    /** The consoles, this boot's and the one the config chooses for the next boots. */
    state(): ConsoleState;
    /**
     * Saves the choice, and with `now` switches, after answering (the switch stops the caller's
     * console). Throws on an unknown console.
     */
    choose(req: { name: string; now: boolean }): void;
  };
  /** `corral os version|list|upgrade|rollback`. */
  os?: {
    status(): Promise<OsStatus>;
    list(channel?: string): Promise<ChannelRelease[]>;
    upgrade(req: UpgradeRequest, log: (line: string) => void): Promise<unknown>;
    rollback(log: (line: string) => void): Promise<unknown>;
  };
  /** `corral engine ...` and `corral tls gen`. */
  engine?: EngineControlHandlers;
  /** The console user's `corral config set|get|export`. */
  config?: ConfigControlHandlers;
}

/** A request body field that must be text when present. */
function optText(body: Record<string, unknown>, key: string): string | undefined {
  const v = body[key];
  if (v !== undefined && typeof v !== "string") throw new Error(`${key} must be text`);
  return v;
}

/**
 * Serves HTTP on a unix socket: GET /status, POST /reconcile, POST /poweroff|/reboot|/halt,
 * POST /install, GET|POST /console.
 */
export function serveControl(path: string, handlers: ControlHandlers): { stop(): void } {
  mkdirSync(dirname(path), { recursive: true });
  rmSync(path, { force: true });
  // No idle limit: Bun's default (10 s) drops the caller of an install, an upgrade or an engine
  // switch (a 65 MB image load) while PID 1 still works on it. Bun honours it on unix sockets too,
  // though its types offer it only with a port.
  const unixOptions = { unix: path, idleTimeout: 0 } as { unix: string };
  const server = Bun.serve({
    ...unixOptions,
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
        if (route.endsWith(" /console") && !handlers.console)
          return Response.json({ error: "no console handlers" }, { status: 404 });
        if (route === "GET /console") return Response.json(handlers.console!.state());
        if (route === "POST /console") {
          const body = (await req.json()) as Record<string, unknown>;
          const name = optText(body, "name");
          if (!name) return Response.json({ error: "name is required" }, { status: 400 });
          try {
            handlers.console!.choose({ name, now: body.now === true });
          } catch (e) {
            return Response.json({ error: e instanceof Error ? e.message : String(e) }, { status: 400 });
          }
          return Response.json({ ok: true });
        }
        if (route.includes(" /engine") || route.includes(" /tls/"))
          return await engineRoute(route, req, handlers.engine);
        if (route.startsWith("POST /config/")) return await configRoute(route, req, handlers.config);
        const os = handlers.os;
        if (route.includes(" /os/") && !os)
          return Response.json({ error: "no OS handlers" }, { status: 404 });
        if (route === "GET /os/status") return Response.json(await os!.status());
        if (route === "POST /os/list") {
          const body = (await req.json()) as Record<string, unknown>;
          return Response.json(await os!.list(optText(body, "channel")));
        }
        if (route === "POST /os/upgrade" || route === "POST /os/rollback") {
          const body = (await req.json()) as Record<string, unknown>;
          const log: string[] = [];
          const push = (l: string) => void log.push(l);
          const reboot = body.reboot !== false;
          const kexec = body.kexec === true;
          if (body.kexec !== undefined && typeof body.kexec !== "boolean")
            throw new Error("kexec must be true or false");
          if (body.upgradeConsole !== undefined && typeof body.upgradeConsole !== "boolean")
            throw new Error("upgradeConsole must be true or false");
          if (kexec && (route === "POST /os/rollback" || !reboot))
            throw new Error("kexec boots the upgraded slot now: it goes with an upgrade that reboots");
          const done =
            route === "POST /os/rollback"
              ? await os!.rollback(push)
              : await os!.upgrade(
                  {
                    file: optText(body, "file"),
                    version: optText(body, "version"),
                    channel: optText(body, "channel"),
                    kexec,
                    upgradeConsole: body.upgradeConsole === true,
                  },
                  push,
                );
          // The upgrade loaded the new kernel: the same orderly shutdown, ending in a kexec.
          const loaded = kexec && (done as { kexec?: boolean } | undefined)?.kexec === true;
          if (reboot) setTimeout(() => handlers.power(loaded ? "kexec" : "reboot"), 50);
          return Response.json({ log, done });
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
