import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createLogger } from "@corral/lib";
import type { Server } from "bun";
import { agentReportHandlers } from "./agent-reports.ts";
import { AuthConfigs } from "./auth/auth-configs.ts";
import { Authenticator } from "./auth/authenticate.ts";
import type { ProviderModule } from "./auth/identity.ts";
import { rotateAtStart } from "./auth/key-rotation.ts";
import { LoginService } from "./auth/login.ts";
import { providerModules } from "./auth/provider-modules.ts";
import type { FailureLimits } from "./auth/rate-limit.ts";
import { loadSecretBox, SecretBox } from "./auth/secret-box.ts";
import { sessionTtlFrom } from "./auth/session-ttl.ts";
import { type BootstrapResult, bootstrap } from "./bootstrap.ts";
import { catalogRefreshMsFrom, startCatalogs } from "./catalog/start.ts";
import { AcmeIssuer } from "./certificates/acme-issuer.ts";
import { trustAcmeCa } from "./certificates/acme-order.ts";
import { defaultAcmeTimings, renewBeforeMsFrom } from "./certificates/acme-schedule.ts";
import { createApp } from "./http/app.ts";
import { errorResponse } from "./http/errors.ts";
import { refusal, secure } from "./http/gate.ts";
import { isLoopback, redirectToHttps } from "./http/plain-http.ts";
import { resourceDefs } from "./http/resources/index.ts";
import { registrationTokenResourceFor } from "./http/resources/registration-tokens.ts";
import { type SocketData, socketHandlers, upgradeSocket } from "./http/sockets.ts";
import { Subscribers } from "./http/subscribe.ts";
import { defaultUiDir } from "./http/web.ts";
import { Hub } from "./hub/hub.ts";
import { defaultTimings, type LivenessTimings } from "./hub/liveness.ts";
import { StatePublisher } from "./network/publisher.ts";
import { ViewRejections } from "./network/view-rejections.ts";
import { drainTimings } from "./orchestrator/drain.ts";
import { Orchestrator } from "./orchestrator/orchestrator.ts";
import { resumeRunners } from "./orchestrator/runners.ts";
import { trackContainerVolumes } from "./services/container-volumes.ts";
import { endInterruptedOsRollouts } from "./services/os-rollout.ts";
import { maxServiceScaleFrom } from "./services/scale-limit.ts";
import { setVault } from "./services/vault.ts";
import { trackVolumeHosts } from "./services/volume-hosts.ts";
import { securePrivateFolder } from "./store/data-folder.ts";
import { openDatabase } from "./store/db.ts";
import { Store } from "./store/store.ts";
import { HttpsListener } from "./tls/https-listener.ts";
import { loadTlsMaterial, type TlsMaterial, type TlsSource } from "./tls/material.ts";

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
  /** Failed logins allowed per account name and per client address (default: 5, then 5 a minute). */
  loginFailureLimits?: FailureLimits;
  /** External identity provider modules (default: the server's list, provider-modules.ts). */
  providerModules?: ProviderModule[];
  /**
   * The HTTPS listener (same `hostname`): its port and where its certificate comes from (default: a
   * CA made at first start in the data folder). Without it nothing is encrypted and plain HTTP
   * answers every address: only in-process tests leave it out; `corral server` always sets it.
   */
  https?: {
    port: number;
    source?: TlsSource;
    /** How often a generated certificate is checked against the machine's addresses (30 s). */
    addressCheckMs?: number;
  };
  /**
   * With `https`, plain HTTP still serves the API to every address instead of loopback only (others
   * get a redirect to HTTPS and nothing else). Off by default.
   */
  insecureHttp?: boolean;
  /**
   * ACME issuance: `caPem` is trusted (beside the system's roots) for the CA's API (default: the
   * file `CORRAL_ACME_CA_FILE` names); `retryBaseMs` is the first retry after a failed order (1 min).
   */
  acme?: { caPem?: string; retryBaseMs?: number };
  /** The web UI's built bundle (default: server/ui/dist, written by `bun server/ui/build.ts`). */
  uiDir?: string;
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
  /** `https://127.0.0.1:<port>` when HTTPS is on. */
  httpsUrl: string | null;
  /** The CA agents pin (served at `/cacerts`) and its checksum, when HTTPS is on. */
  tls: Pick<TlsMaterial, "caPem" | "caChecksum" | "source"> | null;
  stop(): Promise<void>;
}

