import { Backoff } from "@corral/lib";

/** The restart tunables: backoff between attempts, and the crash-loop guard. */
export interface GuardOptions {
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** This many failures within `windowMs` is a crash loop... */
  maxRestarts: number;
  windowMs: number;
  /** ...held off this long before trying again. */
  cooldownMs: number;
  now(): number;
}

/** How long to wait before the next attempt, and whether the service is crash-looping. */
export interface Pause {
  ms: number;
  crashLoop: boolean;
  /** Failures within the window, this one included. */
  recent: number;
}

/**
 * Backoff plus the crash-loop guard of one service. Start errors and exits count alike: a
 * service that cannot start is as broken as one that keeps exiting, and both are retried.
 */
export class CrashGuard {
  private readonly backoff: Backoff;
  private failures: number[] = [];

  constructor(private readonly o: GuardOptions) {
    this.backoff = new Backoff(o.backoffBaseMs, o.backoffMaxMs);
  }

  /** Records a failure now. A crash loop starts counting afresh after its cooldown. */
  failure(): Pause {
    const now = this.o.now();
    this.failures = [...this.failures.filter((t) => t > now - this.o.windowMs), now];
    const recent = this.failures.length;
    if (recent >= this.o.maxRestarts) {
      this.reset();
      return { ms: this.o.cooldownMs, crashLoop: true, recent };
    }
    return { ms: this.backoff.next(), crashLoop: false, recent };
  }

  /** Forgets past failures: after a run that lasted a window, or when System Docker came back. */
  reset(): void {
    this.failures = [];
    this.backoff.reset();
  }
}
