import type { Resource } from "../../api/types.ts";

/** Rows a list shows: removed ones stay listed a while in state `removed` and are hidden. */
export function shown<T extends Resource>(rows: T[]): T[] {
  return rows.filter((r) => r.state !== "removed" && r.state !== "purged");
}
