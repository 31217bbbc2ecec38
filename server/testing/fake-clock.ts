/**
 * A fake clock for orchestrator tests: bun:test's fake timers (Date.now, setTimeout, setInterval)
 * moved forward in small steps, with the microtask queue drained after each step. Advancing fake
 * timers in one jump would fire only the first link of an async chain (`await sleep(200)` in a
 * loop); stepping lets every awaited continuation run and schedule its next timer before time
 * moves on, as it would with real time.
 */
import { jest } from "bun:test";

/** Where fake time starts: a fixed instant, so runs are reproducible. */
export const fakeEpoch = Date.UTC(2030, 0, 1);

/**
 * Resolves once every queued microtask (and every microtask those queue) has run. setImmediate is
 * not faked by bun:test, and the microtask queue is drained before any macrotask runs.
 */
export function drainMicrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Fake time for one test; {@link FakeClock.restore} puts the real timers back. */
export class FakeClock {
  private constructor() {}

  /** Replaces Date.now and the timer functions with fake ones starting at {@link fakeEpoch}. */
  static install(): FakeClock {
    jest.useFakeTimers({ now: fakeEpoch });
    return new FakeClock();
  }

  /** Fake milliseconds since the clock was installed. */
  elapsed(): number {
    return Date.now() - fakeEpoch;
  }

  /**
   * Moves time forward by `ms` in steps of at most `stepMs`; after each step the timers due in it
   * have fired and `between` ran (it drains what they started).
   */
  async advance(ms: number, between: () => Promise<void>, stepMs = 50): Promise<void> {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      jest.advanceTimersByTime(Math.min(stepMs, end - Date.now()));
      await between();
    }
  }

  /** Puts the real timers back. */
  restore(): void {
    jest.useRealTimers();
  }
}
