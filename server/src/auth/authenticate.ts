import { AppError } from "@corral/lib";
import type { ApiKeyData } from "../model/account.ts";
import type { Row } from "../store/rows.ts";
import type { Store } from "../store/store.ts";
import { checkSecret, hashSecret } from "./keys.ts";
import type { Principal } from "./principal.ts";
import { clientKey, FailureLimiter, type FailureLimits } from "./rate-limit.ts";
import { sessionPrincipal } from "./session-principal.ts";

const cacheTtlMs = 30_000;
/** How long an address that used a key successfully stays exempt from that key's failure limit. */
const knownPairTtlMs = 24 * 3600_000;
/** Key and address pairs remembered at most (the least recently used go first). */
const maxKnownPairs = 10_000;

/**
 * Checks HTTP Basic credentials (an API key pair, as Rancher clients send them) and caches the
 * verdict per header for a short time. Any change to an API key or account clears the cache, so a
 * deactivated key stops working at once.
 *
 * Failed attempts are limited per client address and per access key (see rate-limit.ts): once
 * either has failed too often, credentials from that address or for that key are not even looked at
 * until the wait is over (429), so a right guess during the wait cannot be told from a wrong one.
 * Access keys are not secret, so anyone could spend a key's failures to lock its owner out; an
 * address that used the key successfully in the last 24 hours is therefore exempt from that key's
 * limit (never from its own). Cached verdicts obey the limits too: otherwise, while a key in use is
 * cached, a guesser would be told its one right guess (200) from the wrong ones (429).
 */
export class Authenticator {
  private readonly cache = new Map<string, { principal: Principal; keyRow: number; expires: number }>();
  private readonly failures: FailureLimiter;
  /** `<key row id> <client key>` -> until when that address is exempt from the key's limit. */
  private readonly knownPairs = new Map<string, number>();

  constructor(
    private readonly store: Store,
    limits?: FailureLimits,
  ) {
    this.failures = new FailureLimiter(limits);
    store.onChange(({ row, previous }) => {
      if (row.type === "apiKey" || row.type === "account" || row.type === "project") this.cache.clear();
      // A session ending (logout, revocation) must end its cached verdict too; new ones change nothing.
      if (row.type === "session" && previous !== null) this.cache.clear();
    });
  }

  /**
   * The principal of an Authorization header, or null when it is missing or wrong. Throws
   * TooManyRequests when the client's address, or the access key presented, must wait after
   * failures. `clientIp` is called only when needed: a cached verdict while nobody waits needs no
   * address, and looking it up is a measurable part of a cached read.
   */
  authenticate(header: string | null | undefined, clientIp: () => string): Principal | null {
    if (!header) return null;
    const now = Date.now();
    const hit = this.cache.get(header);
    if (hit && hit.expires > now) {
      if (this.failures.anyWaiting()) this.refuseWhileWaiting(clientKey(clientIp()), hit.keyRow, now);
      return hit.principal;
    }
    const credentials = parseBasic(header);
    // Not a key pair at all: nothing was guessed, so nothing is counted.
    if (!credentials) return null;
    const address = clientKey(clientIp());
    const key = this.store.getByLookup<ApiKeyData>("apiKey", credentials.publicValue);
    // Only keys that exist get a bucket: made-up access keys cannot grow the limiter's memory.
    this.refuseWhileWaiting(address, key?.id ?? null, now);
    const principal = key?.state === "active" ? this.verify(key, credentials.secret) : null;
    if (!principal) {
      this.failures.fail(address);
      if (key) this.failures.fail(`key:${key.id}`);
      return null;
    }
    this.remember(key!.id, address, now);
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(header, { principal, keyRow: key!.id, expires: now + cacheTtlMs });
    return principal;
  }

  /**
   * The principal of a login session token (from `Authorization: Bearer` or the `token` cookie), or
   * null when it is unknown, ended or expired (see sessions.ts). The account's principal is built
   * as for its API keys, so sessions get the same roles. Cached like key verdicts, never past the
   * session's end. Wrong tokens are not counted as failures: 256 random bits are not guessed, and a
   * browser holding an ended session must not get its address held up.
   */
  authenticateSession(token: string): Principal | null {
    const cacheKey = `session ${token}`;
    const now = Date.now();
    const hit = this.cache.get(cacheKey);
    if (hit && hit.expires > now) return hit.principal;
    const found = sessionPrincipal(this.store, token, (accountId, keyId) =>
      this.principalOf({ kind: "account", accountId, publicValue: "" }, keyId),
    );
    if (!found) return null;
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(cacheKey, {
      principal: found.principal,
      keyRow: found.row,
      expires: Math.min(now + cacheTtlMs, found.expires),
    });
    return found.principal;
  }

  /**
   * Runs a check of another credential (a registration token) for `clientIp`: refused at once while
   * the address must wait, and counted as a failure when it throws one of `failureCodes`.
   */
  guard<T>(clientIp: string, fn: () => T, failureCodes: string[] = ["Unauthorized"]): T {
    const address = clientKey(clientIp);
    this.refuseWhileWaiting(address, null, Date.now());
    try {
      return fn();
    } catch (e) {
      if (e instanceof AppError && failureCodes.includes(e.code)) this.failures.fail(address);
      throw e;
    }
  }

  /**
   * Marks the address as known to the key, after a verification (not a cached verdict: those are
   * verified again every 30 s while in use, which keeps an active pair known).
   */
  private remember(keyRow: number, address: string, now: number): void {
    const pair = `${keyRow} ${address}`;
    this.knownPairs.delete(pair);
    this.knownPairs.set(pair, now + knownPairTtlMs);
    if (this.knownPairs.size > maxKnownPairs) this.knownPairs.delete(this.knownPairs.keys().next().value!);
  }

  /** Throws TooManyRequests while the address, or the key (unless this address is known to it), must wait. */
  private refuseWhileWaiting(address: string, keyRow: number | null, now: number): void {
    const known = keyRow !== null && (this.knownPairs.get(`${keyRow} ${address}`) ?? 0) > now;
    const wait = Math.max(
      this.failures.waitSeconds(address),
      keyRow !== null && !known ? this.failures.waitSeconds(`key:${keyRow}`) : 0,
    );
    if (wait > 0)
      throw new AppError(
        "TooManyRequests",
        `too many failed attempts with these credentials or from this address; retry in ${wait} s`,
        { detail: { retryAfterSeconds: wait } },
      );
  }

  private verify(key: Row<ApiKeyData>, secret: string): Principal | null {
    const stored = this.store.secretOf(key.id);
    if (!stored) return null;
    const check = checkSecret(secret, stored);
    if (!check.ok) return null;
    // A digest from before salting: the secret is known now, so store it salted from here on.
    if (check.legacy) this.store.update(key.id, { secret: hashSecret(secret) });
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

/** The access key and secret of an HTTP Basic header, or null when it is not one. */
function parseBasic(header: string): { publicValue: string; secret: string } | null {
  const match = /^Basic\s+([A-Za-z0-9+/=]{1,1024})$/i.exec(header.trim());
  if (!match) return null;
  const decoded = Buffer.from(match[1]!, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon <= 0) return null;
  return { publicValue: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
}
