import type { AccountFields } from "../model/account.ts";
import type { Store } from "../store/store.ts";
import type { Identity } from "./identity.ts";
import type { Principal } from "./principal.ts";
import { findSession } from "./sessions.ts";

/** What a session token resolves to: the principal, the session's row id and its end. */
export interface SessionVerdict {
  principal: Principal;
  row: number;
  expires: number;
}

/**
 * Resolves a session token: the session must be active and unexpired and its account an active
 * person (admin or user). `principalOf` builds the account's principal as its API keys get it
 * (roles included); this adds `via: "session"` and the person's identities.
 */
export function sessionPrincipal(
  store: Store,
  token: string,
  principalOf: (accountId: string, keyId: string) => Principal | null,
): SessionVerdict | null {
  const session = findSession(store, token);
  if (!session) return null;
  const accountId = session.data.accountId;
  const base = principalOf(accountId, store.publicId(session));
  if (!base || (base.kind !== "admin" && base.kind !== "user")) return null;
  const account = store.getByPublicId<AccountFields>("account", accountId);
  if (!account) return null;
  return {
    principal: { ...base, via: "session", identities: identitiesOf(accountId, account.name, account.data) },
    row: session.id,
    expires: session.data.expires,
  };
}

/** The identities a person holds: their account (`rancher_id`), their provider user and groups. */
export function identitiesOf(accountId: string, name: string | null, data: AccountFields): Identity[] {
  const own: Identity = {
    externalId: accountId,
    externalIdType: "rancher_id",
    name: name ?? accountId,
    ...(data.username ? { login: data.username } : {}),
  };
  const out = [own];
  if (data.externalId && data.externalIdType)
    out.push({
      externalId: data.externalId,
      externalIdType: data.externalIdType,
      name: name ?? data.externalId,
    });
  return [...out, ...(data.identities ?? [])];
}
