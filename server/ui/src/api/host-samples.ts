/**
 * A host's resource samples as its `stats` link answers them, and how the hosts page keeps them:
 * the first read takes the whole history, each later one asks only for what came `since` the last.
 */

/** One sample: when the server received it (ms since the epoch) and the host's use then. */
export interface HostSample {
  at: number;
  /** Percent of all cores. */
  cpuLoad: number;
  memoryUsed: number;
  memoryTotal: number;
  diskUsed: number;
  diskTotal: number;
}

/** The answer of a host's `stats` link. */
export interface HostStatsReply {
  /** How many samples the server keeps per host. */
  capacity: number;
  /** The mount point the disk values follow, null when the host reported no disk. */
  disk: string | null;
  samples: HostSample[];
}

/** The URL of the next read: all samples first, then only those after the newest one held. */
export function nextStatsUrl(link: string, held: readonly HostSample[]): string {
  const last = held.at(-1);
  if (!last) return link;
  return `${link}${link.includes("?") ? "&" : "?"}since=${Math.floor(last.at)}`;
}

/**
 * The samples held after a read: the new ones after those held (any the page has already are
 * skipped, so a repeated answer adds nothing), the oldest dropped beyond `keep`.
 */
export function mergeSamples(
  held: readonly HostSample[],
  fresh: readonly HostSample[],
  keep: number,
): HostSample[] {
  const newest = held.at(-1)?.at ?? Number.NEGATIVE_INFINITY;
  const added = fresh.filter((s) => s.at > newest);
  if (added.length === 0) return held as HostSample[];
  return [...held, ...added].slice(-Math.max(1, keep));
}

/** A unit for byte counts up to `max`, so a graph's axis reads "3.2 GiB" rather than a long number. */
export function byteUnit(max: number): { name: string; size: number } {
  if (max >= 1024 ** 4) return { name: "TiB", size: 1024 ** 4 };
  if (max >= 1024 ** 3) return { name: "GiB", size: 1024 ** 3 };
  if (max >= 1024 ** 2) return { name: "MiB", size: 1024 ** 2 };
  if (max >= 1024) return { name: "KiB", size: 1024 };
  return { name: "B", size: 1 };
}
