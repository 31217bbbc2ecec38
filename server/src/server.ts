import { join } from "node:path";
import { createLogger } from "@corral/lib";
import type { Server } from "bun";
import { agentReportHandlers } from "./agent-reports.ts";
import { Authenticator } from "./auth/authenticate.ts";
import { type BootstrapResult, bootstrap } from "./bootstrap.ts";
import { createApp } from "./http/app.ts";
import { maxBodyBytes } from "./http/body.ts";
import { resourceDefs } from "./http/resources/index.ts";
import { type SocketData, socketHandlers, upgradeSocket } from "./http/sockets.ts";
import { Subscribers } from "./http/subscribe.ts";
import { Hub } from "./hub/hub.ts";
import { defaultTimings, type LivenessTimings } from "./hub/liveness.ts";
import { StatePublisher } from "./network/publisher.ts";
import { drainTimings } from "./orchestrator/drain.ts";
import { Orchestrator } from "./orchestrator/orchestrator.ts";
import { resumeRunners } from "./orchestrator/runners.ts";
import { openDatabase } from "./store/db.ts";
import { Store } from "./store/store.ts";

const log = createLogger("server");

/** How to run a server. */
export interface ServerOptions {
  port: number;
  hostname?: string;
  /** Folder for the SQLite store and the admin key file; `null` keeps everything in memory. */
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
  const db = openDatabase(options.dataDir ? join(options.dataDir, "corral.db") : ":memory:");
  const store = new Store(db);
  const admin = bootstrap(store, options.dataDir, options.env ?? process.env);
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
  const auth = new Authenticator(store);
  const settings = { publicUrl: `http://localhost:${options.port}` };
  const metrics = () => hub!.metrics.render(hub!.connectedCount);
  const app = createApp({ store, auth, dispatcher: hub, settings, defs: resourceDefs, metrics });
  const subscribers = new Subscribers(store, new Map(resourceDefs.map((d) => [d.type as string, d])));
  const deps = { auth, hub, subscribers, store };
  const server: Server<SocketData> = Bun.serve<SocketData>({
    port: options.port,
    hostname: options.hostname ?? "0.0.0.0",
    // Bun's own limit answers without our error body; ours (readJson) is the one clients meet.
    maxRequestBodySize: maxBodyBytes * 64,
    idleTimeout: 120,
    fetch(req, srv) {
      const upgraded = upgradeSocket(req, srv, deps);
      if (upgraded !== undefined) return upgraded;
      return app.fetch(req, { ip: () => srv.requestIP(req)?.address ?? "" });
    },
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
