/**
 * Cooperative time slices for long work on one event loop: an orchestrator pass that placed ten
 * thousand units in one go, or a network view sent to forty hosts, held every API request until
 * it was done. Work calls {@link TimeSlice.pause} between small steps; it yields to the event loop
 * once the slice has run for `sliceMs`, so requests, agent replies and timers run in between.
 */
export class TimeSlice {
  private started = performance.now();

  constructor(private readonly sliceMs = 4) {}

  /** Yields to the event loop when this slice has used its time; otherwise resolves at once. */
  async pause(): Promise<void> {
    if (performance.now() - this.started < this.sliceMs) return;
    await yieldToLoop();
    this.started = performance.now();
  }
}

/**
 * Lets everything queued on the event loop run (I/O callbacks, timers due), then resumes.
 * setImmediate, not a timer: fake timers in tests do not hold it back.
 */
export function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
