/**
 * An orchestrator on in-memory state, for unit tests of reconciliation: a Store on an in-memory
 * bun:sqlite database with the real schema, one environment with hosts seeded as rows, fake agents
 * answering the hub's events, the real domain verbs (stacks from compose files, scale, upgrade,
 * host actions), fake time, and passes run to quiescence.
 */
import { formatId } from "@corral/api";
import type { Principal } from "../src/auth/principal.ts";
import type { HostFields } from "../src/model/host.ts";
import type { ProjectFields } from "../src/model/project.ts";
import type { ServiceFields, StackFields } from "../src/model/service.ts";
import { drainTimings } from "../src/orchestrator/drain.ts";
import { Orchestrator } from "../src/orchestrator/orchestrator.ts";
import { groupUnits, type Unit, type UnitContainer } from "../src/orchestrator/units.ts";
import type { VerbContext } from "../src/services/context.ts";
import { removeHost, setHostActive, updateHost } from "../src/services/hosts.ts";
import { updateService } from "../src/services/services.ts";
import { createStack } from "../src/services/stacks.ts";
import { openDatabase } from "../src/store/db.ts";
import type { Row } from "../src/store/rows.ts";
import { Store } from "../src/store/store.ts";
import { FakeAgents, fakeFacts } from "./fake-agents.ts";
import { drainMicrotasks, FakeClock } from "./fake-clock.ts";

/** A host to seed: its labels (and name). */
export interface HostSeed {
  name?: string;
  labels?: Record<string, string>;
}

/** How to set up a kit. */
export interface KitOptions {
  /** Hosts to seed, all active with a connected agent (default: three without labels). */
  hosts?: HostSeed[];
  /** How long removed and stopped service containers drain first (default 0; fake time). */
  drainMs?: number;
}

/** Each kit's row ids start at their own offset: module-level sets keyed by row id never collide. */
let kitsStarted = 0;
const idsPerKit = 1_000_000;

/** Passes a settle may take before the kit calls the orchestrator stuck in a loop. */
const maxRounds = 200;

const admin: Principal = { kind: "admin", accountId: "1a1", keyId: "1c1" };

/** One environment with hosts, an orchestrator and fake agents; see the file comment. */
export class OrchestratorKit {
  readonly store: Store;
  readonly agents: FakeAgents;
  readonly orchestrator: Orchestrator;
  readonly clock: FakeClock;
  readonly projectId: string;
  /** The seeded hosts' public ids, in seeding order (and id order). */
  readonly hostIds: string[] = [];
  /** The context the domain verbs get (an admin). */
  readonly ctx: VerbContext;
  private changes = 0;
  private closed = false;
  private readonly drainBefore = drainTimings.drainMs;

  private constructor(options: KitOptions) {
    this.clock = FakeClock.install();
    const db = openDatabase(":memory:");
    db.query("INSERT INTO sqlite_sequence (name, seq) VALUES ('resource', ?)").run(++kitsStarted * idsPerKit);
    this.store = new Store(db);
    this.store.onChange(() => this.changes++);
    this.agents = new FakeAgents(this.store);
    const project = this.store.insert<ProjectFields>("project", {
      name: "Default",
      state: "active",
      data: {},
    });
    this.projectId = formatId("project", project.id);
    this.ctx = {
      store: this.store,
      principal: admin,
      dispatcher: this.agents,
      settings: { publicUrl: "http://localhost:8080" },
    };
    drainTimings.drainMs = options.drainMs ?? 0;
    for (const seed of options.hosts ?? [{}, {}, {}]) this.addHost(seed);
    this.orchestrator = new Orchestrator(this.store, this.agents);
  }

  /** Sets up the environment and starts the orchestrator (its first pass waits for {@link settle}). */
  static start(options: KitOptions = {}): OrchestratorKit {
    const kit = new OrchestratorKit(options);
    kit.orchestrator.start();
    return kit;
  }

  /** Stops the orchestrator and puts real time back (once; later calls do nothing). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    // A pass in flight stops at its next pause, before it touches the store closed below.
    void this.orchestrator.stop();
    drainTimings.drainMs = this.drainBefore;
    this.clock.restore();
    this.store.db.close();
  }

  /** Inserts a host row (active, agent connected) as registration would; returns its id. */
  addHost(seed: HostSeed = {}): string {
    const n = this.hostIds.length + 1;
    const name = seed.name ?? `host${n}`;
    const row = this.store.insert<HostFields>("host", {
      projectId: this.projectId,
      name,
      state: "active",
      data: {
        hostname: name,
        uuid: `uuid-${name}`,
        labels: seed.labels ?? {},
        info: fakeFacts(name),
        agentState: "active",
        agentAccountId: "",
        agentIpAddress: "",
        lastPingAt: null,
      },
    });
    const id = formatId("host", row.id);
    this.hostIds.push(id);
    this.agents.addHost(id);
    return id;
  }

  /** The host's agent goes silent: its socket closes and liveness marks it `disconnected`. */
  disconnectHost(hostId: string): void {
    this.agents.disconnect(hostId);
    this.setAgentState(hostId, "disconnected");
  }

  /** The host's agent comes back: `active`, hello with its containers, unfinished work resumed. */
  reconnectHost(hostId: string): void {
    this.setAgentState(hostId, "active");
    this.agents.reconnect(hostId);
  }

