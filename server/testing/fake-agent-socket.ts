import type { ServerFrame } from "@corral/api";
import type { ServerWebSocket } from "bun";
import type { Hub } from "../src/hub/hub.ts";
import type { AgentSocketData } from "../src/hub/session.ts";

/** An event frame as the hub sends it. */
export type SentEvent = Extract<ServerFrame, { type: "event" }>;

/**
 * Stands in for Bun's websocket of one authenticated agent, so the hub can be driven without a
 * network: it records every frame the hub sends and whether the hub closed it, and feeds the hub
 * frames as if the agent had sent them.
 */
export class FakeAgentSocket {
  /** Frames the hub sent, parsed. */
  readonly sent: ServerFrame[] = [];
  /** How the hub closed this socket, or null while it is open. */
  closed: { code?: number; reason?: string } | null = null;
  /** What Bun keeps on the socket after authentication. */
  readonly data: AgentSocketData;

  constructor(
    private readonly hub: Hub,
    hostId: string,
    agentId: string,
  ) {
    this.data = { kind: "agent", hostId, agentId, keyId: "1c1" };
  }

  /** This fake as the socket type the hub takes. */
  get ws(): ServerWebSocket<AgentSocketData> {
    return this as unknown as ServerWebSocket<AgentSocketData>;
  }

  /** Connects: the hub opens a session for this socket. */
  open(): this {
    this.hub.open(this.ws);
    return this;
  }

  /** Called by the hub. */
  send(text: string): number {
    this.sent.push(JSON.parse(text));
    return text.length;
  }

  /** Called by the hub. */
  close(code?: number, reason?: string): void {
    this.closed = { code, reason };
  }

  /** Every event the hub sent, in order. */
  events(): SentEvent[] {
    return this.sent.filter((f): f is SentEvent => f.type === "event");
  }

  /** The last event the hub sent; fails when there is none. */
  lastEvent(): SentEvent {
    const event = this.events().at(-1);
    if (!event) throw new Error("the hub sent no event");
    return event;
  }

  /** Sends the hub a frame as this agent would (any JSON, valid or not). */
  receive(frame: unknown): void {
    this.hub.message(this.ws, JSON.stringify(frame));
  }

  /** Answers an event successfully with `data`. */
  reply(eventId: string, data: unknown): void {
    this.receive({ type: "reply", eventId, ok: true, data });
  }
}
