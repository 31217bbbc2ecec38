import { type FrameRejected, parseId } from "@corral/api";
import type { Store } from "../store/store.ts";

/** What a host shows about frames its agent could not take (`hostStateSync` on the API). */
export interface ViewRejectionFields {
  hostStateSync?: {
    /** Frames the agent reported since the server started counting for this host. */
    rejectedFrames: number;
    /** The last one: why, its type and size, what the agent said, when (ISO time). */
    lastRejected: {
      reason: string;
      frameType: string | null;
      bytes: number;
      detail: string;
      at: string;
    } | null;
  };
}

/** Least time between two writes of one host's record: a noisy agent must not cost a write a frame. */
const writeGapMs = 1000;

/**
 * Folds agents' `frameRejected` reports into their host rows, at most one write a second per host
 * (a later report is written when the gap has passed, so the last one always shows).
 */
export class ViewRejections {
  private readonly counts = new Map<string, number>();
  private readonly last = new Map<
    string,
    NonNullable<ViewRejectionFields["hostStateSync"]>["lastRejected"]
  >();
  private readonly writtenAt = new Map<string, number>();
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();

  constructor(private readonly store: Store) {}

  /** Records one report of host `hostId`'s agent. */
  report(hostId: string, frame: FrameRejected): void {
    const n = parseId("host", hostId);
    if (n === null) return;
    const row = this.store.get<ViewRejectionFields>(n);
    const base = this.counts.get(hostId) ?? row?.data.hostStateSync?.rejectedFrames ?? 0;
    this.counts.set(hostId, base + 1);
    const { reason, frameType, bytes, detail } = frame;
    this.last.set(hostId, { reason, frameType, bytes, detail, at: new Date().toISOString() });
    if (this.timers.has(hostId)) return;
    const wait = (this.writtenAt.get(hostId) ?? 0) + writeGapMs - Date.now();
    if (wait <= 0) {
      this.write(hostId, n);
      return;
    }
    this.timers.set(
      hostId,
      setTimeout(() => {
        this.timers.delete(hostId);
        this.write(hostId, n);
      }, wait),
    );
  }

  /** Cancels pending writes. */
  stop(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  private write(hostId: string, n: number): void {
    this.writtenAt.set(hostId, Date.now());
    const row = this.store.get(n);
    if (row?.type !== "host" || row.state === "removed") return;
    this.store.update<ViewRejectionFields>(n, {
      data: {
        hostStateSync: {
          rejectedFrames: this.counts.get(hostId) ?? 0,
          lastRejected: this.last.get(hostId) ?? null,
        },
      },
    });
  }
}
