import type { AgentFrame } from "@corral/api";
import { agentPaths } from "@corral/api";
import { AppError, Backoff, createLogger, sleep } from "@corral/lib";
import { relayContainerEvents } from "./container-events.ts";
import { createDockerDriver } from "./dockerode-driver.ts";
import type { DockerDriver } from "./driver.ts";
import { HealthMonitor } from "./health/health-monitor.ts";
import type { Probe } from "./health/probe.ts";
import { HostStateBus } from "./host-state-bus.ts";
import { startIpsecController } from "./ipsec/index.ts";
import { startLoadBalancerController } from "./lb/controller.ts";
import { startNetworkControllers } from "./network/index.ts";
import { withPublishedPorts } from "./ports/observed-ports.ts";
import { baseUrl, register } from "./register.ts";
import { runSession } from "./session.ts";
import { type AgentState, hasCredentials, hashToken, loadState, saveState } from "./state.ts";

/** Options of runAgent. */
export interface RunAgentOptions {
  /** Server URL, e.g. http://server:8080. */
  url: string;
  /** Registration token; needed the first time, and to re-register. */
  token?: string;
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
   * Runs the host's network controllers (managed bridge, published ports) on the server's views.
   * Default: on with the real driver, off with a `driver` override, since they change the real
   * host (Docker networks, iptables) and a fake engine has nothing for them to work on.
   */
  networkControllers?: boolean;
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
 * Runs the agent until `signal` aborts: registers when needed, keeps one websocket session to the
 * server (reconnecting with backoff forever), and relays Docker events. Containers are never
 * touched on disconnect. Rejects only when it cannot start at all (no credentials and no token,
 * unreadable state).
 */
export async function runAgent(options: RunAgentOptions): Promise<void> {
  const logger = createLogger("agent");
  const signal = options.signal ?? new AbortController().signal;
  let state = await loadState(options.stateDir);
  if (!hasCredentials(state) && !options.token) {
    throw new AppError("MissingRequired", "this host is not registered: a registration token is needed");
  }
  // The driver reads the installation id at each call: it is known only after registration.
  const plainDriver = options.driver ?? createDockerDriver(options.dockerSocket, () => state.installId);
  const hostState = options.hostState ?? new HostStateBus(logger.child("host-state"));
  const withNetwork = options.networkControllers ?? options.driver === undefined;
  const network = withNetwork
    ? startNetworkControllers({
        bus: hostState,
        driver: plainDriver,
        logger,
        signal,
        ...(options.dockerSocket && { dockerSocket: options.dockerSocket }),
      })
    : null;
  // Ports published by Corral's chains are unknown to Docker: observations get them from the controller.
  const driver = network ? withPublishedPorts(plainDriver, (id) => network.publishedPorts(id)) : plainDriver;
  // Load balancers on this host follow the network view too (only with the real network controllers).
  const lb = network
    ? startLoadBalancerController({ bus: hostState, driver: plainDriver, logger: logger.child("lb") })
    : null;
  // IPsec tunnels to the environment's other hosts, on the same views (status goes out in pings).
  const ipsec = network
    ? startIpsecController({ bus: hostState, logger, signal, dockerSocket: options.dockerSocket })
    : null;
  // Persist the uuid before anything else, so a crash during registration cannot change identity.
  await saveState(options.stateDir, state);
  const backoff = new Backoff(250, 5_000);

  const registerOnce = async (token: string) => {
    state = await register(state, { url: options.url, token, labels: options.labels, signal });
    await saveState(options.stateDir, state);
    logger.info("registered", { hostId: state.hostId, agentId: state.agentId });
  };

  let current: ((frame: AgentFrame) => void) | null = null;
  const send = (frame: AgentFrame) => current?.(frame);
  // Health checks run whether or not the server is reachable; changes made while it is away are
  // caught up by `resend` when the next session is welcomed.
  const health = new HealthMonitor({
    driver,
    send,
    logger: logger.child("health"),
    ...(options.healthProbe && { probe: options.healthProbe }),
  });
  const events = relayContainerEvents({
    driver,
    logger,
    signal,
    send,
    observe: (event) => {
      health.onEngineEvent(event);
      // A container started or gone changes which rules and bridge ports there must be.
      network?.kick();
    },
    onFollow: () => void health.sync(),
  });

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
        hostState,
        onSender: (sender) => {
          current = sender;
          // The server may have missed changes while we were away: repeat every state, and look
          // again for containers whose Docker events may have been lost meanwhile.
          if (sender) {
            health.resend();
            void health.sync();
          }
        },
        onContainer: (dockerId) => void health.track(dockerId),
        ipsecReport: () => ipsec?.report(),
        lbReport: () =>
          lb?.status().map(({ containerId, serviceId, configId, error, warnings, viewVersion }) => ({
            containerId,
            serviceId,
            configId,
            viewVersion,
            error: error?.slice(0, 8192) ?? null,
            warnings: warnings.slice(0, 64).map((w) => w.slice(0, 1024)),
          })),
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
  health.close();
  lb?.stop();
  await network?.stopped;
  await ipsec?.stopped;
}