/** Opens the store, bootstraps the first admin and environment, and serves the API and websockets. */
export function startServer(options: ServerOptions): RunningServer {
  // Refused settings stop the start before anything is opened.
  const maxServiceScale = maxServiceScaleFrom(options.env ?? process.env);
  catalogRefreshMsFrom(options.env ?? process.env);
  const sessionTtlMs = sessionTtlFrom(options.env ?? process.env);
  const acmeTimings = {
    ...defaultAcmeTimings,
    renewBeforeMs: renewBeforeMsFrom(options.env ?? process.env),
    ...(options.acme?.retryBaseMs !== undefined ? { retryBaseMs: options.acme.retryBaseMs } : {}),
  };
  const acmeCaFile = (options.env ?? process.env).CORRAL_ACME_CA_FILE;
  const acmeCa = options.acme?.caPem ?? (acmeCaFile ? readFileSync(acmeCaFile, "utf8") : null);
  if (options.dataDir) securePrivateFolder(options.dataDir);
  // Before the store opens: a bad certificate file stops the start with nothing to undo.
  const tls = options.https ? loadTlsMaterial(options.dataDir, options.https.source) : null;
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
  const rejections = new ViewRejections(store);
  hub = new Hub(
    store,
    {
      ...reports,
      // After the hello is folded in, the agent gets its host's network view.
      onHello(hostId, frame) {
        reports.onHello(hostId, frame);
        publisher?.hello(hostId);
      },
      onFrameRejected: (hostId, frame) => rejections.report(hostId, frame),
      onResync: (hostId) => publisher?.resync(hostId),
    },
    timings,
  );
  publisher = new StatePublisher(store, hub);
  const auth = new Authenticator(store, options.authFailureLimits);
  const env = options.env ?? process.env;
  // In memory (tests) without a configured key, secrets live as long as the process: a random key.
  const loaded =
    options.dataDir || env.CORRAL_DATA_KEY
      ? loadSecretBox(options.dataDir ?? "", env)
      : new SecretBox(randomBytes(32));
  // Before anything opens a sealed value: a rotation asked for (or cut short) re-seals them all.
  const box = rotateAtStart(db, loaded, options.dataDir, env);
  setVault(store, box);
  const configs = new AuthConfigs(store, box, options.providerModules ?? providerModules);
  const login = new LoginService(store, configs, sessionTtlMs, options.loginFailureLimits);
  const settings = {
    publicUrl: `http://localhost:${options.port}`,
    maxServiceScale,
    sessionTtlMs,
  };
  const metrics = () => hub!.metrics.render(hub!.connectedCount);
  const trust = tls ? { httpsPort: 0, caPem: tls.caPem, caChecksum: tls.caChecksum } : undefined;
  const defs = resourceDefs.map((d) =>
    d.type === "registrationToken" ? registrationTokenResourceFor(trust) : d,
  );
  const catalogs = startCatalogs(store, box, options.dataDir, env);
  const app = createApp({
    store,
    auth,
    login,
    dispatcher: hub,
    settings,
    defs,
    metrics,
    trust,
    uiDir: options.uiDir ?? defaultUiDir,
    catalogs,
  });
  const subscribers = new Subscribers(
    store,
    new Map(defs.filter((d) => !d.view).map((d) => [d.type as string, d])),
  );
  const deps = { auth, hub, subscribers, store };
  const publicOrigins = [new URL(settings.publicUrl).origin];
  const hostname = options.hostname ?? "0.0.0.0";
  // Plain HTTP serves loopback clients; others only learn where HTTPS is, unless the operator asked.
  const plainForAll = !tls || options.insecureHttp === true;
  const handle = (req: Request, srv: Server<SocketData>, plain: boolean) => {
    const refused = refusal(req, publicOrigins);
    if (refused) return secure(errorResponse(refused));
    if (plain && !plainForAll && !isLoopback(srv.requestIP(req)?.address ?? ""))
      return secure(redirectToHttps(req, trust!.httpsPort));
    const upgraded = upgradeSocket(req, srv, deps);
    if (upgraded !== undefined) return secure(upgraded);
    const res = app.fetch(req, { ip: () => srv.requestIP(req)?.address ?? "" });
    return res instanceof Promise ? res.then(secure) : secure(res);
  };
  const listen = (port: number, pair: { cert: string; key: string } | null): Server<SocketData> =>
    Bun.serve<SocketData>({
      port,
      hostname,
      ...(pair ? { tls: { cert: pair.cert, key: pair.key } } : {}),
      // Bun's development mode answers errors with a page of source paths and lines.
      development: false,
      // Bun's own 413 has no body: its bound is set far above ours (refusal() and readJson, 1 MiB) so
      // clients meet ours. A refused body is not read: the 413 closes the connection.
      maxRequestBodySize: Number.MAX_SAFE_INTEGER,
      idleTimeout: 120,
      fetch: (req, srv) => handle(req, srv, pair === null),
      // Anything thrown outside Hono's own handler still gets the API's error body, never Bun's page.
      error: (e) => secure(errorResponse(e)),
      websocket: socketHandlers(deps),
    });
  let secureServer: HttpsListener<SocketData> | null = null;
  let server: Server<SocketData>;
  try {
    if (tls && trust && options.https) {
      const o = options.https;
      secureServer = new HttpsListener(listen, tls, o.port, options.dataDir, o.source, o.addressCheckMs);
      trust.httpsPort = secureServer.port;
    }
    server = listen(options.port, null);
  } catch (e) {
    void secureServer?.stop();
    hub.stop();
    publisher.stop();
    subscribers.stop();
    db.close();
    throw e;
  }
  if (options.drainMs !== undefined) drainTimings.drainMs = options.drainMs;
  const orchestrator = new Orchestrator(store, hub, { resyncMs: options.resyncMs });
  const stopVolumeHosts = trackVolumeHosts(store);
  const stopContainerVolumes = trackContainerVolumes(store, hub);
  orchestrator.start();
  resumeRunners(store, hub);
  endInterruptedOsRollouts(store);
  trustAcmeCa(acmeCa);
  const acmeIssuer = new AcmeIssuer(store, hub, box, acmeTimings);
  acmeIssuer.start();
  const url = `http://127.0.0.1:${server.port}`;
  const httpsUrl = secureServer ? `https://127.0.0.1:${secureServer.port}` : null;
  log.info("listening", {
    url: `http://${hostname}:${server.port}`,
    ...(secureServer && {
      https: `https://${hostname}:${secureServer.port}`,
      plainHttp: plainForAll ? "every address" : "loopback only",
      caChecksum: tls!.caChecksum,
    }),
  });
  return {
    url,
    port: server.port ?? options.port,
    store,
    hub,
    orchestrator,
    publisher,
    admin,
    httpsUrl,
    tls: tls && { caPem: tls.caPem, caChecksum: tls.caChecksum, source: tls.source },
    async stop() {
      await orchestrator.stop();
      stopVolumeHosts();
      stopContainerVolumes();
      await acmeIssuer.stop();
      await catalogs.stop();
      publisher?.stop();
      rejections.stop();
      hub?.stop();
      subscribers.stop();
      await Promise.all([server.stop(true), secureServer?.stop(), configs.close()]);
      db.close();
    },
  };
}
