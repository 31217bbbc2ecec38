import type { HostState, StateContainer, StateService } from "./host-state.ts";
import {
  derivedServiceLabels,
  type HostStateDelta,
  type HostStateFrame,
  type HostStatePart,
  type HostStateSnapshot,
  type WireContainer,
} from "./host-state-frames.ts";

/** What taking one frame gave: a new whole view, nothing yet (a snapshot part), or a refusal. */
export type SyncResult =
  | { kind: "view"; state: HostState }
  | { kind: "pending" }
  | { kind: "rejected"; reason: "outOfSequence" | "incomplete"; detail: string };

type Scalars = Omit<HostStateSnapshot, "type" | "containers" | "services" | "hosts" | "parts">;

/**
 * Rebuilds the whole network view from a session's `hostState` frames (snapshots, their parts,
 * deltas; see host-state-frames.ts). A delta is applied only when its seq follows the view held; a
 * snapshot part only when it is the next part of the snapshot being received. Anything else is
 * refused with a reason, and the agent then asks for a snapshot: until one arrives, deltas are
 * refused too (silently, as the refusal was already reported).
 */
export class HostStateAssembler {
  private seq: number | null = null;
  private scalars: Scalars | null = null;
  private readonly containers = new Map<string, WireContainer>();
  /** The containers as the view holds them, kept between deltas that change no service. */
  private readonly expanded = new Map<string, StateContainer>();
  private readonly services = new Map<string, StateService>();
  private readonly hosts = new Map<string, HostState["hosts"][number]>();
  private partial: { head: HostStateSnapshot; next: number; containers: WireContainer[] } | null = null;

  /** The seq of the view held, null when none (before the first snapshot, after a refusal). */
  get heldSeq(): number | null {
    return this.seq;
  }

  /** Takes one frame of the network view. */
  accept(frame: HostStateFrame): SyncResult {
    if (frame.type === "hostState") return this.snapshot(frame);
    if (frame.type === "hostState.part") return this.part(frame);
    return this.delta(frame);
  }

  /** Forgets the view held, so only a snapshot is accepted next. */
  reset(): void {
    this.seq = null;
    this.partial = null;
  }

  private snapshot(head: HostStateSnapshot): SyncResult {
    this.partial = { head, next: 1, containers: [...head.containers] };
    return this.completeIfDone();
  }

  private part(frame: HostStatePart): SyncResult {
    const p = this.partial;
    if (!p || p.head.seq !== frame.seq || p.next !== frame.index) {
      const expected = p ? `part ${p.next} of seq ${p.head.seq}` : "no snapshot in progress";
      this.reset();
      return {
        kind: "rejected",
        reason: "incomplete",
        detail: `got part ${frame.index} of seq ${frame.seq}: ${expected}`,
      };
    }
    for (const c of frame.containers) p.containers.push(c);
    p.next++;
    return this.completeIfDone();
  }

  private completeIfDone(): SyncResult {
    const p = this.partial!;
    if (p.next < p.head.parts) return { kind: "pending" };
    this.partial = null;
    const { type: _t, containers: _c, services, hosts, parts: _p, ...scalars } = p.head;
    this.scalars = scalars;
    this.containers.clear();
    for (const c of p.containers) this.containers.set(c.id, c);
    this.services.clear();
    for (const s of services) this.services.set(s.id, s);
    this.hosts.clear();
    for (const h of hosts) this.hosts.set(h.id, h);
    this.seq = p.head.seq;
    this.expanded.clear();
    return { kind: "view", state: this.view() };
  }

  private delta(frame: HostStateDelta): SyncResult {
    if (this.seq === null || !this.scalars) {
      // Nothing to apply it to: the refusal that led here was reported already, unless the
      // session never had a view.
      return this.partial
        ? { kind: "rejected", reason: "incomplete", detail: `delta ${frame.seq} inside a snapshot` }
        : { kind: "rejected", reason: "outOfSequence", detail: `delta ${frame.seq} without a view` };
    }
    if (frame.seq !== this.seq + 1) {
      const detail = `delta ${frame.seq} after ${this.seq}`;
      this.reset();
      return { kind: "rejected", reason: "outOfSequence", detail };
    }
    apply(this.containers, frame.containers);
    apply(this.services, frame.services);
    if (frame.services) this.expanded.clear();
    else
      for (const id of [
        ...(frame.containers?.remove ?? []),
        ...(frame.containers?.upsert.map((c) => c.id) ?? []),
      ])
        this.expanded.delete(id);
    apply(this.hosts, frame.hosts);
    const s = this.scalars;
    s.seq = frame.seq;
    s.version = frame.version;
    if (frame.network !== undefined) s.network = frame.network;
    if (frame.portRange) s.portRange = frame.portRange;
    if (frame.certificates) s.certificates = frame.certificates;
    if (frame.acmeChallenges) s.acmeChallenges = frame.acmeChallenges;
    if (frame.upstreamDns) s.upstreamDns = frame.upstreamDns;
    if (frame.ipsec !== undefined) s.ipsec = frame.ipsec;
    this.seq = frame.seq;
    return { kind: "view", state: this.view() };
  }

  /** The whole view: summaries and left-out names filled in from the services held. */
  private view(): HostState {
    const { seq: _seq, ...s } = this.scalars!;
    const containers: StateContainer[] = [];
    for (const [id, c] of this.containers) {
      let done = this.expanded.get(id);
      if (!done) {
        done = expand(c, this.services);
        this.expanded.set(id, done);
      }
      containers.push(done);
    }
    return {
      type: "hostState",
      ...s,
      containers,
      services: [...this.services.values()],
      hosts: [...this.hosts.values()],
    };
  }
}

function apply<T extends { id: string }>(
  into: Map<string, T>,
  change: { upsert: T[]; remove: string[] } | undefined,
): void {
  if (!change) return;
  for (const id of change.remove) into.delete(id);
  for (const item of change.upsert) into.set(item.id, item);
}

/** A wire container as the view holds it. */
export function expand(c: WireContainer, services: ReadonlyMap<string, StateService>): StateContainer {
  const { stackName, serviceName, ...rest } = c;
  const svc = c.serviceId ? services.get(c.serviceId) : undefined;
  const out = {
    ...rest,
    // Left out for a service's primary: the server never sends null for a service container.
    launchConfigName: rest.launchConfigName ?? (rest.serviceId ? "" : null),
    stackName: stackName !== undefined ? stackName : (svc?.stackName ?? null),
    serviceName: serviceName !== undefined ? serviceName : (svc?.name ?? null),
  };
  // A service container's labels that repeat its names may have been left out (see toWire).
  if (out.serviceId) out.labels = { ...derivedServiceLabels(out), ...out.labels };
  return out;
}
