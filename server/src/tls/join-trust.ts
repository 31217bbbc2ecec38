/** What a joining host needs to reach this server over HTTPS and pin its CA. */
export interface JoinTrust {
  /** The HTTPS listener's port. */
  httpsPort: number;
  /** The CA bundle served at `/cacerts`. */
  caPem: string;
  /** SHA-256 of `caPem`'s bytes, lowercase hex. */
  caChecksum: string;
}

/**
 * The URL a joining host uses: the origin the caller reached us through, moved to HTTPS on the
 * HTTPS port when the caller came over plain HTTP (an admin on loopback reads the same command a
 * remote one does, with the address they typed). Unchanged without HTTPS.
 */
export function joinBase(base: string, trust: JoinTrust | undefined): string {
  if (!trust) return base;
  const url = new URL(base);
  if (url.protocol === "https:") return url.origin;
  url.protocol = "https:";
  url.port = String(trust.httpsPort);
  return url.origin;
}
