import type { ServerWebSocket } from "bun";

/** Receives a stream's output (logs, exec) as the agent sends it. */
export interface StreamSink {
  data(chunk: Buffer): void;
  end(exitCode?: number, error?: string): void;
}

/** An event waiting for its reply. */
export interface PendingReply {
  name: string;
  resolve(data: Record<string, unknown>): void;
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
