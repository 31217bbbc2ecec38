import { agentPaths } from "@corral/api";
import { AppError } from "@corral/lib";
import { baseUrl } from "./register.ts";
import type { AgentState } from "./state.ts";

/** SHA-256 of a CA bundle's exact bytes, lowercase hex: what registration commands carry. */
export function caChecksum(pem: string): string {
  return new Bun.CryptoHasher("sha256").update(pem).digest("hex");
}

/** TLS options that trust the pinned CA only (undefined for a plain-HTTP URL). */
export function pinnedTls(ca: string | undefined): { ca: string } | undefined {
  return ca ? { ca } : undefined;
}

/** Why a TLS failure happened, in words an operator can act on; null when `e` is not a TLS failure. */
export function tlsFailure(e: unknown, url: string): string | null {
  const err = e as { code?: unknown; message?: unknown };
  const code = typeof err?.code === "string" ? err.code : "";
  const message = typeof err?.message === "string" ? err.message : String(e);
  if (!/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ALTNAME|TLS|SSL|certificate/i.test(`${code} ${message}`))
    return null;
  return `the server at ${url} has a certificate that does not chain to the CA this agent pinned, or does not name that address (${code || message}): refusing to talk to it`;
}

/**
 * The CA to trust for `url`, so that nothing is ever sent to an unverified server:
 * - a plain-HTTP URL: none, unless this agent pinned a CA already (then it refuses: a host that
 *   joined over HTTPS never falls back to plain HTTP);
 * - an HTTPS URL with a checksum (from the registration command): the CA pinned before when it has
 *   that checksum, else the one fetched from `<url>/cacerts`, refused unless its SHA-256 matches;
 * - an HTTPS URL without a checksum: the CA pinned before, refused when there is none.
 * The `/cacerts` fetch is the one request that does not verify the server: what it gets is checked
 * against the checksum before anything is trusted or sent.
 */
export async function serverCa(
  url: string,
  checksum: string | undefined,
  state: AgentState,
  signal?: AbortSignal,
): Promise<string | undefined> {
  const https = /^https:/i.test(url);
  const wanted = checksum?.trim().toLowerCase();
  if (wanted !== undefined && !/^[0-9a-f]{64}$/.test(wanted))
    throw new AppError(
      "InvalidFormat",
      "--ca-checksum must be 64 hexadecimal digits (the SHA-256 of the server's CA)",
    );
  if (!https) {
    if (state.caCert)
      throw new AppError(
        "PermissionDenied",
        `this agent pinned its server's CA and talks to it over HTTPS only; ${url} is plain HTTP (use the https URL)`,
      );
    if (wanted) throw new AppError("InvalidOption", `--ca-checksum needs an https URL, not ${url}`);
    return undefined;
  }
  if (!wanted) {
    if (state.caCert) return state.caCert;
    throw new AppError(
      "MissingRequired",
      `to join ${url} this agent needs the server CA's checksum (--ca-checksum or CORRAL_CA_CHECKSUM, from the registration command)`,
    );
  }
  if (state.caCert && caChecksum(state.caCert) === wanted) return state.caCert;
  let pem: string;
  try {
    // Its own connection (a checkServerIdentity of its own), closed after: it is never reused by
    // the verified requests that follow.
    const res = await fetch(`${baseUrl(url)}${agentPaths.cacerts}`, {
      tls: { rejectUnauthorized: false, checkServerIdentity: () => undefined },
      redirect: "manual",
      signal,
    });
    if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
    pem = await res.text();
  } catch (e) {
    throw new AppError(
      "Unavailable",
      `cannot fetch the server's CA from ${baseUrl(url)}${agentPaths.cacerts}: ${(e as Error).message}`,
      {
        cause: e,
      },
    );
  }
  const got = caChecksum(pem);
  if (got !== wanted)
    throw new AppError(
      "PermissionDenied",
      `the CA served at ${baseUrl(url)}${agentPaths.cacerts} has SHA-256 ${got}, not ${wanted} as the registration command says: refusing this server (wrong address, or someone in between)`,
    );
  return pem;
}
