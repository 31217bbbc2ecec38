import {
  type AgentFrame,
  type ContainerObservation,
  type HostStatusReport,
  type IpsecReport,
  type LbStatus,
  maxFrameBytes,
  type ServerFrame,
  serverFrameSchema,
} from "@corral/api";
import { AppError, type Logger } from "@corral/lib";
import type { DockerDriver } from "./driver.ts";
import { EventHandler } from "./event-handler.ts";
import { collectHostFacts } from "./host-facts.ts";
import type { HostStateBus } from "./host-state-bus.ts";
import { tlsFailure } from "./trust.ts";
import { type Rejection, ViewSync } from "./view-sync.ts";

/** The agent's version, sent in hello. */
export const agentVersion = "0.1.0";

/** How long to wait for the server's welcome after the socket opened. */
const welcomeTimeoutMs = 15_000;

/** Inputs of one websocket session. */
export interface SessionOptions {
  /** ws:// or wss:// URL of the connect endpoint. */
  wsUrl: string;
  /** Access key and secret key of this agent. */
  accessKey: string;
  secretKey: string;
  /** The agent id the registration returned; the welcome may confirm or replace it. */
  agentId: string;
  driver: DockerDriver;
  logger: Logger;
  signal: AbortSignal;
  /** Overrides the server's ping interval (tests). */
  pingIntervalMsOverride?: number;
  /** Called with the session's sender once welcomed, and with null when it ended. */
  onSender?: (send: ((frame: AgentFrame) => void) | null) => void;
  /** Receives the server's network views (`hostState` frames) for the host's controllers. */
  hostState?: HostStateBus;
  /** Told the Docker id of each container instance.create made or found. */
  onContainer?: (dockerId: string) => void;
  /** The IPsec tunnels' status, sent in hello and every ping (absent while IPsec does not run). */
  ipsecReport?: () => IpsecReport | undefined;
  /** How this host's load balancers serve their configs, for pings. */
  lbReport?: () => LbStatus | undefined;
  /** The host status record (every controller's state), for pings. */
  hostStatus?: () => HostStatusReport | undefined;
  /** The pinned CA (PEM): the only one trusted for a wss URL. */
  ca?: string;
}

/** How a session ended. */
export interface SessionResult {
  /** The server welcomed us (so the credentials worked). */
  welcomed: boolean;
  /** The HTTP status of a refused upgrade, when the server refused it. */
  refusedStatus?: number;
  /** Why this agent refused the server's certificate, when it did. */
  tlsRefused?: string;
}

/** What reading one text frame from the server gave. */
export type ParsedServerFrame =
  | { frame: ServerFrame }
  | { badEvent: string; message: string }
  | { rejected: Rejection };

/**
 * Parses a text frame from the server. A frame that looks like an event with an id but fails the
 * schema is returned as `badEvent`, so it can still be answered (the server waits for a reply to
 * every event it sends); any other frame that is too large, not JSON or fails the schema is
 * returned as `rejected`, to be reported.
 */
export function parseServerFrame(text: string, logger: Logger): ParsedServerFrame {
  const bytes = Buffer.byteLength(text);
  if (bytes > maxFrameBytes) {
    return {
      rejected: { reason: "tooLarge", frameType: null, bytes, detail: `over ${maxFrameBytes} bytes` },
    };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { rejected: { reason: "notJson", frameType: null, bytes, detail: "not JSON" } };
  }
  const parsed = serverFrameSchema.safeParse(raw);
  if (parsed.success) return { frame: parsed.data };
  const issue = parsed.error.issues[0];
  const message = `invalid frame: ${issue?.path.join(".") ?? ""} ${issue?.message ?? ""}`.trim();
  const r = raw as { type?: unknown; id?: unknown } | null;
  if (r && r.type === "event" && typeof r.id === "string" && r.id.length > 0 && r.id.length <= 64) {
    logger.warn("invalid event", { error: message });
    return { badEvent: r.id, message };
  }
  const type = r && typeof r === "object" && typeof r.type === "string" ? r.type.slice(0, 64) : null;
  return { rejected: { reason: "invalid", frameType: type, bytes, detail: message } };
}

/** The status of a refused upgrade, from Bun's error text ("Expected 101 status code: 401"). */
function refusedStatusOf(message: string): number | undefined {
  const match = /status code:?\s*(\d{3})/i.exec(message);
  return match ? Number(match[1]) : undefined;
}

/**
 * Runs one websocket session until the socket closes or `signal` aborts: waits for welcome, sends
 * hello, then pings; hands events to an EventHandler. Never throws for network trouble.
 */
