import { agentPaths, maxFrameBytes, type TerminalSize } from "@corral/api";
import { AppError, createLogger } from "@corral/lib";
import type { Server, ServerWebSocket, WebSocketHandler } from "bun";
import type { Authenticator } from "../auth/authenticate.ts";
import { authenticateRequest } from "../auth/request-auth.ts";
import type { Hub } from "../hub/hub.ts";
import type { AgentSocketData, StreamHandle } from "../hub/session.ts";
import { isVisible } from "../services/context.ts";
import type { Store } from "../store/store.ts";
import { baseOf } from "./app.ts";
import { errorResponse } from "./errors.ts";
import { execControlProtocol, offersControl, parseControl } from "./stream-control.ts";
import { type StreamGrant, takeGrant } from "./streams.ts";
import type { SubscriberData, Subscribers } from "./subscribe.ts";

const log = createLogger("sockets");

/** A cheap test for the websocket endpoints' paths, before any URL parsing. */
const socketPathHint =
  /\/(?:v2-beta|v1)\/(?:agent\/connect|subscribe|streams|projects\/[^/?#]+\/subscribe)(?:[?#]|$)/;

/** `/v2-beta/projects/<id>/subscribe`: Rancher's clients subscribe inside the project they work in. */
const projectSubscribe = /^\/v2-beta\/projects\/([^/]+)\/subscribe$/;

/** `/v1/...`: Rancher 1.6 served its event stream and logs/exec streams under `/v1` too. */
const v1Prefix = /^\/v1(?=\/)/;

/** Data Bun keeps on a logs/exec websocket. */
export interface StreamSocketData {
  kind: "stream";
  grant: StreamGrant;
  handle?: StreamHandle;
  early: Uint8Array[];
  /** The last terminal size asked for before the stream was open. */
  earlySize: TerminalSize | null;
  closed: boolean;
  /**
   * Rancher 1.6's framing: its clients append `?token=<token>` to the URL they are given (which
   * carries the token already) and speak text frames: log lines as text, exec input and output
   * base64-encoded. Other clients get the raw bytes in binary frames.
   */
  rancher: boolean;
  /**
   * The client asked for the control subprotocol (stream-control.ts): binary frames are stdin,
   * text frames are control messages such as a terminal resize.
   */
  control: boolean;
}

/** Data of any websocket the server accepts. */
export type SocketData = AgentSocketData | SubscriberData | StreamSocketData;

/** What the websocket endpoints need. */
export interface SocketDeps {
  auth: Authenticator;
  hub: Hub;
  subscribers: Subscribers;
  store: Store;
}

/**
 * Upgrades the three websocket endpoints after checking credentials: the agent connection (agent
 * keys only), the event stream (any key, optionally scoped with `?projectId=`), and logs/exec
 * streams (a single-use token from the `logs`/`execute` actions). Returns undefined for other paths.
 */
export function upgradeSocket(
  req: Request,
  server: Server<SocketData>,
  deps: SocketDeps,
): Response | undefined {
  // Plain HTTP requests to other paths (nearly all) leave at once, without parsing their URL.
  if (req.headers.get("upgrade") === null && !socketPathHint.test(req.url)) return undefined;
  const url = new URL(req.url);
  const v1 = v1Prefix.test(url.pathname);
  const pathname = url.pathname.replace(v1Prefix, "/v2-beta");
  const inProject = projectSubscribe.exec(pathname);
  const path = inProject ? "/v2-beta/subscribe" : pathname;
  // Agents connect under /v2-beta only: their protocol was never Rancher's.
  if (v1 && path === agentPaths.connect) return undefined;
  if (path !== agentPaths.connect && path !== "/v2-beta/subscribe" && path !== "/v2-beta/streams")
    return undefined;
  try {
    let data: SocketData;
    if (path === "/v2-beta/streams") {
      // Rancher's clients append `?token=<token>` to the URL they were given, which carries it already.
      const token = url.searchParams.get("token") ?? "";
      const grant = takeGrant(token.split("?")[0] ?? null);
      if (!grant) throw new AppError("Unauthorized", "unknown or expired stream token");
      const rancher = token.includes("?token=");
      const control = !rancher && offersControl(req);
      data = { kind: "stream", grant, early: [], earlySize: null, closed: false, rancher, control };
      // The answer names the subprotocol chosen; a browser refuses a socket whose answer omits it.
      const headers = control ? { "Sec-WebSocket-Protocol": execControlProtocol } : undefined;
      if (server.upgrade(req, { data, ...(headers ? { headers } : {}) }))
        return new Response(null, { status: 101 });
      throw new AppError("InvalidBodyContent", "this endpoint needs a websocket upgrade");
    } else {
      // A browser cannot set headers on a websocket: its session cookie counts (the gate has
      // already refused a foreign Origin).
      const principal = authenticateRequest(deps.auth, req, () => server.requestIP(req)?.address ?? "");
      if (!principal) throw new AppError("Unauthorized", "send an API key with HTTP Basic authentication");
      if (path === agentPaths.connect) {
        if (principal.kind !== "agent" || !principal.hostId)
          throw new AppError("PermissionDenied", "only agent keys may connect as agents");
        data = {
          kind: "agent",
          hostId: principal.hostId,
          agentId: principal.accountId,
          keyId: principal.keyId,
        };
      } else {
        const projectId = inProject?.[1] ?? url.searchParams.get("projectId");
        if (principal.kind === "agent") throw new AppError("PermissionDenied", "agent keys cannot subscribe");
        if (projectId !== null) checkProject(deps, principal, projectId);
        data = {
          kind: "subscriber",
          principal,
          projectId: projectId ?? principal.projectId ?? null,
          base: baseOf(req),
          v1,
        };
      }
    }
    if (server.upgrade(req, { data })) return new Response(null, { status: 101 });
    throw new AppError("InvalidBodyContent", "this endpoint needs a websocket upgrade");
  } catch (e) {
    return errorResponse(e);
  }
}

function checkProject(deps: SocketDeps, principal: SubscriberData["principal"], projectId: string): void {
  const project = deps.store.getByPublicId("project", projectId);
  if (!project || !isVisible(principal, project))
    throw new AppError("NotFound", `project ${projectId} not found`);
}

/** The websocket handlers, dispatching on the kind of socket. */
export function socketHandlers(deps: SocketDeps): WebSocketHandler<SocketData> {
  return {
    maxPayloadLength: maxFrameBytes,
    idleTimeout: 120,
    open(ws) {
      const d = ws.data;
      if (d.kind === "agent") deps.hub.open(ws as ServerWebSocket<AgentSocketData>);
      else if (d.kind === "subscriber") deps.subscribers.open(ws as ServerWebSocket<SubscriberData>);
      else void openStream(ws as ServerWebSocket<StreamSocketData>, deps.hub);
    },
    message(ws, message) {
      const d = ws.data;
      if (d.kind === "agent") deps.hub.message(ws as ServerWebSocket<AgentSocketData>, message);
      else if (d.kind === "stream") streamMessage(ws as ServerWebSocket<StreamSocketData>, message);
      // Subscribers only listen; anything they send is ignored.
    },
    close(ws, code, reason) {
      const d = ws.data;
      if (d.kind === "agent") deps.hub.close(ws as ServerWebSocket<AgentSocketData>, code, reason);
      else if (d.kind === "subscriber") deps.subscribers.close(ws as ServerWebSocket<SubscriberData>);
      else {
        d.closed = true;
        d.handle?.close();
      }
    },
  };
}

function streamMessage(ws: ServerWebSocket<StreamSocketData>, message: string | Buffer): void {
  const d = ws.data;
  if (d.control && typeof message === "string") {
    const control = parseControl(message);
    // A bad control message is answered and dropped; the stream goes on.
    if ("refused" in control) ws.send(JSON.stringify(control));
    else if (d.handle) d.handle.resize(control.resize);
    else d.earlySize = control.resize;
    return;
  }
  const bytes =
    typeof message === "string"
      ? d.rancher
        ? Buffer.from(message, "base64")
        : new TextEncoder().encode(message)
      : new Uint8Array(message);
  if (d.handle) d.handle.input(bytes);
  else if (d.early.length < 1024) d.early.push(bytes);
}

async function openStream(ws: ServerWebSocket<StreamSocketData>, hub: Hub): Promise<void> {
  const { grant } = ws.data;
  try {
    const handle = await hub.openStream(grant.hostId, grant.request, {
      data: (chunk) => {
        if (ws.data.closed) return;
        if (!ws.data.rancher) ws.send(chunk);
        else if (grant.request.name === "instance.exec") ws.send(Buffer.from(chunk).toString("base64"));
        else ws.send(new TextDecoder().decode(chunk));
      },
      end: (exitCode, error) => {
        if (ws.data.closed) return;
        ws.data.closed = true;
        const reason = error ? `error: ${error}` : exitCode !== undefined ? `exit ${exitCode}` : "end";
        // Rancher's CLI treats only a bare "close 1000 (normal)" as success.
        ws.close(error ? 1011 : 1000, ws.data.rancher && !error ? "" : reason.slice(0, 120));
      },
    });
    if (ws.data.closed) return handle.close();
    ws.data.handle = handle;
    if (ws.data.earlySize) handle.resize(ws.data.earlySize);
    for (const bytes of ws.data.early) handle.input(bytes);
    ws.data.early = [];
    ws.data.earlySize = null;
  } catch (e) {
    log.warn("stream failed to open", { error: e });
    ws.data.closed = true;
    ws.close(1011, (e instanceof Error ? e.message : "stream failed").slice(0, 120));
  }
}
