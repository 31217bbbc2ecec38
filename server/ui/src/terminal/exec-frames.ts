/**
 * The browser's side of the exec stream's control subprotocol (server/src/http/stream-control.ts):
 * binary frames carry stdin and stdout, text frames carry JSON control messages.
 */

/** The subprotocol that gives an exec stream its control channel (the server's execControlProtocol). */
export const execControlProtocol = "corral.exec.v1";

/** The control message that sets the terminal's size, or null for a size not worth sending. */
export function resizeMessage(cols: number, rows: number): string | null {
  const whole = (n: number) => Number.isInteger(n) && n >= 1 && n <= 4096;
  return whole(cols) && whole(rows) ? JSON.stringify({ resize: { cols, rows } }) : null;
}

/** The reason in a text frame from the server (`{"refused": "..."}`), or the frame as it came. */
export function refusalOf(text: string): string {
  try {
    const value = JSON.parse(text) as { refused?: unknown } | null;
    if (typeof value?.refused === "string") return value.refused;
  } catch {
    // Not JSON: shown as it came.
  }
  return text;
}

/** The `execute` action's command from the shell's command field: its words, split at spaces (no quoting). */
export function commandWords(text: string): string[] {
  return text.trim().split(/\s+/).filter(Boolean);
}
