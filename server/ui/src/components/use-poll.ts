import { useEffect } from "preact/hooks";
import { message } from "./feedback.tsx";

/**
 * Calls `step` now and then every `everyMs` after the previous call ended (one request at a time,
 * never stacked behind a slow answer) while `active`; stops when the component goes or `deps`
 * change. `step` gets `stopped()` to check after its await, so an answer that arrives late writes
 * nothing; a thrown error goes to `onError` with its message, and `onError(null)` follows a success.
 */
export function usePoll(
  active: boolean,
  everyMs: number,
  step: (stopped: () => boolean) => Promise<void>,
  onError: (text: string | null) => void,
  deps: unknown[],
): void {
  useEffect(() => {
    if (!active) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      try {
        await step(() => stopped);
        if (stopped) return;
        onError(null);
      } catch (e) {
        if (stopped) return;
        onError(message(e));
      }
      timer = setTimeout(() => void poll(), everyMs);
    };
    void poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [active, ...deps]); // the caller names what restarts the poll
}
