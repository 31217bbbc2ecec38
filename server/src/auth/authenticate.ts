import type { ApiKeyData } from "../services/api-keys.ts";
import type { Store } from "../store/store.ts";
import { secretMatches } from "./keys.ts";
import type { Principal } from "./principal.ts";

const cacheTtlMs = 30_000;

/**
 * Checks HTTP Basic credentials (an API key pair, as Rancher clients send them) and caches the
 * verdict per header for a short time. Any change to an API key or account clears the cache, so a
 * deactivated key stops working at once.
 */
export class Authenticator {
  private readonly cache = new Map<string, { principal: Principal; expires: number }>();

  constructor(private readonly store: Store) {
    store.onChange(({ row }) => {
      if (row.type === "apiKey" || row.type === "account" || row.type === "project") this.cache.clear();
    });
  }

  /** The principal of an Authorization header, or null when it is missing or wrong. */
  authenticate(header: string | null | undefined): Principal | null {
    if (!header) return null;
    const hit = this.cache.get(header);
    const now = Date.now();
    if (hit && hit.expires > now) return hit.principal;
    const principal = this.verify(header);
    if (principal) {
      if (this.cache.size > 10_000) this.cache.clear();
      this.cache.set(header, { principal, expires: now + cacheTtlMs });
    }
    return principal;
  }

  private verify(header: string): Principal | null {
    const match = /^Basic\s+([A-Za-z0-9+/=]{1,1024})$/i.exec(header.trim());
    if (!match) return null;
    const decoded = Buffer.from(match[1]!, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon <= 0) return null;
    const publicValue = decoded.slice(0, colon);
    const secret = decoded.slice(colon + 1);
    const key = this.store.getByLookup<ApiKeyData>("apiKey", publicValue);
    if (key?.state !== "active") return null;
    const hash = this.store.secretOf(key.id);
    if (!hash || !secretMatches(secret, hash)) return null;
    return this.principalOf(key.data, this.store.publicId(key));
  }

  private principalOf(key: ApiKeyData, keyId: string): Principal | null {
    if (key.kind === "project") {
      const project = this.store.getByPublicId("project", key.accountId);
      if (project?.state !== "active") return null;
      return { kind: "project", accountId: key.accountId, projectId: key.accountId, keyId };
    }
    const account = this.store.getByPublicId<{
      kind: string;
      hostId?: string;
      projectId?: string;
      memberOf?: string[];
    }>("account", key.accountId);
    if (account?.state !== "active") return null;
    const kind = account.data.kind;
    if (kind === "agent") {
      return {
        kind: "agent",
        accountId: key.accountId,
        keyId,
        projectId: account.data.projectId,
        hostId: account.data.hostId,
      };
    }
    if (kind === "admin") return { kind: "admin", accountId: key.accountId, keyId };
    const memberOf = this.store
      .all<{ members?: string[] }>("project", { state: ["active", "inactive"] })
      .filter((p) => p.data.members?.includes(key.accountId))
      .map((p) => this.store.publicId(p));
    return { kind: "user", accountId: key.accountId, keyId, memberOf };
  }
}