  /** Sets a host's agent state as liveness would (reconnecting, disconnected, active). */
  setAgentState(hostId: string, agentState: HostFields["agentState"]): void {
    const row = this.store.getByPublicId<HostFields>("host", hostId)!;
    this.store.update(row.id, { data: { agentState } });
  }

  /** Replaces a host's labels through the `update` verb. */
  setHostLabels(hostId: string, labels: Record<string, string>): void {
    updateHost(this.ctx, hostId, { labels });
  }

  /** Deactivates and removes a host through the verbs (its container records are marked removed). */
  removeHost(hostId: string): void {
    setHostActive(this.ctx, hostId, false);
    removeHost(this.ctx, hostId);
  }

  /** Creates a stack from compose files through the verb. */
  createStack(name: string, dockerCompose: string, rancherCompose?: string): Row<StackFields> {
    return createStack(this.ctx, this.projectId, { name, dockerCompose, rancherCompose });
  }

  /** The live service with this name (there is one stack per test, or names are unique). */
  service(name: string): Row<ServiceFields> {
    const found = this.store
      .all<ServiceFields>("service", { projectId: this.projectId })
      .find((s) => s.name === name && s.state !== "removed");
    if (!found) throw new Error(`no service ${name}`);
    return found;
  }

  /** Sets a service's scale through the `update` verb. */
  scale(name: string, scale: number): void {
    updateService(this.ctx, formatId("service", this.service(name).id), { scale });
  }

  /** The service's containers in any state but removed, by id. */
  containers(name: string, states?: string[]): UnitContainer[] {
    const sid = formatId("service", this.service(name).id);
    return this.store
      .all<UnitContainer["data"]>("container", { dataField: ["serviceId", sid] })
      .filter((c) => (states ? states.includes(c.state) : c.state !== "removed")) as UnitContainer[];
  }

  /** The service's units (present containers grouped), by createIndex. */
  units(name: string): Unit[] {
    return groupUnits(this.containers(name));
  }

  /** A row by public id, fresh. */
  row<T extends object>(type: "container" | "service" | "stack" | "host" | "project", id: string): Row<T> {
    const row = this.store.getByPublicId<T>(type, id);
    if (!row) throw new Error(`no ${type} ${id}`);
    return row;
  }

  /**
   * Runs orchestrator passes, agent replies and health reports until a whole round changes no row,
   * without moving time. Throws when that does not happen within a few hundred rounds: something
   * is looping as fast as the machine allows, which is a bug in itself.
   */
  async settle(): Promise<void> {
    for (let round = 0; round < maxRounds; round++) {
      const before = this.changes;
      await this.flush();
      this.agents.tick();
      await this.orchestrator.pass();
      await this.flush();
      if (this.changes === before) return;
    }
    throw new Error(`the orchestrator did not settle within ${maxRounds} rounds:\n${this.describe()}`);
  }

  /** Moves fake time forward by `ms`, settling after each step. */
  advance(ms: number, stepMs = 50): Promise<void> {
    return this.clock.advance(ms, () => this.settle(), stepMs);
  }

  /**
   * Settles, then moves fake time on until `check` answers something other than null, false or
   * undefined; throws after `maxMs` of fake time, saying what was awaited and what the state was.
   */
  async until<T>(what: string, check: () => T | null | false | undefined, maxMs = 60_000): Promise<T> {
    await this.settle();
    const deadline = Date.now() + maxMs;
    for (;;) {
      const value = check();
      if (value !== null && value !== false && value !== undefined) return value;
      if (Date.now() >= deadline) throw new Error(`timed out waiting for ${what}:\n${this.describe()}`);
      await this.advance(50);
    }
  }

  /**
   * Calls `probe` after every committed change from now on, so a test sees every state the rows
   * pass through (not only those left when a settle ends); returns a function that stops it.
   */
  watch(probe: () => void): () => void {
    return this.store.onChange(probe);
  }

  /** Services, their units and held events, one line each: for failure messages. */
  describe(): string {
    const lines: string[] = [];
    for (const s of this.store.all<ServiceFields>("service", { projectId: this.projectId })) {
      lines.push(
        `${s.name} ${s.state} scale=${s.data.scale} current=${s.data.currentScale} ${s.data.healthState} ` +
          `${s.data.transitioningMessage ?? ""} ${s.data.schedulingMessage ?? ""}`,
      );
      for (const c of this.store.all<UnitContainer["data"]>("container", {
        dataField: ["serviceId", formatId("service", s.id)],
      })) {
        if (c.state === "removed") continue;
        lines.push(
          `  ${c.name} ${c.state} on ${c.data.hostId} v${c.data.serviceVersion} ${c.data.healthState}`,
        );
      }
    }
    for (const e of this.agents.heldEvents()) lines.push(`held: ${e.name} ${e.containerName} on ${e.hostId}`);
    return lines.join("\n");
  }

  /** Lets every reply and continuation run until no row changes any more. */
  private async flush(): Promise<void> {
    for (let i = 0; i < maxRounds; i++) {
      const before = this.changes;
      await drainMicrotasks();
      if (this.changes === before) return;
    }
    throw new Error(`rows kept changing without time passing:\n${this.describe()}`);
  }
}
