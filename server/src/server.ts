import { join } from "node:path";
import { createLogger } from "@corral/lib";
import type { Server } from "bun";
import { agentReportHandlers } from "./agent-reports.ts";
import { Authenticator } from "./auth/authenticate.ts";
import type { FailureLimits } from "./auth/rate-limit.ts";
import { type BootstrapResult, bootstrap } from "./bootstrap.ts";
import { createApp } from "./http/app.ts";
import { errorResponse } from "./http/errors.ts";
import { refusal, secure } from "./http/gate.ts";
import { resourceDefs } from "./http/resources/index.ts";
import { type SocketData, socketHandlers, upgradeSocket } from "./http/sockets.ts";
import { Subscribers } from "./http/subscribe.ts";
import { Hub } from "./hub/hub.ts";
import { defaultTimings, type LivenessTimings } from "./hub/liveness.ts";
import { StatePublisher } from "./network/publisher.ts";
import { drainTimings } from "./orchestrator/drain.ts";
import { Orchestrator } from "./orchestrator/orchestrator.ts";
import { resumeRunners } from "./orchestrator/runners.ts";
import { securePrivateFolder } from "./store/data-folder.ts";
import { openDatabase } from "./store/db.ts";
import { Store } from "./store/store.ts";

const log = createLogger("server");

/** How to run a server. */
export interface ServerOptions {
  port: number;
  hostname?: string;
  /**
   * Folder for the SQLite store and the admin key file, made private (0700, files 0600) at start;
   * `null` keeps everything in memory.
   */
  dataDir: string | null;
  timings?: Partial<LivenessTimings>;
  env?: Record<string, string | undefined>;
  /** Full orchestrator pass interval (default 15 s). */
  resyncMs?: number;
  /**
   * How long service containers drain (out of DNS and load balancers) before they stop, at least
   * (default 3 s); they also wait for the load balancers to confirm they dropped them.
   */
  drainMs?: number;
  /** Failed authentications allowed per client address and per access key (default: 20, then 5/s). */
  authFailureLimits?: FailureLimits;
}

/** A running server. */
export interface RunningServer {
  url: string;
  port: number;
  store: Store;
  hub: Hub;
  orchestrator: Orchestrator;
  /** Sends agents their hosts' network views. */
  publisher: StatePublisher;
  admin: BootstrapResult;
  stop(): Promise<void>;
}

/** Opens the store, bootstraps the first admin and environment, and serves the API and websockets. */
export function startServer(options: ServerOptions): RunningServer {
  if (options.dataDir) securePrivateFolder(options.dataDir);
  const db = openDatabase(options.dataDir ? join(options.dataDir, "corral.db") : ":memory:");
  const store = new Store(db);
  let admin: BootstrapResult;
  try {
    admin = bootstrap(store, options.dataDir, options.env ?? process.env);
  } catch (e) {
    // Refused settings (a short admin secret): nothing else has started, only the store to close.
    db.close();
    throw e;
  }
  const timings = { ...defaultTimings, ...options.timings };
  let hub: Hub | null = null;
  let publisher: StatePublisher | null = null;
  const reports = agentReportHandlers(store, () => hub!);
  hub = new Hub(
    store,
    {
      ...reports,
      // After the hello is folded in, the agent gets its host's network view.
      onHello(hostId, frame) {
        reports.onHello(hostId, frame);
        publisher?.hello(hostId);
      },
    },
    timings,
  );
  publisher = new StatePublisher(store, hub);
  const auth = new Authenticator(store, options.authFailureLimits);
  const settings = { publicUrl: `http://localhost:${options.port}` };
  const metrics = () => hub!.metrics.render(hub!.connectedCount);
  const app = createApp({ store, auth, dispatcher: hub, settings, defs: resourceDefs, metrics });
  const subscribers = new Subscribers(
    store,
    new Map(resourceDefs.filter((d) => !d.view).map((d) => [d.type as string, d])),
  );
  const deps = { auth, hub, subscribers, store };
  const publicOrigins = [new URL(settings.publicUrl).origin];
  const server: Server<SocketData> = Bun.serve<SocketData>({
    port: options.port,
    hostname: options.hostname ?? "0.0.0.0",
    // Bun's development mode answers errors with a page of source paths and lines.
    development: false,
    // Bun's own 413 has no body: its bound is set far above ours (refusal() and readJson, 1 MiB) so
    // clients meet ours. A refused body is not read: the 413 closes the connection.
    maxRequestBodySize: Number.MAX_SAFE_INTEGER,
    idleTimeout: 120,
    fetch(req, srv) {
      const refused = refusal(req, publicOrigins);
      if (refused) return secure(errorResponse(refused));
      const upgraded = upgradeSocket(req, srv, deps);
      if (upgraded !== undefined) return secure(upgraded);
      const res = app.fetch(req, { ip: () => srv.requestIP(req)?.address ?? "" });
      return res instanceof Promise ? res.then(secure) : secure(res);
    },
    // Anything thrown outside Hono's own handler still gets the API's error body, never Bun's page.
    error: (e) => secure(errorResponse(e)),
    websocket: socketHandlers(deps),
  });
  if (options.drainMs !== undefined) drainTimings.drainMs = options.drainMs;
  const orchestrator = new Orchestrator(store, hub, { resyncMs: options.resyncMs });
  orchestrator.start();
  resumeRunners(store, hub);
  const url = `http://127.0.0.1:${server.port}`;
  log.info("listening", { url: `http://${options.hostname ?? "0.0.0.0"}:${server.port}` });
  return {
    url,
    port: server.port ?? options.port,
    store,
    hub,
    orchestrator,
    publisher,
    admin,
    async stop() {
      orchestrator.stop();
      publisher?.stop();
      hub?.stop();
      subscribers.stop();
      await server.stop(true);
      db.close();
    },
  };
}
