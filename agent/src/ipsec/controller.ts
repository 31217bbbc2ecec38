import type { HostState, IpsecPeer, IpsecPeerStatus, IpsecReport } from "@corral/api";
import type { Logger } from "@corral/lib";
import type { Iptables } from "../ports/iptables.ts";
import { restoreInput } from "../ports/rules.ts";
import {
  connName,
  type DataPlane,
  hostIdOfConn,
  isInitiator,
  renderStrongswanConf,
  renderSwanctlConf,
} from "./config.ts";
import { renderIpsecRules } from "./rules.ts";
import type { IpsecRuntime } from "./runtime.ts";
import { type IkeSa, parseSas } from "./sas.ts";
import { isUp, peerStatuses, reasonFromOutput } from "./status.ts";

/** Inputs of the IPsec controller. */
export interface IpsecControllerOptions {
  runtime: IpsecRuntime;
  iptables: Iptables;
  logger: Logger;
  /** How long the answering end of a tunnel waits for its owner before it starts it itself (default 3 s). */
  responderGraceMs?: number;
  /** Least time between two initiations of one tunnel (default 2 s). */
  retryMs?: number;
  /** Timeout of one `swanctl --initiate` (default 8 s). */
  initiateTimeoutMs?: number;
}

/** What the controller knows of one peer between passes. */
interface PeerTrack {
  /** When the tunnel was first seen not up (null while up). */
  downSince: number | null;
  lastAttempt: number;
  initiating: boolean;
}

/**
 * Keeps this host's IPsec mesh as the server describes it: detects the data plane once, keeps the
 * strongSwan container running with a strongswan.conf for that plane, loads the whole swanctl.conf
 * whenever it changes (or the container is new), keeps the drop rules that stop clear overlay
 * traffic, and on every pass reads charon's SAs: a tunnel not up is initiated again (at once on its
 * owning end, after a short grace on the other), SAs of peers that left are closed, duplicate SAs
 * of one pair are reduced to the newest. Each pass's findings are the report sent in pings.
 */
export class IpsecController {
  private plane: DataPlane | null = null;
  private probeError: string | null = null;
  private probedAt = 0;
  private containerId: string | null = null;
  private loaded: string | null = null;
  private peers: IpsecPeer[] = [];
  private sas: IkeSa[] = [];
  private readonly tracks = new Map<string, PeerTrack>();
  private readonly lastError = new Map<string, string>();
  private latest: IpsecReport | undefined;

  constructor(private readonly options: IpsecControllerOptions) {}

  /** The last pass's findings, for hello and pings; undefined while IPsec is off for this host. */
  report(): IpsecReport | undefined {
    return this.latest;
  }

  /** One pass over the whole desired state. */
  async pass(state: HostState): Promise<IpsecReport | undefined> {
    const { runtime, logger } = this.options;
    const ipsec = state.ipsec;
    if (!ipsec || !state.network) {
      this.latest = undefined;
      return undefined;
    }
    if (!this.plane) {
      // A failed probe (image missing, no TUN) is not repeated on every pass: it starts a container.
      if (this.probeError && Date.now() - this.probedAt < 30_000) return this.latest;
      this.probedAt = Date.now();
      const probe = await runtime.probe();
      if (!probe.plane) {
        this.probeError = probe.reason;
        this.latest = { dataPlane: "none", error: probe.reason, peers: this.down(ipsec.peers, probe.reason) };
        return this.latest;
      }
      this.plane = probe.plane;
      this.probeError = null;
      logger.info("ipsec data plane", { plane: probe.plane, detail: probe.detail });
    }
    const plane = this.plane;
    // The drop rules first: whatever happens to charon below, clear traffic never leaves.
    const rules = renderIpsecRules(plane, state.network.cidr, state.network.hostSubnet);
    const input = restoreInput(rules, await this.options.iptables.save("filter"));
    if (input) await this.options.iptables.restore("filter", input);

    const { id, fresh } = await runtime.ensure(plane, renderStrongswanConf(plane));
    if (fresh || id !== this.containerId) {
      this.containerId = id;
      this.loaded = null;
      if (fresh) logger.info("ipsec daemon started", { plane });
    }
    const conf = renderSwanctlConf(ipsec, {
      plane,
      localSubnet: state.network.hostSubnet,
      localHostId: state.hostId,
    });
    if (conf !== this.loaded) {
      await runtime.writeSwanctl(id, conf);
      const load = await runtime.swanctl(id, ["--load-all", "--noprompt"]);
      // Never log the output whole: swanctl may echo secrets' names; only the verdict matters.
      if (load.code !== 0)
        throw new Error(`swanctl --load-all failed (${load.code}): ${lastLine(load.output)}`);
      this.loaded = conf;
      logger.info("ipsec configuration loaded", { peers: ipsec.peers.length });
    }
    this.peers = ipsec.peers;

    // Alone in its environment (no peer, and no SA left at the last look) there is nothing to list:
    // charon sets up no SA without a configured peer, and each listing is a `docker exec`, which
    // cost 250-900 ms of CPU every pass on a busy 2-core host. A new container is looked at once.
    if (ipsec.peers.length > 0 || this.sas.length > 0 || fresh) {
      const listed = await runtime.swanctl(id, ["--list-sas", "--raw"]);
      if (listed.code !== 0)
        throw new Error(`swanctl --list-sas failed (${listed.code}): ${lastLine(listed.output)}`);
      this.sas = parseSas(listed.output);
    }
    await this.tidy(id, state.hostId);
    const statuses = peerStatuses(ipsec.peers, this.sas, this.lastError);
    this.heal(id, state.hostId, statuses);
    this.latest = { dataPlane: plane, peers: statuses };
    return this.latest;
  }

