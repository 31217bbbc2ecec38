import { randomUUID } from "node:crypto";
import {
  type AgentFrame,
  agentFrameSchema,
  describeIssue,
  type EventData,
  type EventName,
  type EventReply,
  formatId,
  type IdType,
  maxFrameBytes,
  parseEventReply,
  type ServerFrame,
} from "@corral/api";
import { AppError, createLogger } from "@corral/lib";
import type { ServerWebSocket } from "bun";
import { BalancerViews } from "../network/balancer-views.ts";
import type { StateFrameText } from "../network/frame-text.ts";
import type { Dispatcher } from "../services/context.ts";
import type { Store } from "../store/store.ts";
import { HostStatsHistory } from "./host-stats.ts";
import { HostLiveness, type LivenessTimings } from "./liveness.ts";
import { HubMetrics } from "./metrics.ts";
import type { AgentSession, AgentSocketData, StreamHandle, StreamRequest, StreamSink } from "./session.ts";

const log = createLogger("hub");

/** What the hub does with agents' reports; the server wires these to the container services. */
export interface HubHandlers {
  onHello(hostId: string, frame: Extract<AgentFrame, { type: "hello" }>): void;
  onPing(hostId: string, frame: Extract<AgentFrame, { type: "ping" }>): void;
  onContainerEvent(hostId: string, frame: Extract<AgentFrame, { type: "containerEvent" }>): void;
  onHealthEvent(hostId: string, frame: Extract<AgentFrame, { type: "healthEvent" }>): void;
  /** The agent could not take a frame the server sent (counted and logged by the hub already). */
  onFrameRejected?(hostId: string, frame: Extract<AgentFrame, { type: "frameRejected" }>): void;
  /** The agent asks for a snapshot of its network view. */
  onResync?(hostId: string, frame: Extract<AgentFrame, { type: "hostState.resync" }>): void;
}

/**
 * Holds one websocket session per host. Events go only to the addressed host's session; replies and
 * stream frames are accepted only from the session the matching event or stream was sent to. A frame
 * that is not valid JSON or fails the protocol schema closes that agent's connection, nothing else.
 */
export class Hub implements Dispatcher {
  private readonly sessions = new Map<string, AgentSession>();
  readonly liveness: HostLiveness;
  readonly metrics = new HubMetrics();
  /** The views sent to hosts and the ones their load balancers report serving. */
  readonly balancers = new BalancerViews();
  /** Each host's recent CPU, memory and disk samples, from the facts in its hellos and pings. */
  readonly hostStats = new HostStatsHistory();

  constructor(
    private readonly store: Store,
    private readonly handlers: HubHandlers,
    readonly timings: LivenessTimings,
  ) {
    this.liveness = new HostLiveness(store, timings, (hostId) =>
      this.disconnect(hostId, `no ping for ${timings.disconnectedAfterMs} ms`),
    );
    // Credentials and hosts can be revoked while an agent is connected: end such sessions at once.
    store.onChange(({ row }) => {
      if (row.state === "active") return;
      const id = formatId(row.type as IdType, row.id);
      if (row.type === "host" && row.state === "removed") this.hostStats.drop(id);
      for (const session of [...this.sessions.values()]) {
        const d = session.ws.data;
        const revoked =
          (row.type === "apiKey" && d.keyId === id) ||
          (row.type === "account" && d.agentId === id) ||
          (row.type === "host" && row.state === "removed" && d.hostId === id);
        if (revoked) this.drop(session, 4001, `${row.type} ${id} is ${row.state}`);
      }
    });
  }

  /** Number of connected agents. */
  get connectedCount(): number {
    return this.sessions.size;
  }

  /** True when the host's agent is connected now. */
  isConnected(hostId: string): boolean {
    return this.sessions.has(hostId);
  }

  /** Called when an authenticated agent's websocket opens. */
  open(ws: ServerWebSocket<AgentSocketData>): void {
    const { hostId, agentId } = ws.data;
    const previous = this.sessions.get(hostId);
    if (previous) this.drop(previous, 4000, "replaced by a newer connection");
    const session: AgentSession = {
      ws,
      hostId,
      agentId,
      pending: new Map(),
      streams: new Map(),
      helloSeen: false,
    };
    ws.data.session = session;
    this.sessions.set(hostId, session);
    this.send(session, { type: "welcome", hostId, agentId, pingIntervalMs: this.timings.pingIntervalMs });
    log.info("agent connected", { hostId });
  }

