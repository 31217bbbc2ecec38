/**
 * A fake Dispatcher for orchestrator tests: one fake agent per host that records every event the
 * server sends and answers it as the real agent would (create, start, stop, restart, remove on an
 * in-memory container table; stats of a running one), reports container deaths, pings and health through the server's own
 * report handlers, and can be told to fail, hang, crash containers or lose its connection.
 */
import {
  type ContainerObservation,
  describeIssue,
  type ErrorCode,
  type EventData,
  type EventName,
  type EventReply,
  type HostFacts,
  type healthStates,
  instanceSpecSchema,
  parseEventReply,
  parseId,
} from "@corral/api";
import { AppError } from "@corral/lib";
import { agentReportHandlers } from "../src/agent-reports.ts";
import type { HubHandlers } from "../src/hub/hub.ts";
import type { Dispatcher } from "../src/services/context.ts";
import type { Store } from "../src/store/store.ts";

/** A health state as agents report it. */
export type FakeHealth = (typeof healthStates)[number];

/** A container as a fake host holds it. */
export interface FakeContainer {
  /** The container's public id (`1i7`). */
  containerId: string;
  dockerId: string;
  name: string;
  state: "created" | "running" | "exited";
  exitCode?: number;
  /** True when its spec has a health check (the agent would run it). */
  checked: boolean;
}

/** One event the server sent, as the fake agent recorded it. */
export interface SentEvent {
  /** Order of sending, from 1, across all hosts. */
  seq: number;
  hostId: string;
  name: string;
  /** The container the event is about (public id), when it names one. */
  containerId: string;
  /** The container's name, when known (from the create spec or the agent's table). */
  containerName: string;
  /** Fake time it was sent. */
  at: number;
}

/** Which events a rule applies to; every given field must match. */
export interface EventMatch {
  name?: string;
  hostId?: string;
  /** Matches when the container's name starts with this (e.g. `shop-web-`). */
  containerName?: string;
}

/** What a fake agent does with a matching event instead of answering normally. */
export type Misbehaviour =
  | { kind: "fail"; message: string; code?: ErrorCode }
  /** The event gets no answer until {@link FakeAgents.release} (an agent busy pulling an image). */
  | { kind: "hold" }
  /**
   * The container starts, then exits with this code: at once (the reply already says exited), or
   * `afterMs` later with a Docker event (a program that dies shortly after it starts).
   */
  | { kind: "crash"; exitCode: number; afterMs?: number };

interface Rule {
  match: EventMatch;
  does: Misbehaviour;
  /** How many more events it applies to (Infinity: until cleared). */
  left: number;
}

interface HeldEvent {
  event: SentEvent;
  run: () => Record<string, unknown>;
  resolve: (data: Record<string, unknown>) => void;
  reject: (e: unknown) => void;
}

interface FakeHost {
  connected: boolean;
  containers: Map<string, FakeContainer>;
}

/** Host facts as an agent sends them at hello. */
export function fakeFacts(hostname: string): HostFacts {
  return {
    hostname,
    kernel: "6.1.0",
    os: "CorralOS",
    arch: "x86_64",
    cpuCount: 2,
    cpuModel: "fake",
    cpuLoad: 0,
    memoryTotal: 8 * 1024 ** 3,
    memoryUsed: 1024 ** 3,
    disks: [],
    dockerVersion: "26.1.5",
    ipAddresses: [],
  };
}

/** What `instance.stats` answers for a running container: a small, idle process. */
const idleStats = {
  cpuPercent: 0.5,
  memoryUsage: 8 * 1024 * 1024,
  memoryLimit: 512 * 1024 * 1024,
  networkRxBytes: 0,
  networkTxBytes: 0,
  blockReadBytes: 0,
  blockWriteBytes: 0,
  pids: 1,
};

/**
 * The fake agents of every host of a test. Implements the server's Dispatcher, so the orchestrator
 * and the domain verbs talk to it as they would to the hub.
 */
export class FakeAgents implements Dispatcher {
  /** Every event sent, in order. */
  readonly events: SentEvent[] = [];
  /**
   * The health a container with a health check reports after it starts; null leaves it
   * `initializing` until the test calls {@link reportHealth}.
   */
  health: (c: FakeContainer, hostId: string) => FakeHealth | null = () => "healthy";
  private readonly hosts = new Map<string, FakeHost>();
  private readonly reports: HubHandlers;
  private rules: Rule[] = [];
  private held: HeldEvent[] = [];
  private healthDue: { hostId: string; containerId: string }[] = [];
  private pingSeq = 0;

  constructor(private readonly store: Store) {
    this.reports = agentReportHandlers(store, () => this);
  }

  /** Adds a host whose agent is connected. */
  addHost(hostId: string): void {
    this.hosts.set(hostId, { connected: true, containers: new Map() });
  }

  /** True when the host's agent is connected (the Dispatcher contract). */
  isConnected(hostId: string): boolean {
    return this.hosts.get(hostId)?.connected ?? false;
  }

