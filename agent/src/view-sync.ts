import {
  type AgentFrame,
  type FrameRejectReason,
  HostStateAssembler,
  type HostStateFrame,
} from "@corral/api";
import type { Logger } from "@corral/lib";
import type { HostStateBus } from "./host-state-bus.ts";

/** A frame the agent could not take, as it reports it. */
export interface Rejection {
  reason: FrameRejectReason;
  frameType: string | null;
  bytes: number;
  detail: string;
}

/** Reports sent at once before the rate applies, and reports a second after that. */
const reportBurst = 20;
const reportsPerSecond = 2;
/** How long an unanswered resync request stands before the agent may ask again. */
const resyncWaitMs = 10_000;

/**
 * One session's side of the network view: rebuilds the view from `hostState` frames and hands each
 * whole view to the bus. A frame it cannot take (too large, not JSON, failing the schema, out of
 * sequence, a snapshot with a part missing) is reported to the server with `frameRejected`
 * (rate-limited, so a server sending garbage is not answered with a flood) and followed by a
 * `hostState.resync` request, at most one standing at a time.
 */
export class ViewSync {
  private readonly assembler = new HostStateAssembler();
  private tokens = reportBurst;
  private refilledAt = Date.now();
  private resyncAskedAt: number | null = null;
  /** Reports sent, and reports left out by the rate limit (for tests and logs). */
  readonly counts = { reported: 0, suppressed: 0 };

  constructor(
    private readonly send: (frame: AgentFrame) => void,
    private readonly logger: Logger,
    private readonly bus?: HostStateBus,
  ) {}

  /** Takes one frame of the network view. */
  take(frame: HostStateFrame, bytes: number): void {
    const result = this.assembler.accept(frame);
    if (result.kind === "pending") return;
    if (result.kind === "view") {
      if (frame.type !== "hostState.delta") this.resyncAskedAt = null;
      this.bus?.publish(result.state);
      return;
    }
    // Deltas that keep arriving after a refusal, before the snapshot asked for, say nothing new.
    if (this.resyncAskedAt !== null && Date.now() - this.resyncAskedAt < resyncWaitMs) return;
    this.reject({ reason: result.reason, frameType: frame.type, bytes, detail: result.detail });
  }

  /** Reports a frame that could not be taken and asks for a snapshot. */
  reject(rejection: Rejection): void {
    this.logger.warn("could not take a frame from the server", { ...rejection });
    if (this.allowReport()) {
      this.counts.reported++;
      this.send({ type: "frameRejected", ...rejection, detail: rejection.detail.slice(0, 1024) });
    } else this.counts.suppressed++;
    // Any frame that could not be read may have been part of the view: only a snapshot is sure.
    this.assembler.reset();
    const now = Date.now();
    if (this.resyncAskedAt !== null && now - this.resyncAskedAt < resyncWaitMs) return;
    this.resyncAskedAt = now;
    this.send({ type: "hostState.resync", seq: null });
  }

  private allowReport(): boolean {
    const now = Date.now();
    this.tokens = Math.min(reportBurst, this.tokens + ((now - this.refilledAt) / 1000) * reportsPerSecond);
    this.refilledAt = now;
    if (this.tokens < 1) return false;
    this.tokens--;
    return true;
  }
}