  /** Called for every frame an agent sends. */
  message(ws: ServerWebSocket<AgentSocketData>, raw: string | Buffer): void {
    // Handling time counts from arrival, so parsing and validation are part of it.
    const received = performance.now();
    const session = ws.data.session;
    if (!session || this.sessions.get(session.hostId) !== session) return;
    const size = typeof raw === "string" ? raw.length : raw.byteLength;
    if (size > maxFrameBytes) {
      this.drop(session, 1009, "frame too large");
      return;
    }
    let frame: AgentFrame;
    try {
      const parsed = agentFrameSchema.safeParse(
        JSON.parse(typeof raw === "string" ? raw : raw.toString("utf8")),
      );
      if (!parsed.success) {
        this.drop(session, 1008, `invalid frame: ${parsed.error.issues[0]?.message ?? "schema"}`);
        return;
      }
      frame = parsed.data;
    } catch {
      this.drop(session, 1007, "frame is not JSON");
      return;
    }
    try {
      this.handle(session, frame);
      this.metrics.record(frame.type, performance.now() - received);
    } catch (e) {
      log.error("handling agent frame failed", { hostId: session.hostId, error: e });
    }
  }

  /**
   * Called when an agent's websocket closes. Bun refuses a frame over the limit itself, before the
   * hub sees it (the agent gets 1009, this side 1006 "Received too big message"): counted and
   * logged as the hub's own refusals are.
   */
  close(ws: ServerWebSocket<AgentSocketData>, code?: number, reason?: string): void {
    const session = ws.data.session;
    if (!session) return;
    const tooBig = code === 1009 || (code === 1006 && /too big/i.test(reason ?? ""));
    if (tooBig && this.sessions.get(session.hostId) === session) {
      this.metrics.dropped++;
      log.warn("closing agent connection", { hostId: session.hostId, code, reason: "frame too large" });
    }
    this.cleanup(session, "the agent disconnected");
    if (this.sessions.get(session.hostId) === session) {
      this.sessions.delete(session.hostId);
      this.liveness.disconnected(session.hostId);
      log.info("agent disconnected", { hostId: session.hostId });
    }
  }

