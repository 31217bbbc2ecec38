import type { Context } from "hono";
import type { Principal } from "../auth/principal.ts";
import type { VerbContext } from "../services/context.ts";
import type { ResponseCache } from "./response-cache.ts";

/** Hono variables set by the auth middleware. */
export interface ApiEnv {
  Variables: {
    principal: Principal;
    base: string;
    verbs: (c: Context<ApiEnv>) => VerbContext;
    /** The caller's address, looked up only when something needs it (audit). */
    clientIp: () => string;
    cache: ResponseCache;
  };
}
