import type { EventData, EventName, TerminalSize } from "@corral/api";
import type { ServerWebSocket } from "bun";

/** The server's end of an open stream: stdin, the terminal's size, the end of input. */
export interface StreamHandle {
  input(data: Uint8Array): void;
  /** Sets the terminal size of an exec with a tty (the agent ignores it for other streams). */
  resize(size: TerminalSize): void;
  close(): void;
}

/** Receives a stream's output (logs, exec) as the agent sends it. */
export interface StreamSink {
  data(chunk: Buffer): void;
  end(exitCode?: number, error?: string): void;
}

/** The events that open a stream whose output follows their reply. */
export type StreamEventName = "instance.logs" | "instance.exec";

/** A stream to open on a host: its event and that event's data, less the stream id the hub assigns. */
export type StreamRequest = {
  [N in StreamEventName]: { name: N; data: Omit<EventData<N>, "streamId"> };
}[StreamEventName];

/** An event waiting for its reply. */
export interface PendingReply {
  name: EventName;
  /** Takes the data of a successful reply; validates it before the dispatch resolves. */
  accept(data: unknown): void;
  reject(error: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

/** One connected agent. */
export interface AgentSession {
  ws: ServerWebSocket<AgentSocketData>;
  hostId: string;
  agentId: string;
  pending: Map<string, PendingReply>;
  streams: Map<string, StreamSink>;
  helloSeen: boolean;
}

/** Data Bun keeps on an agent's websocket, set at upgrade after authentication. */
export interface AgentSocketData {
  kind: "agent";
  hostId: string;
  agentId: string;
  /** The API key the agent connected with: when it stops being active, the session ends. */
  keyId: string;
  session?: AgentSession;
}
