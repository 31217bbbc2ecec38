import { isIP, connect as netConnect } from "node:net";
import { type ConnectionOptions, connect as tlsConnect } from "node:tls";
import { AppError } from "@corral/lib";
import { Client, ResultCodeError } from "ldapts";
import type { LdapConfig } from "./config.ts";

/** Most idle user-bind connections kept open for the next logins. */
const maxIdleBindClients = 4;

/** `ldap://host:port` or `ldaps://host:port` (IPv6 addresses bracketed). */
export function ldapUrl(c: LdapConfig): string {
  const host = isIP(c.server) === 6 ? `[${c.server}]` : c.server;
  return `${c.tls ? "ldaps" : "ldap"}://${host}:${c.port}`;
}

/** Where and how a config connects, for messages: `ldap.example.com:636 (ldaps)`. */
export function describeServer(c: LdapConfig): string {
  return `${c.server}:${c.port}${c.tls ? " (ldaps)" : c.startTls ? " (StartTLS)" : ""}`;
}

function tlsOptions(c: LdapConfig): ConnectionOptions {
  const ca = c.certificate.trim();
  return {
    ...(ca ? { ca } : {}),
    // Certificates are checked against the configured name; SNI only carries host names.
    host: c.server,
    ...(isIP(c.server) ? {} : { servername: c.server }),
    minVersion: "TLSv1.2",
  };
}

/** True when `e` is the server's answer to an operation (as opposed to a network or TLS failure). */
export function isLdapResult(e: unknown): e is ResultCodeError {
  return e instanceof ResultCodeError;
}

/** Plain words for the result codes a misconfigured provider meets. */
const resultWords: Record<number, string> = {
  8: "strong authentication required (use tls or startTls)",
  13: "confidentiality required (use tls or startTls)",
  32: "no such object (check domain and groupSearchDomain)",
  34: "invalid DN syntax",
  49: "invalid credentials",
  50: "insufficient access rights",
  53: "unwilling to perform",
};

/** One line saying why an LDAP operation failed: the result code in words, or the network/TLS error. */
export function describeFailure(e: unknown): string {
  if (e instanceof ResultCodeError) return `${resultWords[e.code] ?? e.name} (LDAP result ${e.code})`;
  const text = (e instanceof Error ? e.message : String(e)).split("\n")[0]!.slice(0, 300);
  const code = (e as { code?: unknown })?.code;
  const tlsTrouble = /certificate|self.signed|CERT_|altnames/i.test(`${text} ${String(code ?? "")}`);
  return tlsTrouble ? `TLS: ${text} (check certificate)` : text;
}

/**
 * True when `e` is an operation or connection timing out. Such a failure is not retried: the
 * server had its whole connectionTimeout already, and a retry would double the wait.
 */
export function isTimeout(e: unknown): boolean {
  return /timed out|timeout|no answer within/i.test(e instanceof Error ? e.message : String(e));
}

/** The error for a server that cannot be reached or spoken to: names the server and the cause. */
export function unavailable(c: LdapConfig, e: unknown, doing = "cannot reach the LDAP server"): AppError {
  if (e instanceof AppError) return e;
  return new AppError("Unavailable", `${doing} ${describeServer(c)}: ${describeFailure(e)}`, { cause: e });
}