  /**
   * Sends an event to a host's agent and resolves with its reply's data once that passed the event's
   * reply schema. A malformed reply rejects this dispatch (logged and counted); the session stays up.
   */
  dispatch<N extends EventName>(
    hostId: string,
    name: N,
    data: EventData<N>,
    timeoutMs = 60_000,
  ): Promise<EventReply<N>> {
    if (this.store.inTransaction) return Promise.reject(outsideCommit(name));
    const session = this.sessions.get(hostId);
    if (!session)
      return Promise.reject(new AppError("Unavailable", `the agent of host ${hostId} is not connected`));
    const id = randomUUID();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        session.pending.delete(id);
        reject(new AppError("Timeout", `host ${hostId} did not answer ${name} within ${timeoutMs} ms`));
      }, timeoutMs);
      const accept = (reply: unknown) => {
        const parsed = parseEventReply(name, reply);
        if (parsed.success) return resolve(parsed.data);
        const problem = describeIssue(parsed.error);
        this.metrics.malformedReply(name);
        log.warn("malformed reply", { hostId, event: name, error: problem });
        reject(
          new AppError("ServerError", `host ${hostId} answered ${name} with a malformed reply: ${problem}`),
        );
      };
      session.pending.set(id, { name, accept, reject, timer });
      this.send(session, { type: "event", id, agentId: session.agentId, name, data });
    });
  }

  /** The host's current session (for identity checks), undefined when its agent is not connected. */
  sessionOf(hostId: string): object | undefined {
    return this.sessions.get(hostId);
  }

  /**
   * Sends a host's agent a frame of its network view (snapshot, part or delta); false when it is
   * not connected or the frame is over the frame limit (logged and counted: it is not sent).
   */
  sendState(hostId: string, frame: StateFrameText): boolean {
    if (this.store.inTransaction) throw outsideCommit(frame.type);
    const session = this.sessions.get(hostId);
    if (!session) return false;
    const { text } = frame;
    const bytes = Buffer.byteLength(text);
    if (bytes > maxFrameBytes) {
      this.metrics.oversized(frame.type);
      log.error("network view frame over the frame limit: not sent", { hostId, type: frame.type, bytes });
      return false;
    }
    // 0: Bun dropped the frame (the agent reads too slowly and its buffer passed the limit). It
    // still counts as sent: its seq is used, so the agent finds the gap at the next frame and asks
    // for a resync, where skipping the seq would let a later delta apply over the missing one.
    if (session.ws.send(text) === 0) {
      log.warn("network view frame dropped: the agent's connection is backed up", {
        hostId,
        type: frame.type,
      });
    }
    this.metrics.stateSent(frame.type, bytes);
    if (frame.version !== undefined) this.balancers.sent(hostId, frame.version);
    return true;
  }

  /** Opens a stream (logs, exec) on a host: sends the event and routes the agent's stream frames to `sink`. */
  async openStream(hostId: string, request: StreamRequest, sink: StreamSink): Promise<StreamHandle> {
    const session = this.sessions.get(hostId);
    if (!session) throw new AppError("Unavailable", `the agent of host ${hostId} is not connected`);
    const streamId = randomUUID();
    session.streams.set(streamId, sink);
    try {
      await this.dispatch(hostId, request.name, { ...request.data, streamId }, 30_000);
    } catch (e) {
      session.streams.delete(streamId);
      throw e;
    }
    return {
      input: (bytes) =>
        this.send(session, { type: "streamInput", streamId, data: Buffer.from(bytes).toString("base64") }),
      resize: (size) => this.send(session, { type: "streamInput", streamId, resize: size }),
      close: () => {
        if (session.streams.delete(streamId))
          this.send(session, { type: "streamInput", streamId, close: true });
      },
    };
  }

  /** Closes the session of a host (for example when the host is removed). */
  disconnect(hostId: string, reason: string): void {
    const session = this.sessions.get(hostId);
    if (session) this.drop(session, 4001, reason);
  }

  /** Stops timers and closes every session. */
  stop(): void {
    this.liveness.stop();
    for (const session of [...this.sessions.values()]) this.drop(session, 1001, "server shutting down");
  }

  private handle(session: AgentSession, frame: AgentFrame): void {
    switch (frame.type) {
      case "hello":
        session.helloSeen = true;
        this.liveness.seen(session.hostId);
        this.handlers.onHello(session.hostId, frame);
        this.balancers.report(session.hostId, frame.loadBalancers);
        this.hostStats.record(session.hostId, frame.facts);
        return;
      case "ping":
        this.liveness.seen(session.hostId);
        this.handlers.onPing(session.hostId, frame);
        this.balancers.report(session.hostId, frame.loadBalancers);
        if (frame.facts) this.hostStats.record(session.hostId, frame.facts);
        return;
      case "reply": {
        const waiter = session.pending.get(frame.eventId);
        // Only replies to events sent to this very session count: a reply naming another agent's
        // event (or none) is a protocol violation.
        if (!waiter) {
          this.drop(session, 1008, `reply to an event that was not sent to this agent: ${frame.eventId}`);
          return;
        }
        session.pending.delete(frame.eventId);
        clearTimeout(waiter.timer);
        if (frame.ok) waiter.accept(frame.data ?? {});
        else waiter.reject(replyError(frame.error, waiter.name));
        return;
      }
      case "progress":
        if (!session.pending.has(frame.eventId)) {
          this.drop(session, 1008, "progress for an unknown event");
          return;
        }
        return;
      case "containerEvent":
        this.handlers.onContainerEvent(session.hostId, frame);
        return;
      case "healthEvent":
        this.handlers.onHealthEvent(session.hostId, frame);
        return;
      case "frameRejected":
        this.metrics.rejectedByAgent(frame.reason);
        log.warn("agent could not take a frame", {
          hostId: session.hostId,
          reason: frame.reason,
          type: frame.frameType,
          bytes: frame.bytes,
          detail: frame.detail,
        });
        this.handlers.onFrameRejected?.(session.hostId, frame);
        return;
      case "hostState.resync":
        this.handlers.onResync?.(session.hostId, frame);
        return;
      case "stream": {
        const sink = session.streams.get(frame.streamId);
        if (!sink) return; // a stream the client already closed: late frames are expected
        if (frame.data) sink.data(Buffer.from(frame.data, "base64"));
        if (frame.end) {
          session.streams.delete(frame.streamId);
          sink.end(frame.exitCode, frame.error);
        }
        return;
      }
    }
  }

  private send(session: AgentSession, frame: ServerFrame): void {
    session.ws.send(JSON.stringify(frame));
  }

  private drop(session: AgentSession, code: number, reason: string): void {
    this.metrics.dropped++;
    log.warn("closing agent connection", { hostId: session.hostId, code, reason });
    this.cleanup(session, reason);
    if (this.sessions.get(session.hostId) === session) {
      this.sessions.delete(session.hostId);
      this.liveness.disconnected(session.hostId);
    }
    try {
      session.ws.close(code, reason.slice(0, 120));
    } catch {
      // already closed
    }
  }

  private cleanup(session: AgentSession, reason: string): void {
    for (const [id, waiter] of session.pending) {
      clearTimeout(waiter.timer);
      waiter.reject(new AppError("Unavailable", `${reason} before answering ${waiter.name}`));
      session.pending.delete(id);
    }
    for (const [id, sink] of session.streams) {
      session.streams.delete(id);
      sink.end(undefined, reason);
    }
  }
}

function replyError(error: { code: string; message: string } | undefined, name: string): AppError {
  const code = error?.code;
  const known = ["NotFound", "InvalidReference", "InvalidState", "PermissionDenied", "Timeout"] as const;
  const mapped = known.find((k) => k === code) ?? "ServerError";
  return new AppError(mapped, error?.message ?? `${name} failed`);
}

/**
 * The error for work sent to an agent while a transaction is open: the agent would act on rows a
 * rollback may undo. Such work belongs in `store.afterCommit`.
 */
function outsideCommit(what: string): Error {
  const error = new Error(
    `${what} sent to an agent inside an open transaction: queue it with store.afterCommit`,
  );
  log.error("refused to send inside a transaction", { what });
  return error;
}