  /** Closes SAs of peers that left, and all but the newest of duplicate SAs on tunnels this host owns. */
  private async tidy(id: string, localHostId: string): Promise<void> {
    const wanted = new Set(this.peers.map((p) => connName(p.hostId)));
    const byName = new Map<string, IkeSa[]>();
    for (const sa of this.sas) byName.set(sa.name, [...(byName.get(sa.name) ?? []), sa]);
    const close: IkeSa[] = [];
    for (const [name, list] of byName) {
      if (!wanted.has(name)) close.push(...list);
      else if (isInitiator(localHostId, hostIdOfConn(name) ?? "")) {
        const established = list
          .filter((sa) => sa.state === "ESTABLISHED")
          .sort((a, b) => a.established - b.established);
        // Keep the newest one this end initiated and that carries traffic: the peer sees the same
        // SA as "initiated by the owner", so both ends keep the same one and close the others.
        const keep =
          established.find((sa) => isUp(sa) && sa.initiator) ?? established.find(isUp) ?? established[0];
        if (established.length > 1) close.push(...established.filter((sa) => sa !== keep));
      }
    }
    for (const sa of close) {
      this.options.logger.info("closing ipsec SA", { name: sa.name, uniqueId: sa.uniqueId });
      await this.options.runtime.swanctl(
        id,
        ["--terminate", "--ike-id", String(sa.uniqueId), "--timeout", "2"],
        5_000,
      );
    }
    if (close.length > 0) this.sas = this.sas.filter((sa) => !close.includes(sa));
    for (const hostId of [...this.tracks.keys()])
      if (!wanted.has(connName(hostId))) this.tracks.delete(hostId);
  }

  /** Starts tunnels that are not up: at once on the owning end, after a grace on the other. */
  private heal(id: string, localHostId: string, statuses: IpsecPeerStatus[]): void {
    const now = Date.now();
    const grace = this.options.responderGraceMs ?? 3_000;
    for (const status of statuses) {
      const track = this.tracks.get(status.hostId) ?? { downSince: null, lastAttempt: 0, initiating: false };
      this.tracks.set(status.hostId, track);
      if (status.state === "up") {
        track.downSince = null;
        this.lastError.delete(status.hostId);
        continue;
      }
      track.downSince ??= now;
      const owner = isInitiator(localHostId, status.hostId);
      if (track.initiating || now - track.lastAttempt < (this.options.retryMs ?? 2_000)) continue;
      if (!owner && now - track.downSince < grace) continue;
      track.initiating = true;
      track.lastAttempt = now;
      void this.initiate(id, status.hostId, track);
    }
  }

  /** One `swanctl --initiate` of a peer's child; its output says why it failed, if it did. */
  private async initiate(id: string, hostId: string, track: PeerTrack): Promise<void> {
    const timeoutMs = this.options.initiateTimeoutMs ?? 8_000;
    const name = connName(hostId);
    try {
      const r = await this.options.runtime.swanctl(
        id,
        ["--initiate", "--child", name, "--timeout", String(Math.ceil(timeoutMs / 1000))],
        timeoutMs + 2_000,
      );
      if (r.code === 0) this.lastError.delete(hostId);
      else {
        const reason =
          reasonFromOutput(r.output) ??
          (r.code === 124 ? "the peer did not answer in time" : lastLine(r.output));
        if (this.lastError.get(hostId) !== reason)
          this.options.logger.warn("ipsec tunnel not up", { peer: hostId, reason });
        this.lastError.set(hostId, reason);
      }
    } catch (e) {
      this.lastError.set(hostId, `cannot run swanctl: ${(e as Error).message}`);
    } finally {
      track.initiating = false;
    }
  }

  /** Records a failed pass in the report (every tunnel down, with why) and logs nothing secret. */
  fail(state: HostState, error: unknown): void {
    const message = (error as Error)?.message ?? String(error);
    const peers = state.ipsec?.peers ?? [];
    this.latest = {
      dataPlane: this.plane ?? "none",
      error: message.slice(0, 1000),
      peers: this.down(peers, message.slice(0, 300)),
    };
    // The container may be gone or another one: the next pass loads the configuration again.
    this.loaded = null;
  }

  private down(peers: IpsecPeer[], reason: string): IpsecPeerStatus[] {
    return peers.map((p) => ({
      hostId: p.hostId,
      agentIp: p.agentIp,
      state: "down",
      reason,
      bytesIn: 0,
      bytesOut: 0,
    }));
  }

  /** Why the controller cannot run IPsec at all (no data plane), or null. */
  get error(): string | null {
    return this.probeError;
  }
}

/** The last non-empty line of an output, for error messages. */
function lastLine(output: string): string {
  return (
    output
      .split("\n")
      .map((l) => l.trim())
      .filter(Boolean)
      .at(-1) ?? ""
  ).slice(0, 300);
}
