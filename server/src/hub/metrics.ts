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
      "# TYPE corral_ping_handling_ms summary",
      ...[0.5, 0.9, 0.99].map(
        (q) => `corral_ping_handling_ms{quantile="${q}"} ${this.pingQuantile(q).toFixed(3)}`,
      ),
      `corral_ping_handling_ms_count ${this.count}`,
    ];
    return `${lines.join("\n")}\n`;
  }
}