export function runSession(options: SessionOptions): Promise<SessionResult> {
  const { driver, logger, signal } = options;
  const auth = Buffer.from(`${options.accessKey}:${options.secretKey}`).toString("base64");
  const ws = new WebSocket(options.wsUrl, {
    headers: { Authorization: `Basic ${auth}` },
    ...(options.ca && { tls: { ca: options.ca } }),
  } as never);
  const result: SessionResult = { welcomed: false };
  let handler: EventHandler | undefined;
  let pingTimer: ReturnType<typeof setTimeout> | undefined;
  let lastContainers: ContainerObservation[] = [];
  let seq = 0;

  const send = (frame: AgentFrame) => {
    if (ws.readyState !== WebSocket.OPEN) return;
    const text = JSON.stringify(frame);
    if (Buffer.byteLength(text) > maxFrameBytes) {
      logger.error("dropped oversized frame", { type: frame.type, bytes: Buffer.byteLength(text) });
      return;
    }
    ws.send(text);
  };

  const containers = async () => {
    // Docker being briefly unreachable must not look like every container vanished: resend the last list.
    lastContainers = await driver.list().catch(() => lastContainers);
    return lastContainers;
  };

  const schedulePing = (intervalMs: number) => {
    pingTimer = setTimeout(async () => {
      const [facts, list] = await Promise.all([
        collectHostFacts(driver).catch(() => undefined),
        containers(),
      ]);
      const ipsec = options.ipsecReport?.();
      const loadBalancers = options.lbReport?.();
      const controllers = options.hostStatus?.();
      send({
        type: "ping",
        seq: seq++,
        ...(facts && { facts }),
        containers: list,
        ...(ipsec && { ipsec }),
        ...(loadBalancers && { loadBalancers }),
        ...(controllers && { controllers }),
      });
      if (ws.readyState === WebSocket.OPEN) schedulePing(intervalMs);
    }, intervalMs);
  };

  const welcome = async (frame: Extract<ServerFrame, { type: "welcome" }>) => {
    if (result.welcomed) return logger.warn("ignored second welcome");
    clearTimeout(welcomeTimer);
    result.welcomed = true;
    if (frame.agentId !== options.agentId)
      logger.info("server names this agent differently", { agentId: frame.agentId });
    logger.info("welcomed", { hostId: frame.hostId, agentId: frame.agentId });
    const [facts, list] = await Promise.all([collectHostFacts(driver), containers()]).catch((e) => {
      logger.error("cannot collect host facts for hello", { error: e });
      ws.close(1011, "facts unavailable");
      return [];
    });
    if (!facts || !list) return;
    const ipsec = options.ipsecReport?.();
    const loadBalancers = options.lbReport?.();
    send({
      type: "hello",
      agentVersion,
      facts,
      containers: list,
      ...(ipsec && { ipsec }),
      ...(loadBalancers && { loadBalancers }),
    });
    // Events are handled only after hello: the server learns our containers before it gives us work.
    handler = new EventHandler({
      driver,
      send,
      agentId: frame.agentId,
      hostId: frame.hostId,
      logger,
      ...(options.onContainer && { onContainer: options.onContainer }),
    });
    options.onSender?.(send);
    schedulePing(options.pingIntervalMsOverride ?? frame.pingIntervalMs);
  };

  const view = new ViewSync(send, logger, options.hostState);

  const onMessage = (text: string) => {
    const parsed = parseServerFrame(text, logger);
    if ("rejected" in parsed) return view.reject(parsed.rejected);
    if ("badEvent" in parsed) {
      send({
        type: "reply",
        eventId: parsed.badEvent,
        ok: false,
        error: { code: "InvalidFormat", message: parsed.message },
      });
      return;
    }
    const { frame } = parsed;
    if (frame.type === "welcome") void welcome(frame);
    // The network view can arrive while hello is still being sent; it needs no event handler.
    else if (
      frame.type === "hostState" ||
      frame.type === "hostState.part" ||
      frame.type === "hostState.delta"
    )
      view.take(frame, text.length);
    else if (!handler) {
      const error = new AppError("InvalidState", "frame before welcome");
      logger.warn(error.message, { type: frame.type });
      if (frame.type === "event")
        send({
          type: "reply",
          eventId: frame.id,
          ok: false,
          error: { code: error.code, message: error.message },
        });
    } else if (frame.type === "event") void handler.handle(frame);
    else handler.streamInput(frame.streamId, frame);
  };

  const welcomeTimer = setTimeout(() => {
    logger.warn("no welcome from server; closing");
    ws.close(4000, "no welcome");
  }, welcomeTimeoutMs);
  const abort = () => ws.close(1000, "agent stopping");

  return new Promise<SessionResult>((resolve) => {
    ws.onmessage = (event) => {
      if (typeof event.data === "string") onMessage(event.data);
      else {
        const data = event.data as ArrayBuffer | Blob;
        const bytes = data instanceof Blob ? data.size : (data.byteLength ?? 0);
        view.reject({
          reason: "binary",
          frameType: null,
          bytes,
          detail: "binary frames are not part of the protocol",
        });
      }
    };
    ws.onerror = (event) => {
      const message = (event as ErrorEvent).message ?? "";
      const status = refusedStatusOf(message);
      if (status) result.refusedStatus = status;
      const tls = tlsFailure({ message }, options.wsUrl);
      if (tls) {
        result.tlsRefused = tls;
        logger.error(tls);
      } else logger.debug("websocket error", { error: message });
    };
    ws.onclose = (event) => {
      clearTimeout(welcomeTimer);
      clearTimeout(pingTimer);
      signal.removeEventListener("abort", abort);
      handler?.closeStreams();
      options.onSender?.(null);
      logger.info("disconnected", { code: event.code, reason: event.reason });
      resolve(result);
    };
    if (signal.aborted) abort();
    else signal.addEventListener("abort", abort, { once: true });
  });
}
