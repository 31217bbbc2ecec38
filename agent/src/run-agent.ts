import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { AgentFrame } from "@corral/api";
import { agentPaths } from "@corral/api";
import {
  AppError,
  Backoff,
  type Controller,
  createLogger,
  HostStatus,
  sleep,
  startControllers,
} from "@corral/lib";
import { relayContainerEvents } from "./container-events.ts";
import { createDnsController } from "./dns/index.ts";
import { DockerEvents } from "./docker-events.ts";
import { createDockerDriver } from "./dockerode-driver.ts";
import type { DockerDriver } from "./driver.ts";
import { createHealthController } from "./health/index.ts";
import type { Probe } from "./health/probe.ts";
import type { HostContext } from "./host-context.ts";
import { HostStateBus } from "./host-state-bus.ts";
import { createIpsecController } from "./ipsec/index.ts";
import { createLoadBalancerController } from "./lb/index.ts";
import { createMetadataController } from "./metadata/index.ts";
import { createNetworkController, defaultManagedNetworkConfig } from "./network/index.ts";
import { createPortsController } from "./ports/index.ts";
import { createIptables } from "./ports/iptables.ts";
import { withPublishedPorts } from "./ports/observed-ports.ts";
import { baseUrl, register } from "./register.ts";
import { runSession } from "./session.ts";
import { type AgentState, hasCredentials, hashToken, loadState, saveState } from "./state.ts";
import { serverCa } from "./trust.ts";

/** Options of runAgent. */
export interface RunAgentOptions {
  /** Server URL, e.g. http://server:8080. */
  url: string;
  /** Registration token; needed the first time, and to re-register. */
  token?: string;
  /**
   * SHA-256 (hex) of the server's CA bundle, from the registration command: needed to join an https
   * URL the first time; the CA is then pinned in the state folder.
   */
  caChecksum?: string;
  /** Folder for agent.json (created 0700). */
  stateDir: string;
  /** Docker socket path (default /var/run/docker.sock). */
  dockerSocket?: string;
  /** Host labels sent at registration. */
  labels?: Record<string, string>;
  /** Stops the agent. */
  signal?: AbortSignal;
  /** Overrides the server's ping interval (tests). */
  pingIntervalMsOverride?: number;
  /** Receives the server's network views; the host's network controllers subscribe to it (default: a new bus). */
  hostState?: HostStateBus;
  /**
   * Runs the controllers that change the host itself (managed bridge, published ports, DNS and
   * metadata listeners, load balancers, IPsec) on the server's views. Default: on with the real
   * driver, off with a `driver` override, since they change the real host (Docker networks,
   * iptables, the service address) and a fake engine has nothing for them to work on.
   */
  networkControllers?: boolean;
  /** The host status record pings carry (default: a new one). */
  hostStatus?: HostStatus;
  /** A driver to use instead of dockerode on `dockerSocket` (tests). */
  driver?: DockerDriver;
  /** A health probe to use instead of real sockets (tests). */
  healthProbe?: Probe;
}

/** The websocket URL of the connect endpoint for a server URL. */
export function connectUrl(url: string): string {
  return `${baseUrl(url).replace(/^http(s?):/i, "ws$1:")}${agentPaths.connect}`;
}

/** True when the stored state must be replaced by a fresh registration. */
export function needsRegistration(state: AgentState, url: string, token: string | undefined): boolean {
  if (!hasCredentials(state)) return true;
  if (!token) return false;
  // A new token or another server means the operator asked this host to join again.
  return (
    state.tokenHash !== hashToken(token) || (state.url !== undefined && baseUrl(state.url) !== baseUrl(url))
  );
}

/**
 * `connected` in the state folder while a session is welcomed: CorralOS's boot health gate reads
 * it ("the agent connected") before it makes an upgraded slot the active one.
 */
function markConnected(stateDir: string, connected: boolean): void {
  try {
    const file = join(stateDir, "connected");
    if (connected) writeFileSync(file, `${new Date().toISOString()}\n`);
    else rmSync(file, { force: true });
  } catch {}
}

/**
 * Runs the agent until `signal` aborts: registers when needed, keeps one websocket session to the
 * server (reconnecting with backoff forever), follows Docker's events, and runs the host
 * controllers. Containers are never touched on disconnect. Rejects only when it cannot start at all
 * (no credentials and no token, unreadable state).
 */
