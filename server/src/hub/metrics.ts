/**
 * Counters and timings of the hub, kept in memory: how many frames of each kind arrived, how many
 * replies failed their event's schema, and how long handling a ping took (the last 10,000, for
 * quantiles). Exposed on `/metrics` for operators and the benchmarks.
 */
export class HubMetrics {
  private readonly samples = new Float64Array(10_000);
  private count = 0;
  readonly frames = new Map<string, number>();
  /** Successful replies whose data failed the event's reply schema, by event name. */
  readonly malformedReplies = new Map<string, number>();
  dropped = 0;
  /** Frames agents reported they could not take, by reason. */
  readonly rejected = new Map<string, number>();
  /** Network view frames sent, and their bytes, by frame type. */
  readonly stateFrames = new Map<string, { frames: number; bytes: number }>();
  /** Frames not sent because they were over the frame limit, by frame type. */
  readonly oversizedFrames = new Map<string, number>();

  /** Records one handled frame and, for pings, its handling time. */
  record(kind: string, ms: number): void {
    this.frames.set(kind, (this.frames.get(kind) ?? 0) + 1);
    if (kind !== "ping") return;
    this.samples[this.count % this.samples.length] = ms;
    this.count++;
  }

  /** Counts a reply to event `name` whose data failed the event's reply schema. */
  malformedReply(name: string): void {
    this.malformedReplies.set(name, (this.malformedReplies.get(name) ?? 0) + 1);
  }

  /** Counts a frame an agent reported it could not take. */
  rejectedByAgent(reason: string): void {
    this.rejected.set(reason, (this.rejected.get(reason) ?? 0) + 1);
  }

  /** Counts a network view frame sent. */
  stateSent(type: string, bytes: number): void {
    const entry = this.stateFrames.get(type) ?? { frames: 0, bytes: 0 };
    entry.frames++;
    entry.bytes += bytes;
    this.stateFrames.set(type, entry);
  }

  /** Counts a frame that was not sent because it was over the frame limit. */
  oversized(type: string): void {
    this.oversizedFrames.set(type, (this.oversizedFrames.get(type) ?? 0) + 1);
  }

  /** The q-quantile (0..1) of recent ping handling times, in ms. */
  pingQuantile(q: number): number {
    const n = Math.min(this.count, this.samples.length);
    if (n === 0) return 0;
    const sorted = Array.from(this.samples.subarray(0, n)).sort((a, b) => a - b);
    return sorted[Math.min(n - 1, Math.floor(q * n))]!;
  }

  /** Prometheus text exposition of these numbers. */
  render(connected: number): string {
    const lines = [
      "# TYPE corral_agents_connected gauge",
      `corral_agents_connected ${connected}`,
      "# TYPE corral_agent_frames_total counter",
      ...[...this.frames].map(([kind, n]) => `corral_agent_frames_total{kind="${kind}"} ${n}`),
      "# TYPE corral_agent_connections_dropped_total counter",
      `corral_agent_connections_dropped_total ${this.dropped}`,
      "# TYPE corral_agent_replies_malformed_total counter",
      ...[...this.malformedReplies].map(
        ([event, n]) => `corral_agent_replies_malformed_total{event="${event}"} ${n}`,
      ),
      "# TYPE corral_agent_frames_rejected_total counter",
      ...[...this.rejected].map(
        ([reason, n]) => `corral_agent_frames_rejected_total{reason="${reason}"} ${n}`,
      ),
      "# TYPE corral_host_state_frames_sent_total counter",
      ...[...this.stateFrames].map(
        ([type, e]) => `corral_host_state_frames_sent_total{type="${type}"} ${e.frames}`,
      ),
      "# TYPE corral_host_state_bytes_sent_total counter",
      ...[...this.stateFrames].map(
        ([type, e]) => `corral_host_state_bytes_sent_total{type="${type}"} ${e.bytes}`,
      ),
      "# TYPE corral_frames_oversized_total counter",
      ...[...this.oversizedFrames].map(([type, n]) => `corral_frames_oversized_total{type="${type}"} ${n}`),
      "# TYPE corral_ping_handling_ms summary",
      ...[0.5, 0.9, 0.99].map(
        (q) => `corral_ping_handling_ms{quantile="${q}"} ${this.pingQuantile(q).toFixed(3)}`,
      ),
      `corral_ping_handling_ms_count ${this.count}`,
    ];
    return `${lines.join("\n")}\n`;
  }
}
