/** What {@link captureLogs} collected. */
export interface CapturedLogs {
  /** Everything written to stderr and stdout since the capture began. */
  text(): string;
  /** Stops capturing (writes pass through again unchanged). */
  stop(): void;
}

/**
 * Records every line this process writes to stderr and stdout (where the logger writes), still
 * passing it through, so a test can search the logs for a value that must never appear in them.
 */
export function captureLogs(): CapturedLogs {
  const chunks: string[] = [];
  const streams = [process.stderr, process.stdout];
  const originals = streams.map((s) => s.write.bind(s));
  streams.forEach((s, i) => {
    s.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      chunks.push(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
      return (originals[i] as (...a: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof s.write;
  });
  return {
    text: () => chunks.join(""),
    stop: () =>
      streams.forEach((s, i) => {
        s.write = originals[i] as typeof s.write;
      }),
  };
}
