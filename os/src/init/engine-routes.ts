import { AppError } from "@corral/lib";
import type { ClientMaterial } from "../engines/docker-tls.ts";
import type { EngineRequest, EngineStatus } from "../engines/engine-control.ts";

/** What PID 1 answers for `corral engine` and `corral tls gen`. */
export interface EngineControlHandlers {
  status(): EngineStatus;
  /** Switch now (`now`) or for the next boot; resolves with the chosen version. */
  choose(req: EngineRequest, now: boolean): Promise<string>;
  /** Writes User Docker's server certificate; resolves with the files written. */
  tlsServer(hosts: string[]): Promise<string[]>;
  /** Makes a client certificate for the caller to keep. */
  tlsClient(): Promise<ClientMaterial>;
  /** `corral config set` for the console user, who may not write the root-owned config: set, then reconcile. */
  setConfig(key: string, value: unknown): Promise<void>;
  /** `corral config get` for the console user: the merged value of `key` (undefined when unset). */
  getConfig(key: string): unknown;
  /** `corral config export` for the console user: cloud-config.yml, or with `full` every layer merged. */
  exportConfig(full: boolean): unknown;
}

/** A request body's text field (required unless `optional`). */
function text(body: Record<string, unknown>, key: string, optional = false): string | undefined {
  const v = body[key];
  if (v === undefined && optional) return undefined;
  if (typeof v !== "string" || v === "") throw new AppError("InvalidOption", `${key} must be text`);
  return v;
}

/** The status an error is answered with: the caller's mistakes are 4xx, with their message. */
function statusOf(e: unknown): number {
  const code = e instanceof AppError ? e.code : undefined;
  return code === "NotFound" ? 404 : code === "InvalidOption" ? 422 : 500;
}

/**
 * GET /engine, POST /engine/switch|enable {version, file?}, POST /tls/gen {server, hosts?},
 * POST /config/set {key, value}, POST /config/get {key}, POST /config/export {full?}.
 */
export async function engineRoute(
  route: string,
  req: Request,
  handlers: EngineControlHandlers | undefined,
): Promise<Response> {
  if (!handlers) return Response.json({ error: "no engine handlers" }, { status: 404 });
  try {
    if (route === "GET /engine") return Response.json(handlers.status());
    const body = (await req.json().catch(() => ({}))) as Record<string, unknown>;
    if (route === "POST /engine/switch" || route === "POST /engine/enable") {
      const version = await handlers.choose(
        { version: text(body, "version")!, file: text(body, "file", true) },
        route.endsWith("switch"),
      );
      return Response.json({ version });
    }
    if (route === "POST /config/set") {
      await handlers.setConfig(text(body, "key")!, body.value);
      return Response.json({ ok: true });
    }
    if (route === "POST /config/get") return Response.json({ value: handlers.getConfig(text(body, "key")!) });
    if (route === "POST /config/export") {
      if (body.full !== undefined && typeof body.full !== "boolean")
        throw new AppError("InvalidOption", "full must be true or false");
      return Response.json({ value: handlers.exportConfig(body.full === true) });
    }
    if (route === "POST /tls/gen") {
      if (body.server === true) {
        const hosts = body.hosts ?? [];
        if (!Array.isArray(hosts) || hosts.some((h) => typeof h !== "string"))
          throw new AppError("InvalidOption", "hosts must be a list of names");
        return Response.json({ files: await handlers.tlsServer(hosts as string[]) });
      }
      return Response.json(await handlers.tlsClient());
    }
    return Response.json({ error: `no route ${route}` }, { status: 404 });
  } catch (e) {
    return Response.json({ error: e instanceof Error ? e.message : String(e) }, { status: statusOf(e) });
  }
}
