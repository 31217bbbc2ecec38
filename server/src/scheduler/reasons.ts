/** Plain-words rendering of placement failures. */

const MiB = 1024 * 1024;

/** Bytes as MiB with at most one decimal: `512 MiB`, `0.5 MiB`. */
export function formatMiB(bytes: number): string {
  return `${Number((bytes / MiB).toFixed(1))} MiB`;
}

/** How many hosts `summarizeReasons` lists before counting the rest. */
export const SUMMARY_MAX_HOSTS = 10;

/**
 * One line for an error message: `no host fits: host-1: port 80/tcp taken; host-2: inactive`.
 * Hosts are listed by name; past {@link SUMMARY_MAX_HOSTS} the rest are counted, so a failure
 * across a thousand hosts stays readable.
 */
export function summarizeReasons(reasons: Record<string, string>): string {
  const names = Object.keys(reasons).sort();
  if (names.length === 0) return "no host fits: no hosts";
  const shown = names.slice(0, SUMMARY_MAX_HOSTS).map((n) => `${n}: ${reasons[n]}`);
  const more = names.length - shown.length;
  return `no host fits: ${shown.join("; ")}${more > 0 ? `; and ${more} more` : ""}`;
}
