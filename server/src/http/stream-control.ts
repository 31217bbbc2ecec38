import { maxTerminalCells, type TerminalSize, terminalSizeSchema } from "@corral/api";

/**
 * The websocket subprotocol of exec streams with a control channel: binary frames carry the raw
 * bytes of stdin and stdout, text frames carry control messages as JSON, today only
 * `{"resize": {"cols": 80, "rows": 24}}`. Clients that do not ask for it keep the framing they had
 * (Rancher's base64 text frames, or raw bytes with text frames as stdin); Rancher 1.6 had no
 * resize message, so nothing of its wire changes.
 */
export const execControlProtocol = "corral.exec.v1";

/** Longest control message read: a resize is some 40 bytes. */
const maxControlBytes = 1024;

/** True when the websocket request offers {@link execControlProtocol} among its subprotocols. */
export function offersControl(req: Request): boolean {
  const offered = req.headers.get("sec-websocket-protocol") ?? "";
  return offered.split(",").some((p) => p.trim() === execControlProtocol);
}

/** A control message read from a text frame: a new terminal size, or why the frame was refused. */
export type ControlMessage = { resize: TerminalSize } | { refused: string };

/**
 * Reads one control frame. Anything but a resize with whole `cols` and `rows` in range is
 * refused with a reason; the caller answers with it and keeps the stream going.
 */
export function parseControl(text: string): ControlMessage {
  if (text.length > maxControlBytes)
    return { refused: `a control message is at most ${maxControlBytes} bytes` };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { refused: "a control message is JSON" };
  }
  if (!value || typeof value !== "object" || !("resize" in value))
    return { refused: 'the only control message is {"resize": {"cols": <n>, "rows": <n>}}' };
  const size = terminalSizeSchema.safeParse(value.resize);
  if (!size.success) return { refused: `resize needs whole cols and rows from 1 to ${maxTerminalCells}` };
  return { resize: size.data };
}
