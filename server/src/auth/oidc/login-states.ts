/** What the server must remember between sending a browser to the provider and its return. */
export interface PendingLogin {
  /** The PKCE code verifier whose challenge went into the authorize URL. */
  codeVerifier: string;
  /** The nonce the ID token must carry. */
  nonce: string;
  /** The callback URL the code was issued for; the exchange must use the same one. */
  redirectUri: string;
}

/** Limits of a LoginStates map. */
export interface LoginStatesOptions {
  /** How long a login may take from authorize URL to callback. Default 10 minutes. */
  ttlMs?: number;
  /** At most this many logins wait at once; the oldest is dropped beyond it. Default 10000. */
  max?: number;
  /** The clock, for tests. */
  now?: () => number;
}

interface Entry extends PendingLogin {
  expires: number;
}

/**
 * The PKCE verifiers and nonces of logins in progress, keyed by the `state` value the caller put
 * in the authorize URL. Each entry is taken once (a replayed callback finds nothing), expires after
 * `ttlMs`, and the map never holds more than `max` entries, so a flood of authorize requests costs
 * bounded memory. Every entry has the same lifetime, so insertion order is expiry order and the
 * oldest entries are always at the front of the Map.
 */
export class LoginStates {
  private readonly entries = new Map<string, Entry>();
  private readonly ttlMs: number;
  private readonly max: number;
  private readonly now: () => number;

  constructor(options: LoginStatesOptions = {}) {
    this.ttlMs = options.ttlMs ?? 10 * 60_000;
    this.max = options.max ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  /** Remembers `login` under `state` (replacing an earlier login with the same state). */
  put(state: string, login: PendingLogin): void {
    this.purge();
    this.entries.delete(state);
    while (this.entries.size >= this.max) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
    this.entries.set(state, { ...login, expires: this.now() + this.ttlMs });
  }

  /** The login waiting under `state`, removed so it cannot be used twice; undefined when unknown or expired. */
  take(state: string): PendingLogin | undefined {
    const entry = this.entries.get(state);
    if (!entry) return undefined;
    this.entries.delete(state);
    if (entry.expires <= this.now()) return undefined;
    const { expires: _, ...login } = entry;
    return login;
  }

  /** How many logins are waiting (expired ones not yet purged included). */
  get size(): number {
    return this.entries.size;
  }

  private purge(): void {
    const now = this.now();
    for (const [state, entry] of this.entries) {
      if (entry.expires > now) break;
      this.entries.delete(state);
    }
  }
}
