/**
 * Runs work one piece at a time per key, in the order it was queued, and concurrently across keys:
 * work on one container must apply in order (a stop must not overtake the start it follows), while
 * different containers need not wait for each other. A failed piece does not stop the ones queued
 * after it. Keys whose work has drained are forgotten, so the queue does not grow with every key
 * ever seen.
 */
export class KeyedQueue {
  /** The end of each key's chain; it never rejects, so the next piece always runs. */
  private readonly tails = new Map<string, Promise<void>>();

  /** Queues `work` behind the key's earlier work; settles as the work does. */
  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const result = (this.tails.get(key) ?? Promise.resolve()).then(work);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** Number of keys with work queued or running. */
  get busyKeys(): number {
    return this.tails.size;
  }
}
