import type { ContainerObservation, HostState, PortBinding } from "@corral/api";
import type { Logger } from "@corral/lib";
import { cidrContains } from "../network/cidr.ts";
import type { Iptables, IptablesTable } from "./iptables.ts";
import { PortAllocator, type PortAssignment, type PortRequest } from "./port-allocator.ts";
import { parsePortSpec } from "./port-spec.ts";
import { type RuleContext, removalInput, renderRules, restoreInput } from "./rules.ts";

/** Inputs of the ports controller. */
export interface PortsControllerOptions {
  iptables: Iptables;
  logger: Logger;
  /** Chain prefix (CORRAL), bridge interface (corral0) and the DNS/metadata address. */
  prefix: string;
  bridgeInterface: string;
  serviceAddress: string;
  /**
   * What Docker says runs here (the driver's list). Optional: without it the server's view is
   * trusted alone. With it, a container removed or stopped here loses its rules at the next pass,
   * without waiting for the server to notice.
   */
  observe?: () => Promise<ContainerObservation[]>;
  /** Random source for public ports (tests). */
  random?: () => number;
}

/** What one pass did. */
export interface PortsPassResult {
  /** Tables that were rewritten (empty when everything already matched). */
  restored: IptablesTable[];
  /** The publications in force after the pass. */
  assignments: PortAssignment[];
}

/**
 * Publishes the ports of managed containers on this host with Corral's own iptables chains (Docker
 * does not publish them: see docker-spec.ts). Each pass computes the whole rule set from the latest
 * host state and rewrites only the CORRAL-* chains, one iptables-restore per table, and only when
 * the installed rules differ: a chain flushed or deleted by someone else is rebuilt at the next pass.
 */
export class PortsController {
  private readonly allocator: PortAllocator;
  private published = new Map<string, PortBinding[]>();
  private lastObserved: ContainerObservation[] | null = null;

  constructor(private readonly options: PortsControllerOptions) {
    this.allocator = new PortAllocator(options.logger, options.random);
  }

  /** The ports a managed container publishes (random ones settled); undefined when it publishes none here. */
  publishedPorts(containerId: string): PortBinding[] | undefined {
    return this.published.get(containerId);
  }

  /** One pass: settle ports for `state`, render the chains, apply what differs. */
  async pass(state: HostState): Promise<PortsPassResult> {
    const requests = await this.requests(state);
    const assignments = this.allocator.assign(requests, state.portRange);
    const context: RuleContext = {
      prefix: this.options.prefix,
      bridgeInterface: this.options.bridgeInterface,
      serviceAddress: this.options.serviceAddress,
      network: state.network && { cidr: state.network.cidr, hostSubnet: state.network.hostSubnet },
    };
    // Observations report what is being published; removed containers stop being reported at once.
    this.published = publicationsByContainer(assignments);
    const restored: IptablesTable[] = [];
    for (const desired of renderRules(assignments, context)) {
      const input = restoreInput(desired, await this.options.iptables.save(desired.table));
      if (input === null) continue;
      await this.options.iptables.restore(desired.table, input);
      restored.push(desired.table);
    }
    if (restored.length > 0) this.options.logger.info("published ports applied", { tables: restored });
    return { restored, assignments };
  }

  /** Removes every Corral chain and the jumps to them (agent uninstall, tests). */
  async removeAll(): Promise<void> {
    for (const table of ["nat", "filter", "raw"] as const) {
      const input = removalInput(table, this.options.prefix, await this.options.iptables.save(table));
      if (input !== null) await this.options.iptables.restore(table, input);
    }
    this.published = new Map();
  }

  /** The publications of running managed containers on this host. */
  private async requests(state: HostState): Promise<PortRequest[]> {
    const network = state.network;
    if (!network) return [];
    const local = await this.localContainers();
    const requests: PortRequest[] = [];
    for (const container of state.containers) {
      if (container.hostId !== state.hostId || container.ports.length === 0) continue;
      let ip = container.ip;
      if (local) {
        // Docker is the truth for what runs here and at which address.
        const seen = local.get(container.id);
        if (seen?.state !== "running") continue;
        ip = seen.ipAddress ?? null;
      } else if (container.state !== "running") continue;
      // Containers outside the managed slice (host or bridge networking) are published by Docker.
      if (!ip || !cidrContains(network.hostSubnet, ip)) continue;
      for (const text of container.ports) {
        const spec = parsePortSpec(text);
        if (!spec) {
          this.options.logger.debug("ignored unreadable port", { container: container.id, port: text });
          continue;
        }
        requests.push({ ...spec, containerId: container.id, containerIp: ip });
      }
    }
    return requests;
  }

  /** Docker's view by Corral container id; the last good one when Docker does not answer; null without `observe`. */
  private async localContainers(): Promise<Map<string, ContainerObservation> | null> {
    if (!this.options.observe) return null;
    try {
      this.lastObserved = await this.options.observe();
    } catch (e) {
      // Removing every rule because Docker hiccuped would cut running services off: keep the last
      // view, and without one give up this pass (the next one tries again).
      if (!this.lastObserved) throw e;
      this.options.logger.warn("cannot list containers; using the last list", { error: e });
    }
    return new Map((this.lastObserved ?? []).map((o) => [o.containerId, o]));
  }
}

/** Protocol port bindings grouped by container, for the observations the server stores. */
function publicationsByContainer(assignments: PortAssignment[]): Map<string, PortBinding[]> {
  const byContainer = new Map<string, PortBinding[]>();
  for (const a of assignments) {
    const list = byContainer.get(a.containerId) ?? [];
    list.push({
      privatePort: a.privatePort,
      publicPort: a.publicPort,
      protocol: a.protocol,
      ...(a.bindIp && { bindAddress: a.bindIp }),
    });
    byContainer.set(a.containerId, list);
  }
  return byContainer;
}
