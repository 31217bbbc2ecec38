import { createServer, type Server } from "node:http";
import { createServer as createTlsServer } from "node:https";
import type { AddressInfo } from "node:net";
import Provider, { type Configuration } from "oidc-provider";

/** A person the test issuer knows, with the claims it hands out. */
export interface IssuerAccount {
  name?: string;
  preferred_username?: string;
  email?: string;
  groups?: string[];
}

/** A running test issuer. */
export interface TestIssuer {
  /** The issuer URL (http on a free loopback port). */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** The one callback URL the test client may use. */
  redirectUri: string;
  /** Stops the HTTP server. */
  close(): Promise<void>;
}

/**
 * Starts a real OpenID provider (`oidc-provider`, a certified implementation) on a free loopback
 * port with one confidential client and the given accounts, with its development login and
 * consent pages (any password is accepted for a known login). The groups claim is released with
 * the `groups` scope, as Dex does. With `tls` (a certificate for 127.0.0.1 and its key) it serves
 * https, as a private issuer whose CA must be configured; `port` picks the port (default: a free one);
 * `redirectUri` is the client's one callback URL (a running Corral server's, for end-to-end logins).
 */
export async function startTestIssuer(
  accounts: Record<string, IssuerAccount>,
  options: { tls?: { cert: string; key: string }; port?: number; redirectUri?: string } = {},
): Promise<TestIssuer> {
  const { tls, port: wanted = 0 } = options;
  const server: Server = tls ? createTlsServer({ cert: tls.cert, key: tls.key }) : createServer();
  await new Promise<void>((resolve) => server.listen(wanted, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  const issuer = `${tls ? "https" : "http"}://127.0.0.1:${port}`;
  const clientId = "corral-test";
  const clientSecret = "corral-test-secret-0123456789abcdef";
  const redirectUri = options.redirectUri ?? "http://127.0.0.1:1/v2-beta/auth/oidcconfig/callback";
  const configuration: Configuration = {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: [redirectUri],
        grant_types: ["authorization_code"],
        response_types: ["code"],
        token_endpoint_auth_method: "client_secret_basic",
      },
    ],
    claims: {
      openid: ["sub"],
      profile: ["name", "preferred_username"],
      email: ["email"],
      groups: ["groups"],
    },
    cookies: { keys: ["test-issuer-cookie-key"] },
    pkce: { required: () => true },
    async findAccount(_ctx, id) {
      const account = accounts[id];
      if (!account) return undefined;
      return { accountId: id, claims: async () => ({ sub: id, ...account }) };
    },
  };
  const provider = new Provider(issuer, configuration);
  server.on("request", provider.callback());
  return {
    issuer,
    clientId,
    clientSecret,
    redirectUri,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
