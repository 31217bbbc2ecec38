import { Agent } from "node:https";
import { rootCertificates } from "node:tls";
import type { AcmeChallenge } from "@corral/api";
import * as acme from "acme-client";

/**
 * Trusts `caPem` (beside the system's roots) for talking to ACME directories: a private ACME CA
 * (step-ca, a test pebble) serves its API under a certificate of its own. acme-client talks through
 * one axios instance, so this is process-wide; the server sets it once at start.
 */
export function trustAcmeCa(caPem: string | null): void {
  acme.axios.defaults.httpsAgent = caPem ? new Agent({ ca: [...rootCertificates, caPem] }) : undefined;
}

/**
 * The last transport failure (no HTTP answer) of acme-client's requests. Its retry interceptor
 * loses the original error once retries run out (it then fails reading the missing response), so
 * this handler, put before it, keeps the reason for the order's error message.
 */
let lastTransportError: string | null = null;
const handlers = (acme.axios.interceptors.response as unknown as { handlers?: unknown[] }).handlers;
handlers?.unshift({
  fulfilled: null,
  rejected: (error: { code?: string; message?: string; response?: unknown }) => {
    if (!error.response)
      lastTransportError =
        error.code && !error.message?.includes(error.code)
          ? `${error.code} ${error.message ?? ""}`
          : (error.message ?? "no answer");
    return Promise.reject(error);
  },
  synchronous: false,
  runWhen: null,
});
// A CA that cannot be reached is retried by the issuer's own backoff: acme-client's in-request
// retries (5 attempts, 75 s) would only delay the error on the certificate.
(
  acme.axios.defaults as unknown as { acmeSettings: { retryMaxAttempts: number } }
).acmeSettings.retryMaxAttempts = 2;

/** Makes a new ACME account key (PEM). */
export async function newAccountKey(): Promise<string> {
  return (await acme.crypto.createPrivateKey()).toString();
}

/** What to order: the CA, the account and the names. */
export interface OrderRequest {
  directoryUrl: string;
  accountKey: string;
  email: string | null;
  domains: string[];
}

/** A signed certificate: the leaf, the rest of the chain (or null) and the leaf's private key. */
export interface IssuedCertificate {
  cert: string;
  certChain: string | null;
  key: string;
}

/** How an order's HTTP-01 challenges get answered: `publish` resolves once they are served. */
export interface ChallengeHooks {
  publish(challenge: AcmeChallenge): Promise<void>;
  withdraw(token: string): Promise<void>;
}

/** Splits a PEM bundle into its certificates. */
export function splitPem(bundle: string): string[] {
  return bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

/**
 * Runs one RFC 8555 order with acme-client: registers (or finds) the account, proves every domain
 * with HTTP-01 through `hooks` (no self-check over the network: the hooks resolve once the load
 * balancers serve the answer), finalizes with a fresh key and CSR and downloads the chain. Errors
 * carry the CA's problem detail in their message.
 */
export async function orderCertificate(
  request: OrderRequest,
  hooks: ChallengeHooks,
): Promise<IssuedCertificate> {
  const client = new acme.Client({ directoryUrl: request.directoryUrl, accountKey: request.accountKey });
  const [key, csr] = await acme.crypto.createCsr({
    commonName: request.domains[0]!,
    altNames: request.domains,
  });
  lastTransportError = null;
  const bundle = await client
    .auto({
      csr,
      ...(request.email ? { email: request.email } : {}),
      termsOfServiceAgreed: true,
      challengePriority: ["http-01"],
      skipChallengeVerification: true,
      challengeCreateFn: async (authz, challenge, keyAuthorization) => {
        if (challenge.type !== "http-01")
          throw new Error(`the CA offers no http-01 challenge for ${authz.identifier.value}`);
        await hooks.publish({ domain: authz.identifier.value, token: challenge.token, keyAuthorization });
      },
      challengeRemoveFn: async (_authz, challenge) => {
        await hooks.withdraw(challenge.token);
      },
    })
    .catch((e: Error) => {
      if (e instanceof TypeError && lastTransportError)
        throw new Error(`cannot reach the ACME server ${request.directoryUrl}: ${lastTransportError}`);
      throw e;
    });
  const [leaf, ...chain] = splitPem(bundle);
  if (!leaf) throw new Error("the CA returned no certificate");
  return {
    cert: `${leaf}\n`,
    certChain: chain.length > 0 ? `${chain.join("\n")}\n` : null,
    key: key.toString(),
  };
}