  /**
   * Sends an event to a host's agent (the Dispatcher contract); the reply passes the event's reply
   * schema as the hub checks it, so a fake that answers wrongly fails the test that relies on it.
   */
  dispatch<N extends EventName>(hostId: string, name: N, data: EventData<N>): Promise<EventReply<N>> {
    return this.deliver(hostId, name, data as Record<string, unknown>).then((reply) => {
      const parsed = parseEventReply(name, reply);
      if (!parsed.success)
        throw new Error(`the fake agent answered ${name} wrongly: ${describeIssue(parsed.error)}`);
      return parsed.data;
    });
  }

  private deliver(hostId: string, name: string, data: Record<string, unknown>): Promise<unknown> {
    const host = this.hosts.get(hostId);
    const event = this.record(hostId, name, data);
    if (!host?.connected) {
      return Promise.reject(new AppError("Unavailable", `the agent of host ${hostId} is not connected`));
    }
    const does = this.misbehaviour(event);
    if (does?.kind === "fail") return Promise.reject(new AppError(does.code ?? "ServerError", does.message));
    const run = () => this.perform(host, hostId, event, data, does?.kind === "crash" ? does : null);
    if (does?.kind === "hold") {
      return new Promise((resolve, reject) => this.held.push({ event, run, resolve, reject }));
    }
    try {
      return Promise.resolve(run());
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Makes the next `times` events matching `match` misbehave (all of them when `times` is omitted). */
  misbehave(match: EventMatch, does: Misbehaviour, times = Number.POSITIVE_INFINITY): void {
    this.rules.push({ match, does, left: times });
  }

  /** Forgets every misbehaviour rule: events are answered normally again. */
  behave(): void {
    this.rules = [];
  }

  /** Events held so far and not released. */
  heldEvents(): SentEvent[] {
    return this.held.map((h) => h.event);
  }

  /** Answers the held events matching `match` (all when omitted), as the agent would have. */
  release(match: EventMatch = {}): number {
    const now = this.held.filter((h) => matches(h.event, match));
    this.held = this.held.filter((h) => !now.includes(h));
    for (const h of now) {
      try {
        h.resolve(h.run());
      } catch (e) {
        h.reject(e);
      }
    }
    return now.length;
  }

  /** Events sent so far matching `match`. */
  sent(match: EventMatch = {}): SentEvent[] {
    return this.events.filter((e) => matches(e, match));
  }

  /** The containers a host's agent runs now. */
  containersOn(hostId: string): FakeContainer[] {
    return [...(this.hosts.get(hostId)?.containers.values() ?? [])];
  }

  /** The agent's socket closes: nothing reaches it and events it had not answered fail. */
  disconnect(hostId: string): void {
    const host = this.hosts.get(hostId);
    if (host) host.connected = false;
    const lost = this.held.filter((h) => h.event.hostId === hostId);
    this.held = this.held.filter((h) => h.event.hostId !== hostId);
    for (const h of lost) {
      h.reject(new AppError("Unavailable", `the connection closed before answering ${h.event.name}`));
    }
  }

  /** The agent connects again and says hello with the containers it runs (and `facts`). */
  reconnect(hostId: string, hostname = hostId, facts = fakeFacts(hostname)): void {
    const host = this.hosts.get(hostId);
    if (!host) throw new Error(`no fake host ${hostId}`);
    host.connected = true;
    this.reports.onHello(hostId, {
      type: "hello",
      agentVersion: "fake",
      facts,
      containers: [...host.containers.values()].map(observe),
    });
  }

  /** A ping with the host's whole container list (the server trusts it for rows still a while). */
  ping(hostId: string): void {
    const host = this.hosts.get(hostId);
    if (!host?.connected) return;
    this.reports.onPing(hostId, {
      type: "ping",
      seq: this.pingSeq++,
      containers: [...host.containers.values()].map(observe),
    });
  }

  /** The container's program exits on its own; the agent reports the Docker event. */
  exit(containerId: string, exitCode: number): void {
    const { hostId, container } = this.find(containerId);
    container.state = "exited";
    container.exitCode = exitCode;
    this.reports.onContainerEvent(hostId, {
      type: "containerEvent",
      action: "die",
      container: observe(container),
      containerId,
    });
  }

  /** Someone removed the container on the host behind the agent's back (seen at the next ping). */
  vanish(containerId: string): void {
    const { hostId } = this.find(containerId);
    this.hosts.get(hostId)!.containers.delete(containerId);
  }

  /** The agent's health monitor reports a container's health. */
  reportHealth(containerId: string, healthState: FakeHealth): void {
    const { hostId } = this.find(containerId);
    this.reports.onHealthEvent(hostId, { type: "healthEvent", containerId, healthState });
  }

  /**
   * Delivers the health reports due since the last tick: as the agent's checker does for every run
   * of a checked container, `initializing` first, then what {@link health} says. They come after
   * the start's reply, the later of the two orders the real agent may send them in.
   */
  tick(): void {
    const due = this.healthDue;
    this.healthDue = [];
    for (const { hostId, containerId } of due) {
      const host = this.hosts.get(hostId);
      const container = host?.containers.get(containerId);
      if (!host?.connected || container?.state !== "running") continue;
      this.reports.onHealthEvent(hostId, { type: "healthEvent", containerId, healthState: "initializing" });
      const state = this.health(container, hostId);
      if (state) this.reports.onHealthEvent(hostId, { type: "healthEvent", containerId, healthState: state });
    }
  }

  private record(hostId: string, name: string, data: Record<string, unknown>): SentEvent {
    const spec = (data.spec ?? {}) as { containerId?: string; name?: string };
    const containerId = String(spec.containerId ?? data.containerId ?? "");
    const known = this.hosts.get(hostId)?.containers.get(containerId)?.name;
    const event: SentEvent = {
      seq: this.events.length + 1,
      hostId,
      name,
      containerId,
      containerName: spec.name ?? known ?? this.rowName(containerId),
      at: Date.now(),
    };
    this.events.push(event);
    return event;
  }

  private rowName(containerId: string): string {
    const n = parseId("container", containerId);
    return (n === null ? null : this.store.get(n)?.name) ?? "";
  }

  private misbehaviour(event: SentEvent): Misbehaviour | null {
    const rule = this.rules.find((r) => r.left > 0 && matches(event, r.match));
    if (!rule) return null;
    rule.left -= 1;
    return rule.does;
  }

  /** What the real agent's event handler does, on the in-memory container table. */
  private perform(
    host: FakeHost,
    hostId: string,
    event: SentEvent,
    data: Record<string, unknown>,
    crash: { exitCode: number; afterMs?: number } | null,
  ): Record<string, unknown> {
    if (event.name === "instance.create") {
      const spec = instanceSpecSchema.parse(data.spec);
      let c = host.containers.get(spec.containerId);
      if (!c) {
        c = {
          containerId: spec.containerId,
          dockerId: `docker-${spec.containerId}`,
          name: spec.name,
          state: "created",
          checked: Boolean(spec.healthCheck),
        };
        host.containers.set(c.containerId, c);
      }
      if (data.start === true && c.state !== "running") this.start(hostId, c, crash);
      return observe(c);
    }
    if (event.name === "instance.remove") {
      host.containers.delete(event.containerId);
      return { removed: true };
    }
    // Volumes are made by the engine when a container mounts them; the fake only answers.
    if (event.name === "volume.create" || event.name === "volume.remove")
      return { name: data.name, present: event.name === "volume.create" };
    const c = host.containers.get(event.containerId);
    if (!c) throw new AppError("NotFound", `container ${event.containerId} not found on this host`);
    if (event.name === "instance.stats") {
      if (c.state !== "running") throw new AppError("InvalidState", `container ${c.name} is not running`);
      return { ...idleStats };
    }
    if (event.name === "instance.start" || event.name === "instance.restart") this.start(hostId, c, crash);
    else if (event.name === "instance.stop") {
      c.state = "exited";
      c.exitCode = 0;
    } else if (event.name !== "instance.inspect") {
      throw new AppError("InvalidReference", `the fake agent does not answer ${event.name}`);
    }
    return observe(c);
  }

  private start(
    hostId: string,
    c: FakeContainer,
    crash: { exitCode: number; afterMs?: number } | null,
  ): void {
    if (crash && crash.afterMs === undefined) {
      c.state = "exited";
      c.exitCode = crash.exitCode;
      return;
    }
    c.state = "running";
    c.exitCode = undefined;
    if (c.checked) this.healthDue.push({ hostId, containerId: c.containerId });
    if (crash) {
      setTimeout(() => {
        const host = this.hosts.get(hostId);
        if (host?.connected && host.containers.get(c.containerId)?.state === "running")
          this.exit(c.containerId, crash.exitCode);
      }, crash.afterMs);
    }
  }

  private find(containerId: string): { hostId: string; container: FakeContainer } {
    for (const [hostId, host] of this.hosts) {
      const container = host.containers.get(containerId);
      if (container) return { hostId, container };
    }
    throw new Error(`no fake host runs container ${containerId}`);
  }
}

function matches(event: SentEvent, m: EventMatch): boolean {
  return (
    (m.name === undefined || event.name === m.name) &&
    (m.hostId === undefined || event.hostId === m.hostId) &&
    (m.containerName === undefined || event.containerName.startsWith(m.containerName))
  );
}

function observe(c: FakeContainer): ContainerObservation {
  return {
    containerId: c.containerId,
    dockerId: c.dockerId,
    name: c.name,
    state: c.state,
    ...(c.exitCode !== undefined ? { exitCode: c.exitCode } : {}),
  };
}
