/** How a provider's outgoing requests are made. */
export interface FetchOptions {
  /** Abort a request after this long. */
  timeoutMs: number;
  /** PEM CA bundle trusted beside the system's CAs (a private issuer or GitHub Enterprise). */
  ca?: string;
}

/** The default time a provider request may take before the login fails as unavailable. */
export const defaultProviderTimeoutMs = 10_000;

/**
 * A fetch for provider requests: it gives up after `timeoutMs` (a hung provider must not hold a
 * login request forever) and trusts `ca` when given. It never follows redirects silently to
 * another host's credentials: OAuth endpoints answer directly, so a redirect is returned as is.
 */
export function timedFetch(
  options: FetchOptions,
): (url: string | URL | Request, init?: RequestInit) => Promise<Response> {
  return (url, init = {}) => {
    const timeout = AbortSignal.timeout(options.timeoutMs);
    const signal = init.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    const tls = options.ca ? { ca: options.ca } : undefined;
    return fetch(url, { ...init, signal, redirect: "manual", ...(tls ? { tls } : {}) });
  };
}

/** True when `e` is a failure to reach the other side (refused, reset, DNS, TLS, timeout), not an answer. */
export function isNetworkError(e: unknown): boolean {
  if (e instanceof DOMException) return e.name === "TimeoutError" || e.name === "AbortError";
  if (e instanceof TypeError) return true;
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === "string" && !code.startsWith("OAUTH_");
}

/**
 * What went wrong reaching a provider, as the end of a sentence naming it: "is unreachable: ..."
 * or, for a certificate the server does not trust, a hint to configure the provider's CA.
 */
export function networkFailure(e: unknown): string {
  const reason = networkReason(e);
  if (/CERT|VERIFY|SELF_SIGNED|certificate/i.test(reason)) {
    return `has a certificate this server does not trust: ${reason} (set the provider's CA in certificate)`;
  }
  return `is unreachable: ${reason}`;
}

/** A short reason for a network failure, for messages an admin reads. */
export function networkReason(e: unknown): string {
  if (e instanceof DOMException && e.name === "TimeoutError") return "timed out";
  const code = (e as { code?: unknown } | null)?.code;
  const message = e instanceof Error ? e.message : String(e);
  return typeof code === "string" && !message.includes(code) ? `${message} (${code})` : message;
}
