import type { Identity, LoginResult } from "../identity.ts";

/** At most this many groups are taken from one login (a claim is data from outside). */
const maxGroups = 1000;

function text(value: unknown): string | undefined {
  return typeof value === "string" && value.trim() !== "" ? value.trim() : undefined;
}

/** The claim at `path`: a top-level claim by its full name first, else a dotted path into objects. */
function claimAt(claims: Record<string, unknown>, path: string): unknown {
  if (path in claims) return claims[path];
  let value: unknown = claims;
  for (const part of path.split(".")) {
    if (value === null || typeof value !== "object" || Array.isArray(value)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/**
 * The user and groups an OpenID login names: `sub` is the user's stable id (names and emails
 * change; `sub` does not), shown by `name`, else `preferred_username`, else `email`. Each string
 * in the groups claim (a list, or one string) becomes an `oidc_group` named by itself, since the
 * claim carries nothing else; duplicates and non-strings are dropped.
 */
export function identitiesFromClaims(claims: Record<string, unknown>, groupsClaim: string): LoginResult {
  const sub = text(claims.sub);
  if (!sub) throw new Error("the ID token has no sub claim");
  const login = text(claims.preferred_username) ?? text(claims.email);
  const user: Identity = {
    externalId: sub,
    externalIdType: "oidc_user",
    name: text(claims.name) ?? login ?? sub,
  };
  if (login) user.login = login;
  const profile = text(claims.profile);
  if (profile && /^https?:\/\//.test(profile)) user.profileUrl = profile;

  const raw = groupsClaim ? claimAt(claims, groupsClaim) : undefined;
  const list = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  const names = new Set<string>();
  for (const item of list) {
    const name = text(item);
    if (name && name.length <= 1024) names.add(name);
    if (names.size >= maxGroups) break;
  }
  const groups = [...names].map(
    (name): Identity => ({ externalId: name, externalIdType: "oidc_group", name }),
  );
  return { user, groups };
}
