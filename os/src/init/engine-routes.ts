import { AppError } from "@corral/lib";
import type { ClientMaterial } from "../engines/docker-tls.ts";
import type { EngineRequest, EngineStatus } from "../engines/engine-control.ts";
import { bodyText, errorAnswer } from "./control-answers.ts";

/** What PID 1 answers for `corral engine` and `corral tls gen`. */
export interface EngineControlHandlers {
  status(): EngineStatus;
  /** Switch now (`now`) or for the next boot; resolves with the chosen version. */
  choose(req: EngineRequest, now: boolean): Promise<string>;
  /** Writes User Docker's server certificate; resolves with the files written. */
  tlsServer(hosts: string[]): Promise<string[]>;
  /** Makes a client certificate for the caller to keep. */
  tlsClient(): Promise<ClientMaterial>;
}

/** GET /engine, POST /engine/switch|enable {version, file?}, POST /tls/gen {server, hosts?}. */
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
        { version: bodyText(body, "version")!, file: bodyText(body, "file", true) },
        route.endsWith("switch"),
      );
      return Response.json({ version });
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
    return errorAnswer(e);
  }
}
