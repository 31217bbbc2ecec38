import { type Signal, useSignal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import { api } from "../../api/client.ts";
import type { Resource } from "../../api/types.ts";
import { message } from "../../components/feedback.tsx";

/** Rows a list shows: removed ones stay listed a while in state `removed` and are hidden. */
export function shown<T extends Resource>(rows: T[]): T[] {
  return rows.filter((r) => r.state !== "removed" && r.state !== "purged");
}

/** A page's list of one collection and the error line it shares with its forms. */
export interface ShownList<T> {
  /** The rows shown (null until the first answer). */
  list: Signal<T[] | null>;
  error: Signal<string | null>;
  /** Reads the collection again (after a create or a remove). */
  reload: () => Promise<void>;
}

/**
 * The rows of the collection at `path` that are shown (`shown`, then `keep`), read when the page
 * opens and whenever `path` changes (another environment); a failed read goes to `error`.
 */
export function useShownList<T extends Resource>(
  path: string,
  keep: (row: T) => boolean = () => true,
): ShownList<T> {
  const list = useSignal<T[] | null>(null);
  const error = useSignal<string | null>(null);
  const reload = async () => {
    list.value = shown(await api.list<T>(path)).filter(keep);
  };
  useEffect(() => {
    reload().catch((e) => {
      error.value = message(e);
    });
  }, [path]);
  return { list, error, reload };
}
