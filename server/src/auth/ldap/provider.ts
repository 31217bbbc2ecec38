import { AppError } from "@corral/lib";
import { type Entry, OrFilter, SubstringFilter } from "ldapts";
import type { Identity, LoginResult, PasswordProvider } from "../identity.ts";
import type { LdapConfig } from "./config.ts";
import { BindPool, isLdapResult, ServiceConnection } from "./connection.ts";
import { anyEqual, classAnd, first, rdnValue } from "./entries.ts";
import { collectGroups, groupIdentity, ParentCache, userGroupAttributes } from "./groups.ts";

/** Longest login name and password passed on to the server; longer ones are refused unseen. */
const maxUsername = 256;
const maxPassword = 1024;
/** Most results `search` returns, whatever the caller asks. */
const maxSearch = 1000;

/** The one message for an unknown user and a wrong password, so neither reveals which it was. */
export const badCredentials = "invalid username or password";

function refused(message = badCredentials): AppError {
  return new AppError("Unauthorized", message);
}

/**
 * Logs users in against an LDAP directory or Active Directory: finds the user with the service
 * account, checks the password by binding as the user (on a separate connection), refuses disabled
 * accounts, and collects the user's groups (nested ones too when enabled).
 */
export class LdapProvider implements PasswordProvider {
  readonly kind = "password" as const;
  private readonly service: ServiceConnection;
  private readonly binds: BindPool;
  /** Nested group levels found at recent logins (see ParentCache). */
  private readonly parents = new ParentCache();

  constructor(private readonly c: LdapConfig) {
    this.service = new ServiceConnection(c);
    this.binds = new BindPool(c);
  }

  /** Checks `username` and `password`; see PasswordProvider.login for the errors. */
  async login(username: string, password: string): Promise<LoginResult> {
    const login = this.loginName(username);
    // An empty password would be an "unauthenticated bind", which servers answer with success.
    if (
      login === undefined ||
      typeof password !== "string" ||
      password === "" ||
      password.length > maxPassword
    )
      throw refused();
    const user = await this.findUser(login);
    if (!user) {
      // A bind that must fail, so an unknown name takes as long as a wrong password and the
      // answer's timing does not tell which names exist.
      await this.binds.bind(`cn=corral-no-such-user,${this.c.domain}`, password).catch(() => {});
      throw refused();
    }
    // The groups are looked up while the password is checked (they need only the user's entry):
    // one round trip less per login. They are dropped unseen when the password is wrong.
    const groups = collectGroups(this.service, this.c, user, this.parents);
    groups.catch(() => {});
    try {
      await this.binds.bind(user.dn, password);
    } catch (e) {
      if (isLdapResult(e)) throw refused();
      throw e;
    }
    if (this.isDisabled(user)) throw refused("this account is disabled in the directory");
    return { user: this.userIdentity(user, login), groups: await groups };
  }

  /** Users, then groups, whose search or name field starts with `query`; at most `limit` in all. */
  async search(query: string, limit: number): Promise<Identity[]> {
    const size = Math.max(1, Math.min(maxSearch, Math.floor(limit) || 1));
    const q = String(query).slice(0, maxUsername);
    const startsWith = (fields: string[]) => {
      const filters = [...new Set(fields)].map((attribute) => new SubstringFilter({ attribute, initial: q }));
      return filters.length === 1 ? filters[0]! : new OrFilter({ filters });
    };
    const c = this.c;
    const [users, groups] = await this.service.run((client) =>
      Promise.all([
        client.search(c.domain, {
          scope: "sub",
          filter: q
            ? classAnd(c.userObjectClass, startsWith([c.userSearchField, c.userLoginField, c.userNameField]))
            : classAnd(c.userObjectClass),
          attributes: [c.userLoginField, c.userNameField],
          sizeLimit: size,
        }),
        client.search(c.groupSearchDomain || c.domain, {
          scope: "sub",
          filter: q
            ? classAnd(c.groupObjectClass, startsWith([c.groupSearchField, c.groupNameField]))
            : classAnd(c.groupObjectClass),
          attributes: [c.groupNameField],
          sizeLimit: size,
        }),
      ]),
    );
    return [
      ...users.searchEntries.map((e) => this.userIdentity(e)),
      ...groups.searchEntries.map((e) => groupIdentity(c, e)),
    ].slice(0, size);
  }

  /** Closes the service and bind connections. */
  async close(): Promise<void> {
    await Promise.all([this.service.close(), this.binds.close()]);
  }

  /**
   * The name to look up: `DOMAIN\name` is accepted when `loginDomain` is DOMAIN (AD's down-level
   * form); undefined when the name cannot be anyone's.
   */
  private loginName(username: string): string | undefined {
    if (typeof username !== "string" || username === "" || username.length > maxUsername) return undefined;
    const slash = username.indexOf("\\");
    if (this.c.loginDomain && slash >= 0) {
      if (username.slice(0, slash).toLowerCase() !== this.c.loginDomain.toLowerCase()) return undefined;
      return username.slice(slash + 1) || undefined;
    }
    return username;
  }

  private async findUser(login: string): Promise<Entry | undefined> {
    const c = this.c;
    const { searchEntries } = await this.service.run((client) =>
      client.search(c.domain, {
        scope: "sub",
        filter: classAnd(c.userObjectClass, anyEqual(c.userLoginField, [login])),
        attributes: [
          c.userLoginField,
          c.userNameField,
          c.userEnabledAttribute,
          ...userGroupAttributes(c),
        ].filter((a) => a !== ""),
        // Two are enough to see the name is ambiguous; an ambiguous name logs nobody in.
        sizeLimit: 2,
      }),
    );
    return searchEntries.length === 1 ? searchEntries[0] : undefined;
  }

  private isDisabled(user: Entry): boolean {
    if (!this.c.userEnabledAttribute || this.c.userDisabledBitMask === 0) return false;
    const raw = first(user, this.c.userEnabledAttribute);
    if (raw === undefined) return false;
    const flags = Number.parseInt(raw, 10);
    // A value that is not a number cannot be read as "enabled": refuse rather than guess.
    if (!Number.isFinite(flags)) return true;
    return (BigInt(flags) & BigInt(this.c.userDisabledBitMask)) !== 0n;
  }

  private userIdentity(user: Entry, typed?: string): Identity {
    const login = first(user, this.c.userLoginField) ?? typed;
    return {
      externalId: user.dn,
      externalIdType: "ldap_user",
      name: first(user, this.c.userNameField) ?? rdnValue(user.dn),
      ...(login !== undefined ? { login } : {}),
    };
  }
}
