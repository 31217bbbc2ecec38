/**
 * CorralOS hosts for tests of rolling OS upgrades: a Dispatcher over {@link FakeAgents} that
 * answers `host.osupgrade` as the agent does (the slot's version, before the reboot) and then plays
 * the reboot each host was given: the agent goes away, says hello from a new boot on trial, and a
 * later ping says how the boot gate decided (healthy on the new build, or rolled back with the
 * gate's reason), or the host never comes back. Every other event goes to the fake agents.
 */
import type { CorralOsFacts, EventData, EventName, EventReply, HostFacts } from "@corral/api";
import { AppError } from "@corral/lib";
import type { HostFields } from "../src/model/host.ts";
import type { Dispatcher } from "../src/services/context.ts";
import type { Store } from "../src/store/store.ts";
import { type FakeAgents, fakeFacts } from "./fake-agents.ts";

/** What a host does after it was told to upgrade. */
export type RebootPlay =
  | { kind: "healthy" }
  /** The new slot boots but never passes the gate: back on the old build with this reason. */
  | { kind: "rollback"; reason: string }
  /** The machine never comes back (dead disk, no power). */
  | { kind: "silent" }
  /** The agent refuses (PID 1 refused the release). */
  | { kind: "refuse"; message: string };

/** CorralOS facts of a host running `version` from slot A, installed, healthy. */
export function corralOsFacts(version: string, boot = 1): CorralOsFacts {
  return {
    version,
    slot: "A",
    bootId: `boot-${boot}`,
    installed: true,
    otherSlot: { slot: "B", version: null },
    trial: null,
    lastBoot: { outcome: "healthy", slot: "A", version, at: "2030-01-01T00:00:00Z" },
  };
}

/** See the file comment. */
export class FakeOsFleet implements Dispatcher {
  /** Hosts told to upgrade, in order, with the fake time it happened. */
  readonly upgrades: { hostId: string; at: number; data: EventData<"host.osupgrade"> }[] = [];
  /** How long a reboot takes, and how long the trial boot takes to be decided (fake ms). */
  rebootMs = 5_000;
  gateMs = 20_000;
  private readonly plays = new Map<string, RebootPlay>();
  private boots = 100;

  constructor(
    private readonly store: Store,
    private readonly agents: FakeAgents,
  ) {}

  /** Makes a host report CorralOS `version` (or another system when null). */
  setOs(hostId: string, version: string | null): void {
    const row = this.store.getByPublicId<HostFields>("host", hostId)!;
    const facts: HostFacts = {
      ...fakeFacts(row.data.hostname),
      corralOs: version ? corralOsFacts(version) : null,
    };
    if (!version) facts.os = "Debian GNU/Linux 12 (bookworm)";
    this.store.update(row.id, { data: { info: facts } });
  }

  /** What the host does when told to upgrade (default: comes back healthy). */
  play(hostId: string, play: RebootPlay): void {
    this.plays.set(hostId, play);
  }

  isConnected(hostId: string): boolean {
    return this.agents.isConnected(hostId);
  }

  dispatch<N extends EventName>(
    hostId: string,
    name: N,
    data: EventData<N>,
    _timeoutMs?: number,
  ): Promise<EventReply<N>> {
    if (name !== "host.osupgrade") return this.agents.dispatch(hostId, name, data);
    const req = data as EventData<"host.osupgrade">;
    this.upgrades.push({ hostId, at: Date.now(), data: req });
    const play = this.plays.get(hostId) ?? { kind: "healthy" };
    if (!this.isConnected(hostId))
      return Promise.reject(new AppError("Unavailable", `host ${hostId} is not connected`));
    if (play.kind === "refuse") return Promise.reject(new AppError("InvalidState", play.message));
    const target = req.version ?? "9.9.9-file";
    setTimeout(() => this.reboot(hostId, target, play), 50);
    return Promise.resolve({ version: target, slot: "B", log: [] } as EventReply<N>);
  }

  private reboot(hostId: string, target: string, play: Exclude<RebootPlay, { kind: "refuse" }>): void {
    const row = this.store.getByPublicId<HostFields>("host", hostId)!;
    const old = row.data.info!.corralOs!;
    this.agents.disconnect(hostId);
    if (play.kind === "silent") return;
    const boot = ++this.boots;
    const at = "2030-01-01T00:10:00Z";
    const trial: CorralOsFacts = {
      ...old,
      version: target,
      slot: "B",
      bootId: `boot-${boot}`,
      otherSlot: { slot: "A", version: old.version },
      trial: { to: "B", version: target, status: "trying" },
      lastBoot: { outcome: "trial-boot", slot: "B", version: target, at },
    };
    const hello = (os: CorralOsFacts) => {
      this.agents.reconnect(hostId, row.data.hostname, { ...fakeFacts(row.data.hostname), corralOs: os });
    };
    setTimeout(() => {
      // The trial boot: the agent connects (the gate waits for it) before the gate decides.
      hello(trial);
      setTimeout(() => {
        if (play.kind === "healthy") {
          const healthy = {
            ...trial,
            trial: null,
            lastBoot: { outcome: "healthy" as const, slot: "B" as const, version: target, at },
          };
          // What the next ping's facts write.
          this.store.update(row.id, {
            data: { info: { ...fakeFacts(row.data.hostname), corralOs: healthy } },
          });
          return;
        }
        this.agents.disconnect(hostId);
        setTimeout(
          () =>
            hello({
              ...old,
              bootId: `boot-${++this.boots}`,
              otherSlot: { slot: "B", version: target },
              lastBoot: { outcome: "rolled-back", slot: "A", version: old.version, at, reason: play.reason },
            }),
          this.rebootMs,
        );
      }, this.gateMs);
    }, this.rebootMs);
  }
}
