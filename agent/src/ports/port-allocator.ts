import type { Logger } from "@corral/lib";
import type { PortSpec } from "./port-spec.ts";

/** A published port of one running container on this host, as the allocator receives it. */
export interface PortRequest extends PortSpec {
  containerId: string;
  /** The container's managed-network address, where the traffic is sent. */
  containerIp: string;
}

/** A request with its public port settled (never 0). */
export type PortAssignment = PortRequest;

/** The host's range for random public ports (servicesPortRange). */
export interface PortRange {
  start: number;
  end: number;
}

/** Identifies one publication of one container across passes. */
function requestKey(r: PortRequest): string {
  return `${r.containerId}/${r.privatePort}/${r.protocol}/${r.bindIp ?? ""}`;
}

/** Two publications clash on the same protocol and port unless both name different addresses. */
function clashes(a: PortRequest, b: PortRequest): boolean {
  return (
    a.protocol === b.protocol &&
    a.publicPort === b.publicPort &&
    (!a.bindIp || !b.bindIp || a.bindIp === b.bindIp)
  );
}

/**
 * Settles public ports for the host. Explicit ports come first, so a random pick never takes a
 * port someone asked for by number; a random port, once chosen, is kept for that container and
 * private port while it stays free, so a restart of the agent's pass loop never moves it (the server
 * stores it as the container's public endpoint). Two publications on one port: the first wins and
 * the clash is logged once.
 */
export class PortAllocator {
  private remembered = new Map<string, number>();
  private logged = new Set<string>();
  private seen = new Set<string>();

  constructor(
    private readonly logger: Logger,
    private readonly random: () => number = Math.random,
  ) {}

  /** Settles every request; the result keeps the requests' order and leaves out refused ones. */
  assign(requests: PortRequest[], range: PortRange): PortAssignment[] {
    this.seen = new Set();
    const taken: PortAssignment[] = [];
    const settled = new Map<number, PortAssignment>();
    const claim = (index: number, r: PortAssignment): boolean => {
      const other = taken.find((t) => clashes(t, r));
      if (other) {
        this.reportClash(r, other);
        return false;
      }
      taken.push(r);
      settled.set(index, r);
      return true;
    };
    requests.forEach((r, i) => {
      if (r.publicPort !== 0) claim(i, r);
    });
    const fresh = new Map<string, number>();
    const pending: number[] = [];
    requests.forEach((r, i) => {
      if (r.publicPort !== 0) return;
      const kept = this.remembered.get(requestKey(r));
      if (kept !== undefined && this.isFree(taken, r, kept) && claim(i, { ...r, publicPort: kept }))
        fresh.set(requestKey(r), kept);
      else pending.push(i);
    });
    for (const i of pending) {
      const r = requests[i]!;
      const chosen = this.pick(taken, r, range);
      if (chosen === null) {
        this.logOnce(`full/${requestKey(r)}`, "no free public port left in range", { ...r, range });
        continue;
      }
      claim(i, { ...r, publicPort: chosen });
      fresh.set(requestKey(r), chosen);
    }
    // Forgetting ports of containers that are gone lets their numbers be picked again.
    this.remembered = fresh;
    // A problem that went away and comes back later is worth a new log line.
    this.logged = this.seen;
    return requests.flatMap((_, i) => settled.get(i) ?? []);
  }

  private isFree(taken: PortAssignment[], r: PortRequest, publicPort: number): boolean {
    return !taken.some((t) => clashes(t, { ...r, publicPort }));
  }

  /** A random free port of the range: random probes first, then a scan so a crowded range still finds one. */
  private pick(taken: PortAssignment[], r: PortRequest, range: PortRange): number | null {
    const size = range.end - range.start + 1;
    if (size <= 0) return null;
    for (let attempt = 0; attempt < 32; attempt++) {
      const candidate = range.start + Math.floor(this.random() * size);
      if (this.isFree(taken, r, candidate)) return candidate;
    }
    for (let candidate = range.start; candidate <= range.end; candidate++)
      if (this.isFree(taken, r, candidate)) return candidate;
    return null;
  }

  private reportClash(r: PortRequest, kept: PortRequest): void {
    this.logOnce(
      `clash/${requestKey(r)}/${r.publicPort}`,
      "public port already published; keeping the first",
      {
        port: `${r.publicPort}/${r.protocol}`,
        refused: r.containerId,
        kept: kept.containerId,
      },
    );
  }

  /** Logs a problem the first time it is seen: passes run every few seconds and would repeat it. */
  private logOnce(key: string, message: string, fields: Record<string, unknown>): void {
    this.seen.add(key);
    if (this.logged.has(key)) return;
    this.logger.warn(message, fields);
  }
}
