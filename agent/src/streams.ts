import type { AgentFrame, TerminalSize } from "@corral/api";

/** Largest raw chunk per frame: its base64 form (4/3 larger) stays under the protocol's 1 MiB. */
const maxChunkBytes = 512 * 1024;

/** What the server sends an open stream: stdin (base64), a new terminal size, or the end of input. */
export interface StreamInput {
  data?: string | undefined;
  resize?: TerminalSize | undefined;
  close?: boolean | undefined;
}

/** What an open stream does with the server's input. */
interface OpenStream {
  write(data: Uint8Array): void;
  /** Sets the size of the stream's terminal (execs with a tty; others have none to size). */
  resize?(size: TerminalSize): void;
  close(): void;
}

/**
 * The open logs and exec streams of one session, by stream id. Output is held back until the
 * event's reply went out, because the server must see `reply {streamId}` before the first `stream`.
 */
export class StreamRegistry {
  private readonly open = new Map<string, OpenStream>();

  constructor(private readonly send: (frame: AgentFrame) => void) {}

  /** True when `streamId` is in use. */
  has(streamId: string): boolean {
    return this.open.has(streamId);
  }

  /**
   * Opens a stream and returns its output writer, which buffers until `ready()` is called, and its
   * `end`, which sends the closing frame exactly once and forgets the stream.
   */
  create(streamId: string, input: OpenStream) {
    let ready = false;
    let ended = false;
    // An exec may finish before its reply is out; its end waits for `ready` like its output.
    let pendingEnd: { exitCode?: number; error?: string } | null = null;
    const held: Uint8Array[] = [];
    this.open.set(streamId, input);
    const forget = () => {
      if (this.open.get(streamId) === input) this.open.delete(streamId);
    };
    const emit = (chunk: Uint8Array) => {
      for (let at = 0; at < chunk.length; at += maxChunkBytes) {
        const part = chunk.subarray(at, at + maxChunkBytes);
        this.send({ type: "stream", streamId, data: Buffer.from(part).toString("base64") });
      }
    };
    const sendEnd = (exitCode?: number, error?: string) => {
      const frame: Extract<AgentFrame, { type: "stream" }> = { type: "stream", streamId, end: true };
      if (exitCode !== undefined) frame.exitCode = exitCode;
      if (error !== undefined) frame.error = error.slice(0, 4096);
      this.send(frame);
    };
    return {
      output: (chunk: Uint8Array) => {
        if (ended || chunk.length === 0) return;
        if (ready) emit(chunk);
        // Copy: Docker's buffers are reused by the socket after the callback returns.
        else held.push(chunk.slice());
      },
      ready: () => {
        if (ready) return;
        ready = true;
        for (const chunk of held.splice(0)) emit(chunk);
        if (pendingEnd) sendEnd(pendingEnd.exitCode, pendingEnd.error);
      },
      /** Ends the stream: with the exit code of an exec, or with `error` when it failed after its reply. */
      end: (exitCode?: number, error?: string) => {
        if (ended) return;
        ended = true;
        forget();
        if (ready) sendEnd(exitCode, error);
        else pendingEnd = { exitCode, error };
      },
      /** Drops the stream without any frame, when its event is answered with an error instead. */
      cancel: () => {
        ended = true;
        // Marking it ready makes a late `ready()` a no-op: nothing may follow an error reply.
        ready = true;
        pendingEnd = null;
        held.length = 0;
        forget();
      },
    };
  }

  /**
   * Hands server input to a stream: data goes to its stdin, `resize` to its terminal, `close` ends
   * it. Unknown ids are ignored.
   */
  input(streamId: string, input: StreamInput): void {
    const stream = this.open.get(streamId);
    if (!stream) return;
    if (input.data) stream.write(Buffer.from(input.data, "base64"));
    if (input.resize) stream.resize?.(input.resize);
    if (input.close) stream.close();
  }

  /** Closes every stream, as when the session that asked for them is gone. */
  closeAll(): void {
    for (const stream of [...this.open.values()]) stream.close();
    this.open.clear();
  }
}
