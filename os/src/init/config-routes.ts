// `corral config set|get|export` for the console user, who may neither read nor write the
// root-owned config (0600 in a 0700 folder: it may hold tokens): PID 1 does it for them.
import { AppError } from "@corral/lib";
import { bodyText, errorAnswer } from "./control-answers.ts";

/** What PID 1 answers for the console user's `corral config`. */
export interface ConfigControlHandlers {
  /** Sets `key` in cloud-config.yml, then reconciles. */
  set(key: string, value: unknown): Promise<void>;
  /** The merged value of `key` (undefined when unset). */
  get(key: string): unknown;
  /** cloud-config.yml, or with `full` every layer merged. */
  export(full: boolean): unknown;
}

/** POST /config/set {key, value}, POST /config/get {key}, POST /config/export {full?}. */
export async function configRoute(
  route: string,
  req: Request,
  handlers: ConfigControlHandlers | undefined,
): Promise<Response> {
  if (!handlers) return Response.json({ error: "no config handlers" }, { status: 404 });
  try {
    const body = (await req.json().catch(() => ({}))) as Record<string, unknown>;
    if (route === "POST /config/set") {
      await handlers.set(bodyText(body, "key")!, body.value);
      return Response.json({ ok: true });
    }
    if (route === "POST /config/get") return Response.json({ value: handlers.get(bodyText(body, "key")!) });
    if (route === "POST /config/export") {
      if (body.full !== undefined && typeof body.full !== "boolean")
        throw new AppError("InvalidOption", "full must be true or false");
      return Response.json({ value: handlers.export(body.full === true) });
    }
    return Response.json({ error: `no route ${route}` }, { status: 404 });
  } catch (e) {
    return errorAnswer(e);
  }
}
