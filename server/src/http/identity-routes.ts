import { formatId } from "@corral/api";
import { AppError } from "@corral/lib";
import { Hono } from "hono";
import type { AuthConfigs } from "../auth/auth-configs.ts";
import type { Identity } from "../auth/identity.ts";
import type { AccountFields } from "../model/account.ts";
import type { Store } from "../store/store.ts";
import type { ApiEnv } from "./env.ts";
import { presentIdentity } from "./login-routes.ts";

/** Most identities one search answers with. */
const searchLimit = 50;
/** Longest search text passed on to a provider. */
const maxQuery = 128;

/**
 * Rancher's `/v2-beta/identities`: without `name`, the caller's own identities (their account and
 * the provider user and groups they logged in with); with `?name=<prefix>`, the people and groups
 * that may be made environment members: local accounts, and what the enabled external provider
 * finds. A provider that cannot be reached answers 503 with its message; local accounts alone are
 * never hidden by that.
 */
export function identityRoutes(store: Store, configs: AuthConfigs): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  app.get("/identities", async (c) => {
    const principal = c.get("principal");
    if (principal.kind === "agent")
      throw new AppError("PermissionDenied", "agent keys cannot read identities");
    const name = c.req.query("name");
    if (name === undefined) {
      const own = principal.identities ?? [];
      return c.json(collection(own));
    }
    if (name.length === 0 || name.length > maxQuery)
      throw new AppError("InvalidOption", `name: 1 to ${maxQuery} characters to search for`);
    const found = localMatches(store, name);
    const external = configs.enabledExternal();
    if (external) {
      const provider = configs.provider(external);
      found.push(...(await provider.search(name, searchLimit)));
    }
    return c.json(collection(found.slice(0, searchLimit)));
  });
  return app;
}

function collection(identities: Identity[]): Record<string, unknown> {
  return { type: "collection", resourceType: "identity", data: identities.map(presentIdentity) };
}

/** Active admin and user accounts whose name or username starts with `prefix` (any case). */
function localMatches(store: Store, prefix: string): Identity[] {
  const p = prefix.toLowerCase();
  return store
    .all<AccountFields>("account", { state: ["active"] })
    .filter((a) => a.data.kind !== "agent")
    .filter(
      (a) =>
        (a.name ?? "").toLowerCase().startsWith(p) || (a.data.username ?? "").toLowerCase().startsWith(p),
    )
    .slice(0, searchLimit)
    .map((a) => ({
      externalId: formatId("account", a.id),
      externalIdType: "rancher_id" as const,
      name: a.name ?? a.data.username ?? formatId("account", a.id),
      ...(a.data.username ? { login: a.data.username } : {}),
    }));
}
