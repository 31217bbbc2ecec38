import type { HostFacts } from "@corral/api";

/** One resource sample of a host, as its agent reported it in a hello or a ping. */
export interface HostSample {
  /** When the server received it, in ms since the epoch. */
  at: number;
  /** CPU use in percent of all cores (0-100). */
  cpuLoad: number;
  memoryUsed: number;
  memoryTotal: number;
  /** Bytes used and size of the disk the history follows (see {@link diskOf}); 0 when none. */
  diskUsed: number;
  diskTotal: number;
}

/** What the history answers for a host: its samples, oldest first, and the disk they follow. */
export interface HostSamples {
  /** The mount point of the disk in `diskUsed`/`diskTotal`, or null when the host reported none. */
  disk: string | null;
  samples: HostSample[];
}

/** Samples kept per host: an hour at the agents' default ping interval (5 s). */
export const defaultHostSamples = 720;

/** Numbers stored per sample: its time, then the five values in {@link HostSample}'s order. */
const stride = 6;
/** Slots a new host's ring starts with; it doubles as samples come, up to the capacity. */
const firstSlots = 16;

/** One host's ring of samples, `stride` numbers each. */
interface Ring {
  data: Float64Array;
  /** Slots in `data`: grows to the capacity before the ring ever wraps. */
  slots: number;
  /** Slot the next sample goes to. */
  next: number;
  size: number;
  disk: string | null;
}

/**
 * The disk a host's graph follows: the root filesystem when the agent reports it (inside the agent
 * container that is the filesystem Docker's images and containers fill), else the largest.
 */
export function diskOf(disks: HostFacts["disks"]): HostFacts["disks"][number] | null {
  const root = disks.find((d) => d.mount === "/");
  if (root) return root;
  let largest: HostFacts["disks"][number] | null = null;
  for (const d of disks) if (!largest || d.size > largest.size) largest = d;
  return largest;
}

/**
 * A bounded, in-memory history of each host's CPU, memory and disk use, fed by the facts agents
 * send in hellos and pings. Each host keeps at most `capacity` samples (the oldest go first), in
 * one typed array that grows as samples come (a full hour is about 35 KB a host); a removed host's
 * history goes at once. Nothing is written to the store (a ping must not cost a write): a server
 * restart starts the graphs afresh.
 */
export class HostStatsHistory {
  private readonly rings = new Map<string, Ring>();

  constructor(readonly capacity = defaultHostSamples) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error("capacity must be a positive integer");
  }

  /** Adds a sample from `facts`, received at `at` (ms since the epoch). */
  record(hostId: string, facts: HostFacts, at = Date.now()): void {
    let ring = this.rings.get(hostId);
    if (!ring) {
      const slots = Math.min(firstSlots, this.capacity);
      ring = { data: new Float64Array(slots * stride), slots, next: 0, size: 0, disk: null };
      this.rings.set(hostId, ring);
    }
    if (ring.size === ring.slots && ring.slots < this.capacity) {
      // Not wrapped yet (it wraps only at full capacity): the samples sit in order from slot 0.
      ring.slots = Math.min(this.capacity, ring.slots * 2);
      const data = new Float64Array(ring.slots * stride);
      data.set(ring.data);
      ring.data = data;
      ring.next = ring.size;
    }
    const disk = diskOf(facts.disks);
    ring.disk = disk?.mount ?? null;
    const o = ring.next * stride;
    ring.data.set(
      [at, facts.cpuLoad, facts.memoryUsed, facts.memoryTotal, disk?.used ?? 0, disk?.size ?? 0],
      o,
    );
    ring.next = (ring.next + 1) % ring.slots;
    ring.size = Math.min(ring.slots, ring.size + 1);
  }

  /** The host's samples received after `since` (ms since the epoch; all when absent), oldest first. */
  samples(hostId: string, since?: number): HostSamples {
    const ring = this.rings.get(hostId);
    if (!ring) return { disk: null, samples: [] };
    const out: HostSample[] = [];
    const first = (ring.next - ring.size + ring.slots) % ring.slots;
    const d = ring.data;
    for (let k = 0; k < ring.size; k++) {
      const o = ((first + k) % ring.slots) * stride;
      if (since !== undefined && d[o]! <= since) continue;
      out.push({
        at: d[o]!,
        cpuLoad: d[o + 1]!,
        memoryUsed: d[o + 2]!,
        memoryTotal: d[o + 3]!,
        diskUsed: d[o + 4]!,
        diskTotal: d[o + 5]!,
      });
    }
    return { disk: ring.disk, samples: out };
  }

  /** Forgets a host (removed, or purged with its environment). */
  drop(hostId: string): void {
    this.rings.delete(hostId);
  }

  /** Number of hosts with a history. */
  get hostCount(): number {
    return this.rings.size;
  }
}
