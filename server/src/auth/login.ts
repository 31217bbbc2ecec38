import { formatId } from "@corral/api";
import { AppError } from "@corral/lib";
import { z } from "zod";
import type { AccountFields } from "../model/account.ts";
import { writeAudit } from "../services/audit.ts";
import type { Row } from "../store/rows.ts";
import type { Store } from "../store/store.ts";
import { mayLogIn } from "./access.ts";
import { type AuthConfigs, localConfigName } from "./auth-configs.ts";
import type { Identity, LoginResult } from "./identity.ts";
import { externalLookup, findLocalAccount } from "./local-accounts.ts";
import { verifyPassword } from "./passwords.ts";
import type { Principal } from "./principal.ts";
import { clientKey, FailureLimiter, type FailureLimits } from "./rate-limit.ts";
import { identitiesOf } from "./session-principal.ts";
import { createSession, purgeOldSessions, type SessionFields } from "./sessions.ts";

/**
 * Failed logins allowed per account name and per client address: 5 at once, then one more every
 * 12 s (5 a minute). Past that, 429 with Retry-After, and the password is not even checked.
 */
export const defaultLoginLimits: FailureLimits = { perSecond: 5 / 60, burst: 5 };

/** What a successful login gives: the token (shown once), its session, the account, the provider. */
export interface LoginAnswer {
  token: string;
  session: Row<SessionFields>;
  account: Row<AccountFields>;
  authProvider: string;
  identities: Identity[];
}

/** The body of `POST /v2-beta/token`; other fields Rancher's clients send are ignored. */
const loginBodySchema = z.object({
  code: z.string().max(4096).optional(),
  username: z.string().max(256).optional(),
  password: z.string().max(1024).optional(),
  authProvider: z.string().max(64).optional(),
});

const wrongCredentials = () => new AppError("Unauthorized", "wrong username or password");
const noAccess = () => new AppError("PermissionDenied", "Your account does not have access");

/**
 * Logs people in: local accounts (argon2id passwords) and every configured provider module, with
 * the provider's access mode enforced, failures limited per account name and per address, and one
 * `auth.login` audit row per attempt (username, provider, address and outcome; never a password,
 * code or token). Admin accounts always log in with their local password, whatever provider is
 * enabled and whatever its access mode, so no provider setting can lock the admin out.
 */
export class LoginService {
  private readonly failures: FailureLimiter;
  private logins = 0;

  constructor(
    private readonly store: Store,
    readonly configs: AuthConfigs,
    private readonly sessionTtlMs: number,
    limits: FailureLimits = defaultLoginLimits,
  ) {
    this.failures = new FailureLimiter(limits);
  }

  /** How long new sessions last. */
  get ttlMs(): number {
    return this.sessionTtlMs;
  }

  /**
   * `POST /v2-beta/token`: `{code: "user:pass"}` or `{username, password}` for password providers,
   * `{code}` from a redirect provider's round trip; `authProvider` picks the provider. Without it, a
   * name of a local account logs in locally, any other through the enabled external provider.
   */
  async loginWithBody(
    body: unknown,
    clientIp: string,
    redirectUri: (name: string) => string,
  ): Promise<LoginAnswer> {
    const parsed = loginBodySchema.safeParse(body);
    if (!parsed.success || typeof body !== "object" || body === null || Array.isArray(body))
      throw new AppError(
        "InvalidBodyContent",
        "send {code} or {username, password}, and optionally authProvider",
      );
    const { code, authProvider } = parsed.data;
    let { username, password } = parsed.data;
    let name = authProvider === undefined ? null : this.configs.canonical(authProvider);
    if (authProvider !== undefined && !name)
      throw new AppError("InvalidOption", `no auth provider ${authProvider.slice(0, 64)}`);
    if (name && name !== localConfigName) {
      const provider = this.configs.provider(name);
      if (provider.kind === "redirect") {
        if (!code) throw new AppError("MissingRequired", `${name} logins send the provider's code`);
        return this.codeLogin(name, code, redirectUri(name), "", clientIp);
      }
    }
    if (username === undefined && password === undefined && code !== undefined) {
      const colon = code.indexOf(":");
      if (colon <= 0) throw new AppError("InvalidFormat", "code must be username:password");
      username = code.slice(0, colon);
      password = code.slice(colon + 1);
    }
    if (!username || !password) throw new AppError("MissingRequired", "send a username and a password");
    if (!name) {
      const external = this.configs.enabledExternal();
      const local = findLocalAccount(this.store, username);
      name = external && !local ? external : localConfigName;
    }
    return this.passwordLogin(name, username, password, clientIp);
  }

  /** A login with a username and password against a password provider (local or external). */
  async passwordLogin(
    name: string,
    username: string,
    password: string,
    clientIp: string,
  ): Promise<LoginAnswer> {
    const address = clientKey(clientIp);
    const accountKey = `login:${username.toLowerCase()}`;
    this.refuseWhileWaiting(address, accountKey);
    const attempt = { username, authProvider: name, clientIp };
    if (name === localConfigName) {
      const found = findLocalAccount(this.store, username);
      const ok = await verifyPassword(password, found ? this.store.secretOf(found.id) : null);
      const account = found && this.store.get<AccountFields>(found.id);
      if (!ok || !account || account.state !== "active" || account.data.kind === "agent")
        throw this.failed(attempt, [address, accountKey], "wrong password or no such active account");
      const identities = identitiesOf(formatId("account", account.id), account.name, account.data);
      if (account.data.kind !== "admin") {
        const local = this.configs.stored(localConfigName);
        if (!local.enabled || !mayLogIn(this.store, local.accessMode, local.allowedIdentities, identities))
          throw this.denied(attempt);
      }
      return this.succeed(attempt, account, identities);
    }
    const provider = this.configs.provider(name);
    if (provider.kind !== "password") throw new AppError("InvalidOption", `${name} does not take passwords`);
    let result: LoginResult;
    try {
      result = await provider.login(username, password);
    } catch (e) {
      if (e instanceof AppError && e.code === "Unauthorized")
        throw this.failed(attempt, [address, accountKey], "refused by the provider");
      this.audit(attempt, null, e instanceof AppError ? e.status : 500, "provider error");
      throw e;
    }
    return this.externalLogin(name, result, attempt);
  }

