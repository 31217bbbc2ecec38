import type { TerminalSize } from "@corral/api";
import { sleep } from "@corral/lib";

/** How often a refused resize is tried again before it is dropped. */
const attempts = 10;

/**
 * Applies terminal sizes one at a time, the latest winning: sizes asked for while one is being set
 * replace each other, so a burst of window resizes ends in one call with the last size. A refusal
 * is tried again a few times, later each time, because Docker refuses to size an exec whose process
 * has not started yet (what its own CLI works around the same way); after that it is dropped, since
 * the next resize will set it anyway and the shell works at any size.
 */
export function terminalSizer(apply: (size: TerminalSize) => Promise<unknown>): (size: TerminalSize) => void {
  let wanted: TerminalSize | null = null;
  let running = false;
  const run = async () => {
    running = true;
    try {
      for (let size = wanted; size; size = wanted) {
        wanted = null;
        for (let attempt = 0; attempt < attempts; attempt++) {
          try {
            await apply(size);
            break;
          } catch {
            // A newer size replaces this one rather than waiting behind its retries.
            if (wanted) break;
            await sleep((attempt + 1) * 10);
          }
        }
      }
    } finally {
      running = false;
    }
  };
  return (size) => {
    wanted = size;
    if (!running) void run();
  };
}