export async function runAgent(options: RunAgentOptions): Promise<void> {
  const logger = createLogger("agent");
  const signal = options.signal ?? new AbortController().signal;
  let state = await loadState(options.stateDir);
  if (!hasCredentials(state) && !options.token) {
    throw new AppError("MissingRequired", "this host is not registered: a registration token is needed");
  }
  // Before anything is sent: the CA to trust, checked against the checksum, or a refusal.
  const ca = await serverCa(options.url, options.caChecksum, state, signal);
  // The driver reads the installation id at each call: it is known only after registration.
  const plainDriver = options.driver ?? createDockerDriver(options.dockerSocket, () => state.installId);
  const withNetwork = options.networkControllers ?? options.driver === undefined;
  const status = options.hostStatus ?? new HostStatus();
  let current: ((frame: AgentFrame) => void) | null = null;
  const host: HostContext = {
    bus: options.hostState ?? new HostStateBus(logger.child("host-state")),
    events: new DockerEvents({ driver: plainDriver, logger }),
    driver: plainDriver,
    logger,
    network: defaultManagedNetworkConfig,
    iptables: createIptables(),
    // Health changes made while the server is away are caught up by `resend` at the next welcome.
    send: (frame) => current?.(frame),
    ...(options.dockerSocket && { dockerSocket: options.dockerSocket }),
  };
  const health = createHealthController(host, options.healthProbe && { probe: options.healthProbe });
  const ports = createPortsController(host);
  const lb = createLoadBalancerController(host);
  const ipsec = createIpsecController(host);
  // Every host concern is one controller, and this is the one list of them. Those that change the
  // host itself run only with the real engine.
  const controllers: Controller[] = [
    health,
    ...(withNetwork
      ? [
          createNetworkController(host),
          ports,
          createDnsController(host),
          createMetadataController(host),
          lb,
          ipsec,
        ]
      : []),
  ];
  // Ports published by Corral's chains are unknown to Docker: observations get them from the controller.
  const driver = withNetwork
    ? withPublishedPorts(plainDriver, (id) => ports.publishedPorts(id))
    : plainDriver;
  const running = startControllers(controllers, { logger, signal, status });
  const stopRelay = relayContainerEvents({ driver, events: host.events, send: host.send });
  const events = host.events.run(signal);
  // Persist the uuid before anything else, so a crash during registration cannot change identity.
  // A CA pinned anew for a host already registered (same server, a new checksum given) is kept too.
  if (ca && hasCredentials(state) && !needsRegistration(state, options.url, options.token))
    state = { ...state, caCert: ca };
  await saveState(options.stateDir, state);
  const backoff = new Backoff(250, 5_000);

  const registerOnce = async (token: string) => {
    state = await register(state, { url: options.url, token, labels: options.labels, signal, ca });
    await saveState(options.stateDir, state);
    logger.info("registered", { hostId: state.hostId, agentId: state.agentId });
  };

  let reRegistered = false;
  while (!signal.aborted) {
    try {
      if (options.token && needsRegistration(state, options.url, options.token))
        await registerOnce(options.token);
      const result = await runSession({
        wsUrl: connectUrl(options.url),
        accessKey: state.accessKey!,
        secretKey: state.secretKey!,
        agentId: state.agentId!,
        driver,
        logger,
        signal,
        pingIntervalMsOverride: options.pingIntervalMsOverride,
        hostState: host.bus,
        onSender: (sender) => {
          current = sender;
          markConnected(options.stateDir, sender !== null);
          // The server may have missed changes while we were away: repeat every state, and look
          // again for containers whose Docker events may have been lost meanwhile.
          if (sender) {
            health.monitor.resend();
            running.get(health.name)?.kick();
          }
        },
        onContainer: (dockerId) => void health.monitor.track(dockerId),
        ipsecReport: () => (withNetwork ? ipsec.report() : undefined),
        lbReport: () =>
          withNetwork
            ? lb.report().map(({ containerId, serviceId, configId, error, warnings, viewVersion }) => ({
                containerId,
                serviceId,
                configId,
                viewVersion,
                error: error?.slice(0, 8192) ?? null,
                warnings: warnings.slice(0, 64).map((w) => w.slice(0, 1024)),
              }))
            : undefined,
        hostStatus: () => status.snapshot(),
        ca,
      });
      if (result.welcomed) {
        backoff.reset();
        reRegistered = false;
      } else if (result.refusedStatus === 401 && options.token && !reRegistered) {
        // Our key was revoked or the server lost it: join again with the token, once per outage.
        logger.warn("server refused our key; registering again");
        reRegistered = true;
        await registerOnce(options.token);
        continue;
      }
    } catch (e) {
      logger.warn("cannot connect", { error: e });
    }
    if (signal.aborted) break;
    await sleep(backoff.next(), signal);
  }
  await events;
  stopRelay();
  await running.stopped;
}