function withDeadline<T>(c: LdapConfig, work: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no answer within ${c.connectionTimeout} ms`)),
      c.connectionTimeout,
    );
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

/** Clients whose StartTLS socket closed: ldapts keeps such a client "connected" (it watches only
 * the socket under the TLS layer), and an operation on it would wait out the whole timeout. */
const closedUnderTls = new WeakSet<Client>();

/** True when `client` still has a working connection. */
export function isAlive(client: Client): boolean {
  return client.isConnected && !closedUnderTls.has(client);
}

/**
 * Ends a client's connection. One whose StartTLS socket already closed is left alone: an unbind
 * on it would be written to the closed socket and wait out the operation timeout.
 */
export async function closeClient(client: Client): Promise<void> {
  if (closedUnderTls.has(client)) return;
  await client.unbind().catch(() => {});
}

/**
 * Opens one connection (upgraded with StartTLS when configured). The client may connect only once:
 * ldapts would silently reconnect a dropped connection unauthenticated (and without StartTLS), so a
 * second connection attempt fails instead and the caller opens a fresh client.
 */
export async function openClient(c: LdapConfig): Promise<Client> {
  let connected = false;
  const once = () => {
    if (connected) throw new Error("the LDAP connection was closed");
    connected = true;
  };
  const client: Client = new Client({
    url: ldapUrl(c),
    timeout: c.connectionTimeout,
    connectTimeout: c.connectionTimeout,
    strictDN: false,
    // ldapts speaks TLS from the first byte whenever tlsOptions are given, so only ldaps gets them.
    ...(c.tls
      ? {
          tlsOptions: tlsOptions(c),
          createSecureConnection: ((...args: Parameters<typeof tlsConnect>) => {
            once();
            return tlsConnect(...args);
          }) as typeof tlsConnect,
        }
      : {
          createConnection: ((...args: Parameters<typeof netConnect>) => {
            once();
            return netConnect(...args);
          }) as typeof netConnect,
          createSecureConnection: ((options: ConnectionOptions) => {
            const secure = tlsConnect(options);
            secure.once("close", () => closedUnderTls.add(client));
            return secure;
          }) as typeof tlsConnect,
        }),
  });
  try {
    // The TLS handshake of StartTLS has no timeout of its own in ldapts.
    if (c.startTls) await withDeadline(c, client.startTLS(tlsOptions(c)));
    return client;
  } catch (e) {
    await closeClient(client);
    throw e;
  }
}

/**
 * The connection bound as the service account, shared by every search (LDAP multiplexes
 * operations on one connection). Reopened when it was closed; an operation that fails on a reused
 * connection for a network reason is retried once on a fresh one (servers close idle connections).
 */
export class ServiceConnection {
  private client: Promise<Client> | undefined;

  constructor(private readonly c: LdapConfig) {}

  /** Runs `op` on a bound service connection; network failures become AppError Unavailable. */
  async run<T>(op: (client: Client) => Promise<T>): Promise<T> {
    const reused = this.client !== undefined;
    try {
      return await this.attempt(op);
    } catch (e) {
      if (isLdapResult(e) || e instanceof AppError || !reused || isTimeout(e)) throw this.translate(e);
      return await this.attempt(op).catch((e2) => {
        throw this.translate(e2);
      });
    }
  }

  private async attempt<T>(op: (client: Client) => Promise<T>): Promise<T> {
    let pending = this.client;
    if (pending) {
      const client = await pending.catch(() => undefined);
      if (!client || !isAlive(client)) pending = undefined;
    }
    if (!pending) {
      pending = this.bindService();
      this.client = pending;
      pending.catch(() => {
        if (this.client === pending) this.client = undefined;
      });
    }
    const client = await pending;
    try {
      return await op(client);
    } catch (e) {
      if (!isLdapResult(e) && this.client === pending) {
        this.client = undefined;
        void closeClient(client);
      }
      throw e;
    }
  }

  private async bindService(): Promise<Client> {
    const client = await openClient(this.c);
    try {
      await client.bind(serviceBindName(this.c), this.c.serviceAccountPassword);
      return client;
    } catch (e) {
      await closeClient(client);
      if (isLdapResult(e))
        throw new AppError(
          "Unavailable",
          `the LDAP server ${describeServer(this.c)} refused the service account ${this.c.serviceAccountUsername}: ${describeFailure(e)}`,
          { cause: e },
        );
      throw e;
    }
  }

  private translate(e: unknown): AppError {
    if (isLdapResult(e)) return unavailable(this.c, e, "a search was refused by the LDAP server");
    return unavailable(this.c, e);
  }

  /** Closes the connection. */
  async close(): Promise<void> {
    const pending = this.client;
    this.client = undefined;
    const client = await pending?.catch(() => undefined);
    if (client) await closeClient(client);
  }
}

/** The name the service account binds with: AD accepts `DOMAIN\user`, so a bare name is qualified. */
export function serviceBindName(c: LdapConfig): string {
  const name = c.serviceAccountUsername;
  if (c.loginDomain && !name.includes("=") && !name.includes("\\") && !name.includes("@"))
    return `${c.loginDomain}\\${name}`;
  return name;
}

/**
 * Connections used only to check a user's password with a bind. A bind replaces the connection's
 * identity, so they are never shared with searches; a few idle ones are kept so a login does not pay
 * for a TCP (and TLS) handshake.
 */
export class BindPool {
  private idle: Client[] = [];

  constructor(private readonly c: LdapConfig) {}

  /**
   * Binds `dn` with `password`: resolves on success, rethrows the server's refusal (a
   * ResultCodeError), and turns network failures into AppError Unavailable.
   */
  async bind(dn: string, password: string): Promise<void> {
    let client = this.idle.pop();
    while (client && !isAlive(client)) {
      void closeClient(client);
      client = this.idle.pop();
    }
    const reused = client !== undefined;
    try {
      await this.bindOn(client ?? (await openClient(this.c)), dn, password);
    } catch (e) {
      if (isLdapResult(e) || !reused || isTimeout(e)) throw isLdapResult(e) ? e : unavailable(this.c, e);
      try {
        await this.bindOn(await openClient(this.c), dn, password);
      } catch (e2) {
        throw isLdapResult(e2) ? e2 : unavailable(this.c, e2);
      }
    }
  }

  private async bindOn(client: Client, dn: string, password: string): Promise<void> {
    try {
      await client.bind(dn, password);
    } catch (e) {
      if (isLdapResult(e)) this.release(client);
      else void closeClient(client);
      throw e;
    }
    this.release(client);
  }

  private release(client: Client): void {
    if (this.idle.length < maxIdleBindClients && isAlive(client)) this.idle.push(client);
    else void closeClient(client);
  }

  /** Closes every idle connection. */
  async close(): Promise<void> {
    const all = this.idle;
    this.idle = [];
    await Promise.all(all.map(closeClient));
  }
}
