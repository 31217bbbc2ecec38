import type { LbStatus } from "@corral/api";

/** The view versions each host was last sent, taken at one instant (see BalancerViews.mark). */
export type ViewMark = ReadonlyMap<string, number>;

/**
 * Which network view each load balancer serves: the hub notes the last view (hostState version)
 * sent to each host, and each host's agent reports, per balancer container, the newest view that
 * container was brought in line with. A view sent after a change was built after it, so a balancer
 * that serves a view newer than the one its host had when the change was made has seen the change.
 * Drains use this to stop containers only once no balancer sends them requests any more.
 */
export class BalancerViews {
  private readonly sentTo = new Map<string, number>();
  /** Per host, the last report: balancer container id -> view version (null: the agent does not say). */
  private readonly served = new Map<string, Map<string, number | null>>();
  private readonly waiters = new Set<() => void>();

  /** Notes that a host was sent the view `version`. */
  sent(hostId: string, version: number): void {
    this.sentTo.set(hostId, Math.max(version, this.sentTo.get(hostId) ?? 0));
  }

  /** Takes a host's report (hello or ping); it replaces the host's previous one and wakes waiters. */
  report(hostId: string, report: LbStatus | undefined): void {
    if (!report) return;
    this.served.set(hostId, new Map(report.map((e) => [e.containerId, e.viewVersion ?? null])));
    for (const wake of [...this.waiters]) wake();
  }

  /** The versions every host was last sent, now: take it right after the change, before any publish. */
  mark(): ViewMark {
    return new Map(this.sentTo);
  }

  /**
   * True when the balancer container `containerId` on `hostId` serves a view sent after `mark`, or
   * its agent does not report versions (nothing to wait for then). False while it has not reported.
   */
  passed(mark: ViewMark, hostId: string, containerId: string): boolean {
    const version = this.served.get(hostId)?.get(containerId);
    if (version === undefined) return false;
    return version === null || version > (mark.get(hostId) ?? 0);
  }

  /** Resolves at the next report from any host, or after `timeoutMs`. */
  next(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, timeoutMs));
      this.waiters.add(done);
    });
  }
}