  /** A login with the code a redirect provider sent back (callback, or `POST /token {code}`). */
  async codeLogin(
    name: string,
    code: string,
    redirectUri: string,
    state: string,
    clientIp: string,
  ): Promise<LoginAnswer> {
    const address = clientKey(clientIp);
    this.refuseWhileWaiting(address, null);
    const attempt = { username: "", authProvider: name, clientIp };
    const provider = this.configs.provider(name);
    if (provider.kind !== "redirect")
      throw new AppError("InvalidOption", `${name} takes a username and password`);
    let result: LoginResult;
    try {
      result = await provider.exchange(code, redirectUri, state);
    } catch (e) {
      if (e instanceof AppError && e.code === "Unauthorized")
        throw this.failed(attempt, [address], "code refused by the provider");
      this.audit(attempt, null, e instanceof AppError ? e.status : 500, "provider error");
      throw e;
    }
    attempt.username = result.user.login ?? result.user.name;
    return this.externalLogin(name, result, attempt);
  }

  /** Finds or creates the account of a provider's user, checks the access mode, starts the session. */
  private externalLogin(name: string, result: LoginResult, attempt: Attempt): LoginAnswer {
    const { user, groups } = result;
    const lookup = externalLookup(user.externalIdType, user.externalId);
    const existing = this.store.getByLookup<AccountFields>("account", lookup);
    if (existing && existing.state !== "active") throw this.failed(attempt, [], "the account is not active");
    const held: Identity[] = [user, ...groups];
    if (existing)
      held.push({
        externalId: formatId("account", existing.id),
        externalIdType: "rancher_id",
        name: user.name,
      });
    const config = this.configs.stored(name);
    if (
      existing?.data.kind !== "admin" &&
      !mayLogIn(this.store, config.accessMode, config.allowedIdentities, held)
    )
      throw this.denied(attempt);
    return this.store.transaction(() => {
      const data = { externalId: user.externalId, externalIdType: user.externalIdType, identities: groups };
      const account = existing
        ? this.store.update<AccountFields>(existing.id, { name: user.name, data }, ["active"])
        : this.store.insert<AccountFields>("account", {
            name: user.name,
            state: "active",
            lookup,
            data: { kind: "user", ...data },
          });
      if (!account) throw this.failed(attempt, [], "the account is not active");
      return this.succeed(
        attempt,
        account,
        identitiesOf(formatId("account", account.id), account.name, account.data),
      );
    });
  }

  private succeed(attempt: Attempt, account: Row<AccountFields>, identities: Identity[]): LoginAnswer {
    return this.store.transaction(() => {
      const accountId = formatId("account", account.id);
      const { token, row } = createSession(
        this.store,
        { accountId, authProvider: attempt.authProvider, clientIp: attempt.clientIp },
        this.sessionTtlMs,
      );
      const principal: Principal = {
        kind: account.data.kind === "admin" ? "admin" : "user",
        accountId,
        keyId: formatId("session", row.id),
        via: "session",
      };
      this.audit(attempt, principal, 201, "success");
      if (++this.logins % 100 === 1) purgeOldSessions(this.store);
      return { token, session: row, account, authProvider: attempt.authProvider, identities };
    });
  }

  /** Counts a failure against `keys`, audits it, and gives the error to throw (the same for every cause). */
  private failed(attempt: Attempt, keys: string[], why: string): AppError {
    for (const k of keys) this.failures.fail(k);
    this.audit(attempt, null, 401, `failure: ${why}`);
    return wrongCredentials();
  }

  private denied(attempt: Attempt): AppError {
    this.audit(attempt, null, 403, "denied: not allowed by the access mode");
    return noAccess();
  }

  private audit(attempt: Attempt, principal: Principal | null, code: number, outcome: string): void {
    writeAudit(this.store, {
      principal,
      clientIp: attempt.clientIp,
      eventType: "auth.login",
      resourceType: "token",
      resourceId: principal?.accountId ?? null,
      projectId: null,
      requestObject: { username: attempt.username.slice(0, 256), authProvider: attempt.authProvider },
      responseCode: code,
      description: outcome,
    });
  }

  private refuseWhileWaiting(address: string, accountKey: string | null): void {
    const wait = Math.max(
      this.failures.waitSeconds(address),
      accountKey ? this.failures.waitSeconds(accountKey) : 0,
    );
    if (wait > 0)
      throw new AppError(
        "TooManyRequests",
        `too many failed logins for this account or from this address; retry in ${wait} s`,
        {
          detail: { retryAfterSeconds: wait },
        },
      );
  }
}

interface Attempt {
  username: string;
  authProvider: string;
  clientIp: string;
}
